"""Issue 5: `devenv seed` loads TPC-H and a profile's seeds of every kind, verified through HiveServer2 and Spark;
a second seed does nothing; changes and errors are handled.

Issue 11: the TPC-H answers are checked against an engine devenv does not use: DuckDB on the host over the
very Parquet files the generator wrote (copied out of HDFS). All 22 queries run on Spark in one job; Q1, Q3,
Q5, Q6 and Q10 run on HiveServer2 too; the eight tables' row counts are exact in all three.

One cluster (ci-seed, ports from 24000 so it runs beside others) for the module; it is deleted at the end.
"""

from __future__ import annotations

import base64
import io
import shlex
import shutil
import tarfile
from decimal import Decimal
from pathlib import Path

import pytest

from integration import tpch_queries, tpch_reference
from integration.conftest import REPO, devenv

pytestmark = pytest.mark.docker

NAME = "ci-seed"
BEELINE = "beeline -u jdbc:hive2://hiveserver2:10000/default -n hadoop --silent=true --outputformat=csv2"


def ex(service: str, script: str, *, check: bool = True):
    return devenv("exec", service, "--name", NAME, "--", "bash", "-c", script, check=check, timeout=900)


@pytest.fixture(scope="module")
def prof(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of tests/profiles/seeded, so the tests may change its inputs."""
    d = tmp_path_factory.mktemp("seeded") / "seeded"
    shutil.copytree(REPO / "tests" / "profiles" / "seeded", d)
    return d / "seeded.toml"


@pytest.fixture(scope="module")
def seeded(prof: Path):
    devenv("down", "--name", NAME, "--volumes", "--yes", check=False)
    try:
        devenv("up", "--profile", str(prof), "--name", NAME)
        yield devenv("--json", "seed", "--name", NAME, timeout=1800).events()
    finally:
        devenv("down", "--name", NAME, "--volumes", "--yes", check=False)


def test_every_step_runs_once_and_tpch_counts_match_the_generator(seeded) -> None:
    plan = seeded[0]
    assert plan["event"] == "plan" and [s["state"] for s in plan["steps"]] == ["new"] * 5
    done = {e["name"]: e for e in seeded if e["event"] == "step" and e["state"] == "done"}
    assert list(done) == ["tpch", "people-data", "people.sql", "squares.py", "marker"]
    rows = done["tpch"]["rows"]
    assert set(rows) == {"region", "nation", "supplier", "customer", "part", "partsupp", "orders", "lineitem"}
    assert rows["region"] == 5 and rows["nation"] == 25 and rows["lineitem"] > 50_000
    assert seeded[-1] == {**seeded[-1], "event": "seeded", "unchanged": []}


def test_hive_sees_the_tables_and_hdfs_holds_the_profile_seeds(seeded) -> None:
    rows = next(e for e in seeded if e.get("name") == "tpch" and e.get("state") == "done")["rows"]
    out = ex("spark-history", f"{BEELINE} -e \"SHOW TBLPROPERTIES tpch.orders('numRows'); SHOW TABLES IN seeded;\"").out
    assert f"numRows,{rows['orders']}" in out and out.strip().endswith("people")
    listing = ex("namenode", "hdfs dfs -ls -R /seed").out
    for path in ("/seed/people/people.csv", "/seed/squares/_SUCCESS", "/seed/shell/done", "/seed/tpch/sf0.01-parquet/lineitem"):
        assert path in listing
    assert "/seed/.tmp/" not in listing  # nothing half-written left behind


# One beeline session for every HiveServer2 answer: each result follows a one-row marker result naming it.
# Hive runs these small jobs in local mode (inside HiveServer2: the same SQL engine, without a YARN container per
# MapReduce stage, which at about 30 s each would put the five queries and the counts at over 10 minutes); count(*)
# is computed from the data, not answered from the statistics.
HIVE_SETTINGS = "SET hive.exec.mode.local.auto=true; SET hive.compute.query.using.stats=false;"
MARKER = "devenv_result"


def _hive_many(queries: dict[str, str]) -> dict[str, list[list[str]]]:
    """name -> rows. Tab-separated: beeline's csv2 does not quote a value that holds a comma (Q10's addresses
    and comments do), and TPC-H's generated text has no tabs."""
    script = " ".join([HIVE_SETTINGS, *(f"SELECT '{name}' AS {MARKER}; {sql};" for name, sql in queries.items())])
    out = ex("spark-history", f"{BEELINE.replace('csv2', 'tsv2')} -e {shlex.quote(script)} 2>/dev/null").out
    lines = [ln for ln in out.splitlines() if ln and not ln.startswith("WARNING")]
    found: dict[str, list[list[str]]] = {}
    for i, line in enumerate(lines):
        if line == MARKER:
            name, end = lines[i + 1], next((j for j in range(i + 2, len(lines)) if lines[j] == MARKER), len(lines))
            found[name] = [ln.split("\t") for ln in lines[i + 3:end]]  # after the marker's value and the result's header
    return found


def _spark(queries: dict[str, str]) -> dict[str, list[list[str]]]:
    """Every query in ONE spark-submit (one YARN application), results as JSON lines on stdout."""
    from devenv.seed import tpch

    args = " ".join(shlex.quote(a) for a in tpch.spark_args(queries))
    out = ex("spark-history", f"cat > /tmp/q.py <<'EOF'\n{tpch.SPARK_SCRIPT}\nEOF\nspark-submit /tmp/q.py {args} 2>/dev/null").out
    return tpch.spark_results(out)


