"""The images' shared entrypoint library and the entrypoints that source it, run with bash on real temp files.

Each entrypoint must check every setting, report all problems in one run (exit
64) and only then exec the daemon: the daemon gets the entrypoint's PID, so no
shell stays its parent to swallow tini's SIGTERM. Daemons are faked by small
scripts on PATH that print their PID and arguments.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import REPO

IMAGES = REPO / "images"
LIB = IMAGES / "lib" / "entrypoint.sh"
ENTRYPOINTS = {
    "hadoop": IMAGES / "hadoop" / "entrypoint.sh",
    "hive": IMAGES / "hive" / "bin" / "hive-entrypoint",
    "spark": IMAGES / "spark" / "entrypoint.sh",
    "postgres": IMAGES / "postgres" / "entrypoint.sh",
}
GOOD_XML = "<configuration><property><name>a</name><value>1</value></property></configuration>\n"
BAD_XML = "<configuration><property></configuration>\n"

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")


def lib(script: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `script` in bash after sourcing the library, as an entrypoint does."""
    return subprocess.run(["bash", "-c", f"set -euo pipefail; . '{LIB}'; {script}", "test-entrypoint"],
                          capture_output=True, text=True, env={**os.environ, **env}, timeout=60)


def fake(bindir: Path, name: str) -> None:
    """An executable that reports its PID and arguments, standing in for a daemon."""
    bindir.mkdir(parents=True, exist_ok=True)
    f = bindir / name
    f.write_text(f'#!/bin/sh\necho "{name} pid=$$ args=$*"\n')
    f.chmod(0o755)


def entrypoint(name: str, args: list[str], env: dict[str, str], bindir: Path) -> tuple[int, int, str, str]:
    """(pid, exit code, stdout, stderr) of one real entrypoint run under bash."""
    full = {**os.environ, "DEVENV_ENTRYPOINT_LIB": str(LIB), "PATH": f"{bindir}:{os.environ['PATH']}", **env}
    p = subprocess.Popen(["bash", str(ENTRYPOINTS[name]), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, env=full)
    out, err = p.communicate(timeout=60)
    return p.pid, p.returncode, out, err


def conf(d: Path, **files: str) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    for n, text in files.items():
        (d / n.replace("__", ".").replace("_", "-")).write_text(text)
    return d


def java_home(tmp_path: Path) -> str:
    fake(tmp_path / "java" / "bin", "java")
    return str(tmp_path / "java")


def test_malformed_xml_and_bad_memory_are_reported_together(tmp_path: Path) -> None:
    d = conf(tmp_path / "conf", core_site__xml=GOOD_XML, hdfs_site__xml=BAD_XML)
    r = lib(f"check_xml '{d}'; check_memory SPARK_DAEMON_MEMORY 512m; run_daemon echo started", SPARK_DAEMON_MEMORY="lots")
    assert r.returncode == 64
    assert r.stdout == ""
    lines = r.stderr.splitlines()
    assert lines[0].startswith(f"test-entrypoint: error: {d}/hdfs-site.xml is not well-formed XML (mismatched tag: line 1")
    assert lines[1:] == [
        "test-entrypoint: error: SPARK_DAEMON_MEMORY must be a memory size like 512m or 2g, got 'lots'",
        "test-entrypoint: error: 2 problems with the settings above; nothing started",
    ]
    assert "core-site.xml" not in r.stderr


def test_a_good_config_passes_and_execs(tmp_path: Path) -> None:
    d = conf(tmp_path / "conf", core_site__xml=GOOD_XML, yarn_site__xml=GOOD_XML)
    r = lib(f"check_xml '{d}'; check_memory HEAP; check_memory UNSET 256m; check_port P 9083; "
            "run_daemon echo started \"$HEAP\" \"$UNSET\"", HEAP="1024")
    assert (r.returncode, r.stdout, r.stderr) == (0, "started 1024m 256m\n", "")


def test_die_exits_non_zero_with_the_message_on_stderr() -> None:
    r = lib("die 'HADOOP_CONF_DIR is missing'; echo after")
    assert (r.returncode, r.stdout) == (64, "")
    assert r.stderr == "test-entrypoint: error: HADOOP_CONF_DIR is missing\n"


@pytest.mark.parametrize(("value", "ok"), [("512m", True), ("2G", True), ("64", True), ("0m", False), ("1.5g", False),
                                           ("512mb", False), ("-1m", False), ("", True)])
def test_memory_sizes(value: str, ok: bool) -> None:
    r = lib("check_memory M; report_problems; echo \"ok ${M:-}\"", M=value)
    assert (r.returncode == 0) is ok, r.stderr


@pytest.mark.parametrize("script", [LIB, *ENTRYPOINTS.values(), *sorted((IMAGES / "hive" / "bin").iterdir()),
                                    IMAGES / "hadoop" / "bin" / "hadoop"], ids=lambda p: str(p.relative_to(IMAGES)))
def test_scripts_parse(script: Path) -> None:
    r = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True, timeout=30)
    assert (r.returncode, r.stderr) == (0, "")
    assert b"\r\n" not in script.read_bytes()


