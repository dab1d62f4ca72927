"""A Spark driver on the host, executors in the cluster: `spark-submit --master yarn` after `devenv client-config`.

The host's Spark is the profile's own pinned distribution, taken from the verified artifact cache
(the pyspark tarball the images are built from) and unpacked once into the test home, run with this
Python and the host's JDK. One cluster (ci-host-spark, --ports auto), deleted at the end.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from integration.conftest import devenv, integration_home

pytestmark = [pytest.mark.docker, pytest.mark.host_driver]  # opt-in: pytest -m host_driver (not passing yet)

NAME = "ci-host-spark"
JOB = r'''
import socket
from pyspark.sql import SparkSession

spark = SparkSession.builder.appName("host-driver").getOrCreate()
print("MASTER", spark.sparkContext.master)
spark.range(0, 100000, numPartitions=4).write.mode("overwrite").parquet("/tmp/host-driver")
df = spark.read.parquet("/tmp/host-driver")
print("ROWS", df.count(), "SUM", df.selectExpr("sum(id)").first()[0])
hosts = spark.sparkContext.parallelize(range(8), 4).map(lambda _: socket.gethostname()).distinct().collect()
print("EXECUTORS", ",".join(sorted(hosts)))
spark.stop()
'''


def spark_home(version: str) -> Path:
    """The pinned pyspark distribution, unpacked (once) as pip would lay it out: jars/, bin/, python/lib/."""
    root = integration_home() / "host-spark" / version
    home = root / f"pyspark-{version}" / "pyspark"
    if not (home / "jars").exists():
        tarball = next((integration_home() / "cache").rglob(f"pyspark-{version}.tar.gz"), None)
        if tarball is None:
            pytest.fail(f"pyspark-{version}.tar.gz is not in the test home's artifact cache: run devenv fetch")
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        with tarfile.open(tarball) as t:
            t.extractall(root, filter="data")
        dist = root / f"pyspark-{version}"
        for link, target in (("jars", "../deps/jars"), ("bin", "../deps/bin"), ("sbin", "../deps/sbin"), ("python/lib", "../../lib")):
            (dist / "pyspark" / link).symlink_to(target)
        for f in (dist / "deps" / "bin").iterdir():
            f.chmod(0o755)
    return home


@pytest.fixture(scope="module")
def cluster():
    devenv("down", "--name", NAME, "--volumes", "--yes", check=False)
    try:
        devenv("up", "--name", NAME, "--ports", "auto")
        yield devenv("--json", "client-config", "--name", NAME).json()["env"]
    finally:
        devenv("down", "--name", NAME, "--volumes", "--yes", check=False)


def test_host_spark_submit_runs_a_job_on_yarn(cluster: dict[str, str], tmp_path: Path) -> None:
    from devenv import profile

    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.fail("a host JDK (java on PATH or JAVA_HOME) is needed to run spark-submit on the host")
    version = profile.load_profile(profile.builtin_dir() / "default.toml").versions["spark"]
    home = spark_home(version)
    dist = home.parent
    job = tmp_path / "job.py"
    job.write_text(JOB)
    py4j = next((dist / "lib").glob("py4j-*-src.zip"))
    env = {**os.environ, **cluster, "SPARK_HOME": str(home), "PYSPARK_PYTHON": "python3",  # the same name on both sides: executors run the image's python3
           "PYTHONPATH": os.pathsep.join([str(dist), str(py4j)])}
    p = subprocess.run([str(home / "bin" / "spark-submit"), "--master", "yarn", str(job)], capture_output=True, text=True,
                       env=env, timeout=600)
    out = p.stdout + "\n" + p.stderr[-6000:]
    assert p.returncode == 0, out
    assert "MASTER yarn" in p.stdout, out
    assert "ROWS 100000 SUM 4999950000" in p.stdout, out
    executors = next(line for line in p.stdout.splitlines() if line.startswith("EXECUTORS")).split()[1].split(",")
    assert executors and all(h.startswith("nodemanager-") for h in executors), out  # the work ran in the cluster