@pytest.fixture(scope="module")
def reference(seeded, tmp_path_factory: pytest.TempPathFactory):
    """DuckDB over the very Parquet files the generator wrote, copied out of HDFS as a base64 tar."""
    from devenv.seed import tpch

    loc = tpch.location(0.01, "parquet")
    out = ex("namenode", f"d=$(mktemp -d) && hdfs dfs -get {loc} $d/tpch && tar -C $d -cf - tpch | base64 -w0 && rm -rf $d").out
    root = tmp_path_factory.mktemp("tpch")
    with tarfile.open(fileobj=io.BytesIO(base64.b64decode(out.strip()))) as tar:
        tar.extractall(root, filter="data")
    return tpch_reference.duckdb_over(root / "tpch")


@pytest.fixture(scope="module")
def hive_answers(seeded) -> dict[str, list[list[str]]]:
    """Q1, Q3, Q5, Q6, Q10 and the eight row counts through HiveServer2, in one beeline session."""
    from devenv.seed import tpch

    got = _hive_many({"counts": tpch.count_sql(), **{f"q{n}": tpch_queries.QUERIES[n] for n in tpch_queries.HIVE}})
    assert set(got) == {"counts", *(f"q{n}" for n in tpch_queries.HIVE)}, sorted(got)
    return got


@pytest.fixture(scope="module")
def spark_answers(seeded) -> dict[str, list[list[str]]]:
    """All 22 TPC-H queries and the eight row counts, from one Spark job over the Hive tables."""
    from devenv.seed import tpch

    got = _spark({"counts": tpch.count_sql(), **{f"q{n}": sql for n, sql in tpch_queries.QUERIES.items()}})
    assert set(got) == {"counts", *(f"q{n}" for n in tpch_queries.QUERIES)}, sorted(got)
    return got


def test_row_counts_of_all_eight_tables_are_exact_in_duckdb_hive_and_spark(seeded, reference, hive_answers, spark_answers) -> None:
    want = tpch_reference.duckdb_counts(reference)  # over the generator's files, not devenv's own report
    # TPC-H's cardinalities at SF 0.01 (spec clause 4.2.5: SF x 10,000 suppliers, 150,000 customers, ...)
    assert {t: n for t, n in want.items() if t != "lineitem"} == {
        "region": 5, "nation": 25, "supplier": 100, "customer": 1500, "part": 2000, "partsupp": 8000, "orders": 15000}
    assert want["lineitem"] == 60_175  # 1 to 7 lines per order: dbgen's (and tpchgen's) deterministic count at SF 0.01
    from devenv.seed import tpch

    hive = {t: int(n) for t, n in hive_answers["counts"]}
    spark = {t: int(n) for t, n in spark_answers["counts"]}
    done = next(e for e in seeded if e.get("name") == "tpch" and e.get("state") == "done")["rows"]
    assert hive == want and spark == want and done == want, (hive, spark, done, want)


@pytest.mark.parametrize("n", sorted(tpch_queries.QUERIES))
def test_spark_answers_tpch_query_like_duckdb(n: int, reference, spark_answers) -> None:
    want = tpch_reference.duckdb_rows(reference, tpch_queries.QUERIES[n])
    assert not tpch_reference.differences(spark_answers[f"q{n}"], want), tpch_reference.differences(spark_answers[f"q{n}"], want)


@pytest.mark.parametrize("n", tpch_queries.HIVE)
def test_hiveserver2_answers_tpch_query_like_duckdb(n: int, reference, hive_answers) -> None:
    want = tpch_reference.duckdb_rows(reference, tpch_queries.QUERIES[n])
    got = hive_answers[f"q{n}"]
    assert not tpch_reference.differences(got, want), tpch_reference.differences(got, want)
    if n == 1:
        assert len(got) == 4 and [r[:2] for r in got] == [["A", "F"], ["N", "F"], ["N", "O"], ["R", "F"]]
    if n == 6:
        assert Decimal(got[0][0]) > 0


def test_a_second_seed_does_nothing(seeded) -> None:
    r = devenv("seed", "--name", NAME)
    assert r.out.strip() == f"cluster {NAME}: nothing to seed, all 5 steps are unchanged (--force reloads)"


def test_changed_input_reseeds_only_its_step_and_a_sql_error_is_located(seeded, prof: Path) -> None:
    csv = prof.parent / "data" / "people.csv"
    csv.write_text(csv.read_text() + "4,barbara\n")
    events = devenv("--json", "seed", "--profile", str(prof), "--name", NAME).events()
    assert [e["name"] for e in events if e.get("state") == "done"] == ["people-data"]
    assert "4,barbara" in ex("namenode", "hdfs dfs -cat /seed/people/people.csv").out
    sql = prof.parent / "people.sql"
    sql.write_text(sql.read_text() + "\nSELECT id,\n  nosuch\nFROM seeded.people;\n")
    r = devenv("seed", "--profile", str(prof), "--name", NAME, check=False)
    assert r.code == 1
    assert "error: seed[2] people.sql: SQL error in statement 4 at people.sql:13" in r.err
    assert "13:   nosuch" in r.err and "Invalid table alias or column reference 'nosuch'" in r.err
    assert "Traceback" not in r.err