def test_hadoop_reports_every_problem_before_starting(tmp_path: Path) -> None:
    d = conf(tmp_path / "conf", hdfs_site__xml=BAD_XML)
    pid, rc, out, err = entrypoint("hadoop", ["datanode"], {"HADOOP_CONF_DIR": str(d), "HADOOP_HEAPSIZE_MAX": "big",
                                   "HADOOP_LOG_DIR": str(tmp_path / "logs"), "JAVA_HOME": str(tmp_path / "nojava")},
                                   tmp_path / "bin")
    assert (rc, out) == (64, "")
    errors = [line.split(": error: ", 1)[1] for line in err.splitlines()]
    assert errors[0] == f"{d}/core-site.xml is missing or unreadable"
    assert errors[1].startswith(f"{d}/hdfs-site.xml is not well-formed XML")
    assert errors[2:] == [f"no java at JAVA_HOME={tmp_path / 'nojava'}",
                          "HADOOP_HEAPSIZE_MAX must be a memory size like 512m or 2g, got 'big'",
                          "4 problems with the settings above; nothing started"]


def test_hadoop_execs_the_daemon(tmp_path: Path) -> None:
    d = conf(tmp_path / "conf", core_site__xml=GOOD_XML)
    fake(tmp_path / "bin", "hdfs")
    pid, rc, out, err = entrypoint("hadoop", ["datanode", "-x"], {"HADOOP_CONF_DIR": str(d), "HADOOP_HEAPSIZE_MAX": "300",
                                   "HADOOP_LOG_DIR": str(tmp_path / "logs"), "JAVA_HOME": java_home(tmp_path)},
                                   tmp_path / "bin")
    assert (rc, out, err) == (0, f"hdfs pid={pid} args=datanode -x\n", "")


def test_spark_history_reports_every_problem(tmp_path: Path) -> None:
    sconf = conf(tmp_path / "spark", spark_defaults__conf="spark.master yarn\n")
    hconf = conf(tmp_path / "hadoop", core_site__xml=BAD_XML)
    pid, rc, out, err = entrypoint("spark", ["spark-history"], {
        "SPARK_CONF_DIR": str(sconf), "HADOOP_CONF_DIR": str(hconf), "JAVA_HOME": java_home(tmp_path),
        "SPARK_HOME": str(tmp_path / "spark-home"), "SPARK_DAEMON_MEMORY": "1 GB", "SPARK_HISTORY_MKDIR": "yes"},
        tmp_path / "bin")
    assert (rc, out) == (64, "")
    errors = [line.split(": error: ", 1)[1] for line in err.splitlines()]
    assert errors[0].startswith(f"{hconf}/core-site.xml is not well-formed XML")
    assert errors[1:] == [f"no spark-class in SPARK_HOME={tmp_path / 'spark-home'}",
                          "SPARK_DAEMON_MEMORY must be a memory size like 512m or 2g, got '1 GB'",
                          "SPARK_HISTORY_MKDIR must be one of 0 1, got 'yes'",
                          f"spark.history.fs.logDirectory is not set in {sconf}/spark-defaults.conf",
                          "5 problems with the settings above; nothing started"]


