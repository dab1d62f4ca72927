"""Issue 15: a cluster from an imported profile starts with production's nested queue layout; a MapReduce and a
Spark job run in an imported queue; `devenv jobs` reports them with the production view."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from integration.conftest import REPO, devenv, integration_home

pytestmark = pytest.mark.docker

NAME = "ci-import"
SET = REPO / "tests" / "fixtures" / "import" / "bank-etl"
# queue -> (path, capacity, maximum capacity) as production's capacity-scheduler.xml sets them
QUEUES = {
    "etl": ("root.etl", "50.00%", "80.00%"), "daily": ("root.etl.daily", "70.00%", "100.00%"),
    "backfill": ("root.etl.backfill", "30.00%", "50.00%"), "analytics": ("root.analytics", "35.00%", "60.00%"),
    "adhoc": ("root.analytics.adhoc", "60.00%", "100.00%"), "reporting": ("root.analytics.reporting", "40.00%", "100.00%"),
    "default": ("root.default", "15.00%", "30.00%"),
}


@pytest.fixture(scope="module")
def profile(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("import") / "bank-etl.toml"
    devenv("profile", "import", str(SET / "conf"), "--versions", str(SET / "versions.txt"), "-o", str(path), "--name", "bank-etl")
    assert path.read_bytes() == (SET / "expected.toml").read_bytes()
    devenv("--profile", str(path), "down", "--name", NAME, "--volumes", "--yes", check=False)
    devenv("--profile", str(path), "up", "--name", NAME, "--ports", "auto")
    yield path
    devenv("--profile", str(path), "logs", "--name", NAME, "--export", str(integration_home() / "exported-logs" / NAME), check=False)
    devenv("--profile", str(path), "down", "--name", NAME, "--volumes", "--yes", check=False)


def ex(profile: Path, service: str, script: str) -> str:
    return devenv("--profile", str(profile), "exec", service, "--name", NAME, "--", "bash", "-c", script, timeout=600).out


def test_every_imported_queue_is_running_with_production_capacities(profile: Path) -> None:
    out = ex(profile, "resourcemanager", f"for q in {' '.join(QUEUES)}; do yarn queue -status $q 2>/dev/null; done")
    blocks = out.split("Queue Information :")[1:]
    assert len(blocks) == len(QUEUES), out
    for block, (name, (path, cap, mx)) in zip(blocks, QUEUES.items()):
        assert f"Queue Name : {name}\nQueue Path : {path}\n\tState : RUNNING\n\tCapacity : {cap}\n" in block, block
        assert f"\tMaximum Capacity : {mx}\n" in block, block


def test_jobs_run_in_an_imported_queue_and_jobs_reports_the_production_view(profile: Path) -> None:
    mr = ex(profile, "spark-history", "hadoop jar /opt/hadoop/share/hadoop/common/lib/hadoop-mapreduce-examples-*.jar pi "
            "-Dmapreduce.job.queuename=daily 2 20 2>&1")
    assert "Estimated value of Pi is" in mr, mr[-3000:]
    spark = ex(profile, "spark-history", "cat > /tmp/j.py <<'EOF'\nfrom pyspark.sql import SparkSession\n"
               "s = SparkSession.builder.appName('ci-import-spark').getOrCreate()\n"
               "print('result', s.sparkContext.parallelize(range(1000), 4).map(lambda x: x * 2).sum())\ns.stop()\nEOF\n"
               "spark-submit --master yarn --queue daily /tmp/j.py 2>&1")
    assert "result 999000" in spark, spark[-3000:]
    apps = {a["type"]: a for a in devenv("--profile", str(profile), "--json", "jobs", "--name", NAME).json()["applications"]}
    for kind, name in (("MAPREDUCE", "QuasiMonteCarlo"), ("SPARK", "ci-import-spark")):
        a = apps[kind]
        assert (a["name"], a["queue"].rsplit(".", 1)[-1], a["state"], a["final_status"]) == (name, "daily", "FINISHED", "SUCCEEDED"), a
        assert a["containers"] >= 2 and a["peak_mb"] >= 1024 and a["memory_seconds"] > 0, a
        assert re.fullmatch(r"needs \d+% of queue daily's guarantee; fits.*", a["production"]["verdict"]), a["production"]
        assert a["production"]["queue"] == "root.etl.daily"
    assert apps["SPARK"]["executors"] >= 1 and apps["SPARK"]["executor_memory_mb"] == 512
