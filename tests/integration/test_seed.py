"""Issue 5: `devenv seed` loads TPC-H and a profile's seeds of every kind, verified through HiveServer2 and Spark;
TPC-H queries 1 and 6 agree between the engines; a second seed does nothing; changes and errors are handled.

One cluster (ci-seed, ports from 24000 so it runs beside others) for the module; it is deleted at the end.
"""

from __future__ import annotations

import shlex
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

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


def _hive(sql: str) -> list[list[str]]:
    out = ex("spark-history", f"{BEELINE} -e {shlex.quote(sql)} 2>/dev/null").out
    lines = [ln for ln in out.splitlines() if ln and not ln.startswith("WARNING")]
    return [ln.split(",") for ln in lines[1:]]


def _spark(queries: dict[str, str]) -> dict[str, list[list[str]]]:
    from devenv.seed import tpch

    args = " ".join(shlex.quote(a) for a in tpch.spark_args(queries))
    out = ex("spark-history", f"cat > /tmp/q.py <<'EOF'\n{tpch.SPARK_SCRIPT}\nEOF\nspark-submit /tmp/q.py {args} 2>/dev/null").out
    return tpch.spark_results(out)


def _same(a: list[list[str]], b: list[list[str]]) -> bool:
    """Equal rows; numbers equal to a cent (the engines print decimals with different scales)."""
    def eq(x: str, y: str) -> bool:
        try:
            return abs(Decimal(x) - Decimal(y)) <= Decimal("0.01")
        except ArithmeticError:
            return x == y
    return len(a) == len(b) and all(len(r) == len(q) and all(map(eq, r, q)) for r, q in zip(a, b))


def test_tpch_queries_1_and_6_agree_between_hive_and_spark(seeded) -> None:
    from devenv.seed import tpch

    spark = _spark({"q1": tpch.QUERIES[1], "q6": tpch.QUERIES[6]})
    hive1, hive6 = _hive(tpch.QUERIES[1]), _hive(tpch.QUERIES[6])
    assert len(hive1) == 4 and [r[:2] for r in hive1] == [["A", "F"], ["N", "F"], ["N", "O"], ["R", "F"]]
    assert _same(hive1, spark["q1"]), (hive1, spark["q1"])
    assert _same(hive6, spark["q6"]) and Decimal(hive6[0][0]) > 0, (hive6, spark["q6"])


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