def test_spark_history_execs_spark_class(tmp_path: Path) -> None:
    sconf = conf(tmp_path / "spark", spark_defaults__conf="spark.history.fs.logDirectory file:/tmp/ev\n")
    fake(tmp_path / "spark-home" / "bin", "spark-class")
    pid, rc, out, err = entrypoint("spark", ["spark-history"], {
        "SPARK_CONF_DIR": str(sconf), "HADOOP_CONF_DIR": str(tmp_path / "none"), "JAVA_HOME": java_home(tmp_path),
        "SPARK_HOME": str(tmp_path / "spark-home"), "SPARK_DAEMON_MEMORY": ""}, tmp_path / "bin")
    assert (rc, out, err) == (0, f"spark-class pid={pid} args=org.apache.spark.deploy.history.HistoryServer\n", "")


def test_hive_reports_every_problem_then_execs(tmp_path: Path) -> None:
    hive_home = tmp_path / "hive"
    fake(hive_home / "bin", "hive")
    env = {"HIVE_HOME": str(hive_home), "HIVE_CONF_DIR": str(conf(tmp_path / "hconf")), "HADOOP_CONF_DIR": str(tmp_path / "none"),
           "JAVA_HOME": java_home(tmp_path), "HIVE_HEAP": "x", "METASTORE_PORT": "99999", "METASTORE_DB_TYPE": "db2"}
    pid, rc, out, err = entrypoint("hive", ["metastore"], env, tmp_path / "bin")
    assert (rc, out) == (64, "")
    assert [line.split(": error: ", 1)[1] for line in err.splitlines() if ": error: " in line] == [
        f"no readable hive-site.xml or metastore-site.xml in HIVE_CONF_DIR={tmp_path / 'hconf'}",
        "HIVE_HEAP must be a memory size like 512m or 2g, got 'x'",
        "METASTORE_DB_TYPE must be one of postgres mysql mssql oracle derby, got 'db2'",
        "METASTORE_PORT must be a port number (1-65535), got '99999'",
        "4 problems with the settings above; nothing started"]
    conf(tmp_path / "hconf", hive_site__xml=GOOD_XML)
    pid, rc, out, err = entrypoint("hive", ["hiveserver2"], {**env, "HIVE_HEAP": "768"}, tmp_path / "bin")
    assert rc == 0, err
    assert out == f"hive pid={pid} args=--service hiveserver2 --hiveconf hive.server2.sleep.interval.between.start.attempts=5s\n"


def test_postgres_reports_every_first_start_problem(tmp_path: Path) -> None:
    secret = tmp_path / "pw"
    secret.write_text("")
    pid, rc, out, err = entrypoint("postgres", [], {"PGDATA": str(tmp_path / "pgdata"), "METASTORE_DB": "Meta-Store",
                                   "METASTORE_DB_USER": "postgres", "METASTORE_DB_PASSWORD": "",
                                   "METASTORE_DB_PASSWORD_FILE": str(secret)}, tmp_path / "bin")
    assert (rc, out) == (64, "")
    expected = ["must not run as root"] if os.geteuid() == 0 else []
    expected += ["METASTORE_DB must match ^[a-z_][a-z0-9_]{0,62}$, got 'Meta-Store'",
                 "METASTORE_DB_USER must not be the superuser 'postgres'",
                 f"METASTORE_DB_PASSWORD_FILE={secret} is empty"]
    assert [line.split(": error: ", 1)[1] for line in err.splitlines()] == [
        *expected, f"{len(expected)} problems with the settings above; nothing started"]
