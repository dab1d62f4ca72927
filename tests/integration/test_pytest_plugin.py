"""Issue 12: the pytest plugin, run for real on tests/sample_project (a project that uses only the plugin) under pytester.

One cluster (plug-sample, profile ci) for the whole module, started once by the first run and then reused:
1. a fresh start shared by two xdist workers (`-n 2`), with a failing test: its service logs are in the report and
   in the artifacts directory, and `--devenv-keep=on-failure` keeps the cluster;
2. a second run attaches to it (`--devenv-reuse`, same profile and lock): nothing is recreated;
3. a run asking for another profile is refused, naming the difference;
4. the reaper removes it once its (recorded) owner process is gone, as a later run does after a killed one.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from integration.conftest import REPO, devenv

pytestmark = pytest.mark.docker
pytest_plugins = ["pytester"]

NAME = "plug-sample"
SAMPLE = REPO / "tests" / "sample_project"
BASE = ("-p", "no:cacheprovider", "--devenv-profile=ci", f"--devenv-name={NAME}")


@pytest.fixture(scope="module", autouse=True)
def _one_cluster_for_the_module():
    devenv("down", "--name", NAME, "--volumes", "--yes", check=False)
    yield
    devenv("down", "--name", NAME, "--volumes", "--yes", check=False)


def run_sample(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, *args: str, **env: str) -> pytest.RunResult:
    for f in SAMPLE.glob("*.py"):
        shutil.copy(f, pytester.path / f.name)
    monkeypatch.setenv("CI", "true")
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return pytester.runpytest_subprocess(*BASE, *args, timeout=900)


def seen(out: Path) -> dict[str, set[str]]:
    """Which cluster each process (xdist worker, or main) saw."""
    return {f.stem: {json.loads(line)["name"] for line in f.read_text().splitlines()} for f in out.glob("*.seen")}


def test_fresh_start_shared_by_two_xdist_workers_kept_on_failure_with_the_logs(pytester: pytest.Pytester,
                                                                               monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from devenv import docker, run_cluster

    marker = f"sample-marker-{uuid.uuid4().hex[:8]}"
    r = run_sample(pytester, monkeypatch, "-n", "2", "--devenv-no-reuse", "--devenv-keep=on-failure",
                   SAMPLE_FAIL=marker, SAMPLE_OUT=str(tmp_path))
    r.assert_outcomes(passed=2, failed=1)
    assert seen(tmp_path) == {"gw0": {NAME}, "gw1": {NAME}}  # both workers, one cluster
    assert [c.service for c in docker.containers(NAME)].count("namenode") == 1
    out = r.stdout.str()
    assert re.search(rf"devenv {NAME} namenode log \(\d+ lines; all in ", out) and marker in out
    assert f"devenv: kept cluster '{NAME}': attach with --devenv-name {NAME} --devenv-reuse" in out
    logs = pytester.path / "devenv-artifacts" / "test_sample.py_test_fails_when_asked"
    assert marker in (logs / "namenode.log").read_text()
    assert {p.stem for p in logs.glob("*.log")} == {"namenode", "datanode-1", "resourcemanager", "nodemanager-1", "metastore-db",
                                                   "metastore", "hiveserver2"}
    assert NAME not in run_cluster.records()  # kept: an ordinary cluster now, no run owns it
    assert all(c.running for c in docker.containers(NAME))


def test_reuse_attaches_to_the_running_matching_cluster(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
                                                        tmp_path: Path) -> None:
    from devenv import docker, run_cluster
    from devenv.console import Ui

    before = {c.service: c.id for c in docker.containers(NAME)}
    r = run_sample(pytester, monkeypatch, "--devenv-reuse", "--durations=0", "-vv", SAMPLE_OUT=str(tmp_path))
    r.assert_outcomes(passed=3)
    assert seen(tmp_path) == {"main": {NAME}}
    assert {c.service: c.id for c in docker.containers(NAME)} == before  # attached: nothing recreated, nothing removed
    assert "devenv: " not in r.stdout.str()  # a cluster the run attached to is neither kept nor removed by it
    # what the fixture costs on a running matching cluster (reported in the README; not asserted: no timed assertions)
    started = time.monotonic()
    info, owned = run_cluster.acquire(run_cluster.options(profile="ci", name=NAME, reuse=True, keep=None, environ={}),
                                      run_id="measure", owner_pid=os.getpid(), worker=None, ui=Ui(no_color=True))
    took = time.monotonic() - started
    setup = re.search(r"([\d.]+)s setup\s+test_sample.py::test_webhdfs_lists_the_root", r.stdout.str())
    print(f"devenv_cluster with --devenv-reuse on a running matching cluster: {took:.2f} s in-process; "
          f"first test's setup in the pytester run {setup.group(1) if setup else '?'} s", file=sys.stderr)
    assert (info.name, owned) == (NAME, False)


def test_reuse_refuses_a_cluster_of_another_profile_naming_the_difference(pytester: pytest.Pytester,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from devenv import docker

    before = {c.service: c.id for c in docker.containers(NAME)}
    for f in SAMPLE.glob("*.py"):
        shutil.copy(f, pytester.path / f.name)
    monkeypatch.setenv("CI", "true")
    r = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--devenv-profile=default", f"--devenv-name={NAME}", "--devenv-reuse",
                                      timeout=300)
    r.assert_outcomes(errors=3)
    r.stdout.fnmatch_lines([f"*cannot use cluster '{NAME}' for this test run*",
                            f"*profile: the cluster runs 'ci' (*ci.toml), this run asks for 'default' (*default.toml)*"])
    assert {c.service: c.id for c in docker.containers(NAME)} == before


def test_a_killed_runs_cluster_is_reaped_by_the_next_run() -> None:
    from devenv import docker, run_cluster

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    run_cluster.claim(NAME, "a-killed-run", gone.pid)
    assert NAME in run_cluster.reap("the-next-run")
    assert docker.containers(NAME) == [] and docker.volumes(NAME) == [] and docker.networks(NAME) == []
    assert NAME not in run_cluster.records()
