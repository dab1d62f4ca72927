"""A project that uses only devenv's pytest plugin: the `devenv_cluster` fixture, nothing else from devenv.

tests/integration/test_pytest_plugin.py runs it under pytester with different --devenv-* options. Each
test writes which process saw which cluster into $SAMPLE_OUT, so the runner can tell that xdist workers
shared one cluster. With $SAMPLE_FAIL set, one test writes that marker into the namenode's log and fails.
"""

from __future__ import annotations

import json
import os
import urllib.request
from pathlib import Path

import pytest


@pytest.fixture
def cluster(devenv_cluster):
    out = os.environ.get("SAMPLE_OUT")
    if out:
        with open(Path(out) / f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}.seen", "a", encoding="utf-8") as f:
            f.write(json.dumps({"name": devenv_cluster.name, "pid": os.getpid()}) + "\n")
    return devenv_cluster


def test_webhdfs_lists_the_root(cluster) -> None:
    with urllib.request.urlopen(f"{cluster.webhdfs_url}/?op=LISTSTATUS&user.name=hadoop", timeout=30) as r:
        names = {s["pathSuffix"] for s in json.load(r)["FileStatuses"]["FileStatus"]}
    assert {"tmp", "user"} <= names


def test_exec_and_client_config(cluster) -> None:
    assert cluster.exec("namenode", "hdfs", "getconf", "-confKey", "dfs.replication").strip() == "1"
    env = cluster.env()
    assert Path(env["HADOOP_CONF_DIR"], "core-site.xml").is_file()
    assert cluster.hiveserver2_jdbc_url == f"jdbc:hive2://{cluster.hiveserver2_host}:{cluster.hiveserver2_port}/default"


def test_fails_when_asked(cluster) -> None:
    marker = os.environ.get("SAMPLE_FAIL")
    if marker:
        cluster.exec("namenode", "sh", "-c", f"echo {marker} > /proc/1/fd/1")
        pytest.fail(f"failing as asked ({marker})")
