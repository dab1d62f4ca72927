"""`devenv seed`: planning, the record (idempotence, changed inputs, --force), errors, output. Docker is faked."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from devenv import docker, profile, seed
from devenv.seed import tpch, tpch_load
from devenv.errors import DevenvError, UsageError

COUNTS = {"customer": 1500, "lineitem": 60175, "nation": 25, "orders": 15000, "part": 2000, "partsupp": 8000,
          "region": 5, "supplier": 100}

PROFILE = """schema = 1
name = "s"
extends = "default"

[[seed]]
dataset = "tpch"

[[seed]]
copy = "data/people.csv"
to = "/seed/people/people.csv"

[[seed]]
name = "ddl"
sql = "people.sql"

[[seed]]
pyspark = "job.py"
args = ["/seed/out", "two words"]

[[seed]]
jar = "lib/app.jar"
class = "com.example.Load"

[[seed]]
shell = "hdfs dfs -touchz /seed/done"
service = "namenode"
"""

SQL = "-- people\nCREATE DATABASE IF NOT EXISTS p;\n\nCREATE TABLE p.t (\n  a INT -- one; two\n);\nINSERT INTO p.t VALUES (1), (';');\n"


def make_profile(tmp_path: Path, text: str = PROFILE) -> Path:
    d = tmp_path / "prof"
    (d / "data").mkdir(parents=True)
    (d / "lib").mkdir()
    (d / "data" / "people.csv").write_text("1,ada\n")
    (d / "people.sql").write_text(SQL)
    (d / "job.py").write_text("print('job')\n")
    (d / "lib" / "app.jar").write_bytes(b"PK\x03\x04jar")
    f = d / "s.toml"
    f.write_text(text)
    return f


class FakeCluster:
    """The docker seam: running containers, scripts run in them (recorded), canned answers, injected failures."""

    def __init__(self) -> None:
        self.scripts: list[tuple[str, str]] = []
        self.copied: list[tuple[str, str]] = []
        self.marker = ""
        self.fail: dict[str, tuple[int, str]] = {}

    def containers(self, cluster=None, *, all=True):
        return [docker.ContainerInfo(f"id-{s}", f"devenv-{cluster}-{s}-1", s, cluster, "s", "running", 0, "img", "", ())
                for s in ("namenode", "datanode-1", "metastore", "hiveserver2", "spark-history", "nodemanager-1")]

    def exec_in(self, container, command, *, user=None, envs=None, idempotent=False):
        if command[0] == "rm":
            return ""
        script = command[-1]
        self.scripts.append((container, script))
        for key, (rc, out) in self.fail.items():
            if key in script:
                return f"{out}\n__devenv_rc={rc}\n"
        out = ""
        if "-cat /seed/.devenv-seed-id" in script:
            out = self.marker
        elif "/seed/.devenv-seed-id" in script:
            self.marker = re.search(r"echo (\w+)", script).group(1)
        elif "python3 -m zipfile" in script:
            out = "COUNTS " + json.dumps({t: [{"lines": n}] for t, n in COUNTS.items()})
        elif "tpch.sql" in script:
            out = "No rows affected (0.1 seconds)\n" + "".join(f"prpt_name,prpt_value\nnumRows,{COUNTS[t]}\n" for t in tpch.TABLES)
        elif "spark-submit" in script and "spark_tpch.py" in script:
            out = "INFO noise\nRESULT " + json.dumps({"query": "counts", "rows": [[t, str(n)] for t, n in COUNTS.items()]})
        return f"{out}\n__devenv_rc=0\n"

    def copy_to(self, container, source, dest):
        self.copied.append((container, dest))

    def ran(self, text: str) -> list[str]:
        return [s for _, s in self.scripts if text in s]


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeCluster:
    f = FakeCluster()
    monkeypatch.setattr(docker, "containers", f.containers)
    monkeypatch.setattr(docker, "exec_in", f.exec_in)
    monkeypatch.setattr(docker, "copy_to", f.copy_to)
    monkeypatch.setattr(docker, "engine_info", lambda: docker.EngineInfo("26.1.5", 8 << 30, 4, "linux", "x86_64", "/var/lib/docker", "default"))
    cached_generator_wheel()
    return f


def cached_generator_wheel() -> Path:
    """The generator wheel as a verified cache entry (right size, devenv's own stamp), so seeding fetches nothing.

    Its bytes are not the real wheel's: the faked engine never unpacks it."""
    from devenv import artifacts

    wheel = tpch.wheel_for("x86_64")
    p = artifacts.cached_path(wheel)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(b"\0" * wheel.size)
    st = p.stat()
    p.with_name(p.name + ".verified").write_text(f"{wheel.sha256} {st.st_size} {st.st_mtime_ns}\n", encoding="ascii")
    assert tpch_load.generator_wheel(None) == p  # the real lookup finds it without fetching
    return p


def ctx_for(path: Path):
    from devenv.console import Ui
    from devenv.context import Context

    return Context.load(str(path), Ui())


# --- planning ---------------------------------------------------------------------------

def test_a_profile_without_steps_plans_tpch_at_the_default_scale() -> None:
    steps = seed.plan(profile.resolve("default"))
    assert [(s.index, s.name, s.kind, dict(s.spec)) for s in steps] == [
        (None, "tpch", "dataset", {"dataset": "tpch", "scale": 0.01, "format": "parquet"})]
    assert steps[0].label == "tpch (built-in default)"


def test_steps_keep_profile_order_names_and_their_own_directory(tmp_path: Path) -> None:
    f = make_profile(tmp_path)
    steps = seed.plan(profile.load_profile(f))
    assert [(s.label, s.kind) for s in steps] == [
        ("seed[0] tpch", "dataset"), ("seed[1] people.csv", "copy"), ("seed[2] ddl", "sql"), ("seed[3] job.py", "pyspark"),
        ("seed[4] app.jar", "jar"), ("seed[5] shell@namenode", "shell")]
    assert steps[1].path() == (f.parent / "data" / "people.csv").resolve()


def test_a_parents_steps_are_relative_to_the_parent_file(tmp_path: Path) -> None:
    parent = make_profile(tmp_path)
    child_dir = tmp_path / "elsewhere"
    child_dir.mkdir()
    child = child_dir / "c.toml"
    child.write_text(f'schema = 1\nname = "c"\nextends = "{parent}"\n[[seed]]\nsql = "mine.sql"\n')
    steps = seed.plan(profile.load_profile(child))
    assert steps[2].base == parent.parent and steps[-1].base == child_dir


def test_options_override_tpch_and_only_selects(tmp_path: Path) -> None:
    p = profile.load_profile(make_profile(tmp_path))
    steps = seed.plan(p, tpch_scale=1, fmt="csv", only=["tpch", "ddl"])
    assert [(s.name, s.spec.get("scale"), s.spec.get("format")) for s in steps] == [("tpch", 1, "csv"), ("ddl", None, None)]
    with pytest.raises(UsageError) as e:
        seed.plan(p, only=["nope"])
    assert e.value.message == "--only: no seed step named 'nope'"
    assert e.value.hint == "the steps: tpch, people.csv, ddl, job.py, app.jar, shell@namenode"


def test_tpch_options_add_tpch_to_a_profile_without_it(tmp_path: Path) -> None:
    f = make_profile(tmp_path, PROFILE.replace('[[seed]]\ndataset = "tpch"\n\n', ""))
    p = profile.load_profile(f)
    assert [s.name for s in seed.plan(p)][0] == "people.csv"
    assert [s.name for s in seed.plan(p, tpch_scale=0.1)][0] == "tpch"


def test_copy_target_must_be_absolute(tmp_path: Path) -> None:
    f = make_profile(tmp_path, PROFILE.replace('to = "/seed/people/people.csv"', 'to = "seed/people"'))
    with pytest.raises(DevenvError) as e:
        seed.plan(profile.load_profile(f))
    assert e.value.message == "seed[1]: 'to' must be an absolute HDFS path such as /data/x, got 'seed/people'"


def test_fingerprint_covers_definition_and_file_contents(tmp_path: Path) -> None:
    f = make_profile(tmp_path)
    before = [s.fingerprint() for s in seed.plan(profile.load_profile(f))]
    (f.parent / "data" / "people.csv").write_text("1,ada\n2,grace\n")
    after = [s.fingerprint() for s in seed.plan(profile.load_profile(f))]
    assert [b != a for b, a in zip(before, after)] == [False, True, False, False, False, False]
    assert seed.plan(profile.load_profile(f), tpch_scale=1)[0].fingerprint() != before[0]


# --- SQL splitting and parsing ------------------------------------------------------------

def test_split_sql_keeps_start_lines_and_respects_quotes_and_comments() -> None:
    assert seed.split_sql(SQL) == [
        (2, "CREATE DATABASE IF NOT EXISTS p"),
        (4, "CREATE TABLE p.t (\n  a INT \n)"),
        (7, "INSERT INTO p.t VALUES (1), (';')"),
    ]
    assert seed.split_sql("/* a;\nb */ SELECT 1\n") == [(2, "SELECT 1")]


def _varint(n: int) -> bytes:
    out = b""
    while True:
        byte, n = n & 0x7F, n >> 7
        out += bytes([byte | (0x80 if n else 0)])
        if not n:
            return out


def test_parquet_num_rows_reads_the_compact_thrift_footer() -> None:
    # version (i32) = 1; schema: list of one struct {name (4, binary) = "x"}; num_rows (i64) = 60175; stop
    footer = b"\x15" + _varint(2) + b"\x19\x1c" + b"\x48\x01x\x00" + b"\x16" + _varint(60175 * 2) + b"\x00"
    assert tpch.parquet_num_rows(footer) == 60175
    with pytest.raises(ValueError):
        tpch.parquet_num_rows(b"\x15\x02\x00")


def test_counts_from_generated_files_hive_and_spark_output() -> None:
    assert tpch.file_counts('noise\nCOUNTS {"region": [{"lines": 5}], "nation": [{"lines": 20}, {"lines": 5}]}') == {"nation": 25, "region": 5}
    assert tpch.hive_counts("prpt_name,prpt_value\nnumRows,5\nprpt_name,prpt_value\nnumRows,25\n") == {"region": 5, "nation": 25}
    assert tpch.spark_results('x\nRESULT {"query": "q6", "rows": [["123.45"]]}\n') == {"q6": [["123.45"]]}
    assert "LOCATION 'hdfs://devenv/seed/tpch/sf1-csv/lineitem'" in tpch.ddl(tpch.location(1, "csv"), "csv")
    assert tpch.generate_command("gen", 0.01, "csv", "/o") == ["gen", "tbl", "-s", "0.01", "-o", "/o", "--parts", "1", "-q"]
    assert tpch.wheel_for("arm64").path.endswith("manylinux2014_aarch64.whl")


# --- running, the record, idempotence ---------------------------------------------------------

def test_first_seed_runs_every_step_and_records_it(tmp_path: Path, fake: FakeCluster) -> None:
    f = make_profile(tmp_path)
    events: list[tuple[str, dict]] = []
    r = seed.seed(ctx_for(f), "c1", on_event=lambda k, d: events.append((k, d)))
    assert r.seeded == ["tpch", "people.csv", "ddl", "job.py", "app.jar", "shell@namenode"] and r.skipped == []
    rec = json.loads(seed.record_path("c1").read_text())
    assert rec["steps"]["tpch"]["rows"] == COUNTS and rec["steps"]["tpch"]["location"] == "/seed/tpch/sf0.01-parquet"
    assert rec["hdfs_id"] == fake.marker
    # atomic: put under /seed/.tmp, then rename into place
    copy = fake.ran("/seed/people/people.csv")[0]
    assert re.search(r"hdfs dfs -put \S+ /seed/.tmp/\S+ && .*hdfs dfs -mv /seed/.tmp/\S+ /seed/people/people.csv", copy)
    assert fake.ran("spark-submit --name seed-job.py pyspark-3-job.py /seed/out 'two words'")
    assert fake.ran("spark-submit --name seed-app.jar --class com.example.Load jar-4-app.jar")
    assert ("devenv-c1-namenode-1", fake.ran("touchz")[0]) in fake.scripts
    assert [d["state"] for k, d in events if k == "step"].count("done") == 6


def test_second_seed_does_nothing_and_changed_inputs_rerun_only_their_step(tmp_path: Path, fake: FakeCluster) -> None:
    f = make_profile(tmp_path)
    seed.seed(ctx_for(f), "c1")
    n = len(fake.scripts)
    r = seed.seed(ctx_for(f), "c1")
    assert r.seeded == [] and len(r.skipped) == 6
    assert len(fake.scripts) == n + 1  # only the marker was read
    (f.parent / "people.sql").write_text(SQL + "SELECT 1;\n")
    assert seed.seed(ctx_for(f), "c1").seeded == ["ddl"]
    assert seed.seed(ctx_for(f), "c1", force=True).seeded == ["tpch", "people.csv", "ddl", "job.py", "app.jar", "shell@namenode"]


def test_a_wiped_hdfs_forgets_the_record(tmp_path: Path, fake: FakeCluster) -> None:
    f = make_profile(tmp_path)
    seed.seed(ctx_for(f), "c1")
    fake.marker = ""  # HDFS formatted anew
    events: list[tuple[str, dict]] = []
    assert len(seed.seed(ctx_for(f), "c1", on_event=lambda k, d: events.append((k, d))).seeded) == 6
    assert events[0] == ("forgotten", {"reason": "HDFS does not hold the data of the last seed (formatted anew); seeding everything"})


def test_a_missing_file_stops_at_its_step_and_keeps_earlier_ones(tmp_path: Path, fake: FakeCluster) -> None:
    f = make_profile(tmp_path)
    (f.parent / "job.py").unlink()
    with pytest.raises(DevenvError) as e:
        seed.seed(ctx_for(f), "c1")
    assert e.value.message == f"seed[3] job.py: pyspark file not found: {(f.parent / 'job.py').resolve()}"
    assert e.value.hint == f"paths in [[seed]] are relative to the profile file's directory ({f.parent})"
    assert set(seed.load_record("c1")["steps"]) == {"tpch", "people.csv", "ddl"}


def test_a_sql_error_names_the_statement_and_its_line(tmp_path: Path, fake: FakeCluster) -> None:
    f = make_profile(tmp_path)
    fake.fail["sql-2.sql"] = (2, "0: jdbc> No rows affected (0.1 seconds)\n0: jdbc> . . .> Error: Error while compiling statement: "
                              "FAILED: SemanticException Line 2:4 Invalid column reference 'a' (state=42000,code=10004)")
    with pytest.raises(DevenvError) as e:
        seed.seed(ctx_for(f), "c1")
    assert e.value.message == "seed[2] ddl: SQL error in statement 2 at people.sql:5"
    assert e.value.details == ["4: CREATE TABLE p.t (", "5:   a INT ", "6: )",
                               "Error while compiling statement: FAILED: SemanticException Line 2:4 Invalid column reference 'a' (state=42000,code=10004)"]
    assert e.value.hint == "fix it and run devenv seed again: steps already seeded are kept and skipped"


def test_a_failing_job_shows_its_log_tail(tmp_path: Path, fake: FakeCluster) -> None:
    f = make_profile(tmp_path)
    fake.fail["pyspark-3-job.py"] = (1, "\n".join(f"log {i}" for i in range(100)) + "\nValueError: boom")
    with pytest.raises(DevenvError) as e:
        seed.seed(ctx_for(f), "c1")
    assert e.value.message == "seed[3] job.py: the PySpark script job.py (log tail below) failed (exit 1)"
    assert e.value.details[-1] == "ValueError: boom" and len(e.value.details) == 30


def test_counts_that_differ_from_the_generator_fail(tmp_path: Path, fake: FakeCluster) -> None:
    f = make_profile(tmp_path)
    fake.fail["spark_tpch.py '"] = (0, 'RESULT {"query": "counts", "rows": [["region", "4"]]}')
    with pytest.raises(DevenvError) as e:
        seed.seed(ctx_for(f), "c1", only=["tpch"])
    assert e.value.message == "seed[0] tpch: TPC-H row counts differ from the generator's"
    assert "region: generated 5, HiveServer2 5, Spark 4" in e.value.details


def test_a_stopped_cluster_is_named(tmp_path: Path, fake: FakeCluster, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(docker, "containers", lambda cluster=None, all=True: [])
    with pytest.raises(DevenvError) as e:
        seed.seed(ctx_for(make_profile(tmp_path)), "c1")
    assert (e.value.message, e.value.hint) == ("cluster 'c1' is not running", "start it first: devenv up --name c1")


# --- the command ---------------------------------------------------------------------------

def test_cli_plain_output_then_nothing_to_do(tmp_path: Path, fake: FakeCluster, cli) -> None:
    f = make_profile(tmp_path)
    assert cli("trust", str(f)).code == 0  # a profile from elsewhere with seed steps: trusted first
    r = cli("seed", "--profile", str(f), "--name", "c1")
    assert r.code == 0, r.err
    assert "seeding cluster c1: 6 of 6 steps to run" in r.err
    assert "done seed[0] tpch (0 s, 86,805 rows verified in Hive and Spark)" in r.err
    assert r.out.startswith("cluster c1: seeded tpch, people.csv, ddl, job.py, app.jar, shell@namenode in ")
    r = cli("seed", "--profile", str(f), "--name", "c1")
    assert r.out == "cluster c1: nothing to seed, all 6 steps are unchanged (--force reloads)\n"


def test_cli_json_is_a_stream_of_events(tmp_path: Path, fake: FakeCluster, cli) -> None:
    f = make_profile(tmp_path)
    assert cli("trust", str(f)).code == 0
    r = cli("--json", "seed", "--profile", str(f), "--name", "c1", "--only", "tpch")
    events = [json.loads(line) for line in r.out.splitlines()]
    assert [e["event"] for e in events][:3] == ["plan", "step", "phase"]
    assert events[0]["steps"] == [{"step": "seed[0] tpch", "name": "tpch", "kind": "dataset", "state": "new"}]
    assert events[-1]["event"] == "seeded" and events[-1]["seeded"] == ["tpch"]
    assert next(e for e in events if e.get("state") == "done")["rows"] == COUNTS


def test_cli_rejects_a_bad_scale(cli) -> None:
    r = cli("seed", "--tpch-scale", "0")
    assert r.code == 2 and "must be > 0 and <= 100, got 0" in r.err


def test_seed_after_up_when_asked_or_on_the_start_that_created_the_cluster(tmp_path: Path) -> None:
    plain = profile.load_profile(make_profile(tmp_path))
    eager = profile.load_profile(make_profile(tmp_path / "eager", PROFILE.replace('extends = "default"\n', 'extends = "default"\nseed_on_first_start = true\n')))
    assert seed.should_seed_after_up(plain, requested=True, created=False) is True
    assert seed.should_seed_after_up(plain, requested=False, created=True) is False
    assert seed.should_seed_after_up(eager, requested=False, created=True) is True
    assert seed.should_seed_after_up(eager, requested=False, created=False) is False


def test_first_start_is_true_until_the_cluster_has_state() -> None:
    from devenv.cluster import Cluster

    p = profile.resolve("default")
    assert seed.first_start(p, "fresh-one") is True
    c = Cluster("fresh-one")
    c.dir.mkdir(parents=True, exist_ok=True)
    c.state_file.write_text(json.dumps({"profile": "default"}), encoding="utf-8")
    assert seed.first_start(p, "fresh-one") is False
    assert seed.first_start(p, None) is True  # the profile's own name has no state
