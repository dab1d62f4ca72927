"""The pytest plugin's decisions (issue 12): options, names, reuse, keep, the reaper of killed runs' clusters,
the xdist info file, ClusterInfo; and that the plugin costs nothing when no test asks for a cluster.
Only devenv.docker is faked; the real cluster is tests/integration/test_pytest_plugin.py's."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from devenv import cluster, docker, owner, run_cluster
from devenv.cluster_info import ClusterInfo, describe
from devenv.errors import DevenvError, UsageError

pytest_plugins = ["pytester"]
LOCK = "a" * 64
ME = socket.gethostname()


# --- options and names ------------------------------------------------------------------

def test_reuse_is_on_by_default_and_off_under_ci_and_keep_follows_it() -> None:
    local = run_cluster.options(profile=None, name=None, reuse=None, keep=None, environ={})
    ci = run_cluster.options(profile=None, name=None, reuse=None, keep=None, environ={"CI": "true"})
    assert (local.reuse, local.keep) == (True, "always")
    assert (ci.reuse, ci.keep) == (False, "never")
    forced = run_cluster.options(profile="ci", name=None, reuse=True, keep="on-failure", environ={"CI": "true"})
    assert (forced.profile, forced.reuse, forced.keep) == ("ci", True, "on-failure")


def test_bad_options_are_usage_errors_and_per_worker_uses_free_ports() -> None:
    with pytest.raises(UsageError, match="--devenv-keep=sometimes: choose one of never, on-failure, always"):
        run_cluster.options(profile=None, name=None, reuse=None, keep="sometimes", environ={})
    with pytest.raises(UsageError, match="cannot reuse one --devenv-name"):
        run_cluster.options(profile=None, name="x", reuse=True, keep=None, per_worker=True, environ={})
    assert run_cluster.options(profile=None, name=None, reuse=False, keep=None, per_worker=True, ports="fixed", environ={}).ports == "auto"


def test_cluster_names_per_run_per_profile_and_per_worker() -> None:
    opts = lambda **kw: run_cluster.options(profile=None, keep=None, environ={}, **{"name": None, "reuse": False, **kw})  # noqa: E731
    assert run_cluster.cluster_name(opts(), "ci", "0123456789ab", None) == "pytest-ci-012345"
    assert run_cluster.cluster_name(opts(reuse=True), "ci", "0123456789ab", "gw1") == "pytest-ci"
    assert run_cluster.cluster_name(opts(name="mine"), "ci", "0123456789ab", None) == "mine"
    assert run_cluster.cluster_name(opts(per_worker=True), "ci", "0123456789ab", "gw1") == "pytest-ci-012345-gw1"


# --- reuse ------------------------------------------------------------------------------

def state(**kw: object) -> dict[str, object]:
    return {"cluster": "pytest-ci", "profile": "ci", "profile_path": "/p/ci.toml", "lock_digest": LOCK, **kw}


def test_reuse_attaches_only_to_the_same_profile_and_lock() -> None:
    same = dict(profile="ci", profile_path="/p/ci.toml", lock_digest=LOCK)
    assert run_cluster.decide({}, reuse=True, **same) == run_cluster.Decision("start")
    assert run_cluster.decide({}, reuse=False, **same).action == "start"
    assert run_cluster.decide(state(), reuse=True, **same) == run_cluster.Decision("attach")
    other = run_cluster.decide(state(profile="default", profile_path="/p/default.toml", lock_digest="b" * 64), reuse=True, **same)
    assert other.action == "refuse"
    assert other.differences == (
        "profile: the cluster runs 'default' (/p/default.toml), this run asks for 'ci' (/p/ci.toml)",
        "lock digest: the cluster runs bbbbbbbbbbbb, this run's lock is aaaaaaaaaaaa")


def test_reuse_refuses_an_unknown_lock_and_an_existing_cluster_without_reuse() -> None:
    same = dict(profile="ci", profile_path="/p/ci.toml", lock_digest=LOCK)
    old = run_cluster.decide(state(lock_digest=None), reuse=True, **same)
    assert old.differences == ("lock digest: the cluster runs unknown (started by an older devenv), this run's lock is aaaaaaaaaaaa",)
    off = run_cluster.decide(state(), reuse=False, **same)
    assert off.action == "refuse" and "already exists and reuse is off" in off.differences[0]


# --- the reaper ---------------------------------------------------------------------------

def test_dead_runs_are_this_hosts_other_runs_whose_process_is_gone() -> None:
    found = {
        "dead": {"run": "r1", "pid": 111, "host": ME},
        "alive": {"run": "r2", "pid": 222, "host": ME},
        "mine": {"run": "me", "pid": 111, "host": ME},
        "elsewhere": {"run": "r3", "pid": 111, "host": "another-host"},
        "damaged": {},
    }
    assert run_cluster.dead_runs(found, host=ME, is_alive=lambda pid: pid == 222, this_run="me") == ["dead"]


def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_alive_tells_a_running_process_from_a_finished_one() -> None:
    assert run_cluster.alive(os.getpid()) is True
    assert run_cluster.alive(_dead_pid()) is False
    assert run_cluster.alive(0) is False


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch):
    """A fake engine with the leftovers of a killed run's cluster `pytest-ci-dead` (this home's) and another home's."""
    me = owner.home_id()
    lab = lambda c, who: {"devenv.managed": "true", "devenv.cluster": c, "devenv.owner": who}  # noqa: E731
    conts = [docker.ContainerInfo("id1", "devenv-pytest-ci-dead-namenode-1", "namenode", "pytest-ci-dead", "ci", "exited", 137, "t",
                                  "", (), "", lab("pytest-ci-dead", me))]
    vols = [docker.ResourceInfo("volume", "dead-data", lab("pytest-ci-dead", me)), docker.ResourceInfo("volume", "theirs", lab("pytest-ci-dead", "f" * 16))]
    pick = lambda items, c: [r for r in items if c is None or r.cluster == c]  # noqa: E731
    monkeypatch.setattr(docker, "containers", lambda cluster=None, all=True: pick(conts, cluster))
    monkeypatch.setattr(docker, "volumes", lambda cluster=None: pick(vols, cluster))
    monkeypatch.setattr(docker, "networks", lambda cluster=None: [])
    removed: list[str] = []
    monkeypatch.setattr(docker, "remove", lambda containers_=(), volumes_=(), networks_=(): removed.extend([*containers_, *volumes_, *networks_]))
    return removed


def test_reap_removes_this_homes_share_of_a_killed_runs_cluster_and_keeps_live_ones(engine: list[str]) -> None:
    run_cluster.claim("pytest-ci-dead", "r1", _dead_pid())
    run_cluster.claim("pytest-ci-live", "r2", os.getpid())
    assert run_cluster.reap("this-run") == ["pytest-ci-dead"]
    assert engine == ["devenv-pytest-ci-dead-namenode-1", "dead-data"]  # never another home's volume
    assert set(run_cluster.records()) == {"pytest-ci-live"}
    assert run_cluster.records()["pytest-ci-live"]["host"] == ME


def test_reap_downs_a_killed_runs_cluster_that_has_state(engine: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    downs: list[tuple[str, bool]] = []
    monkeypatch.setattr(docker, "compose_down", lambda f, project, volumes: downs.append((project, volumes)))
    c = cluster.Cluster("pytest-ci-dead")
    c.dir.mkdir(parents=True)
    c.compose_file.write_text("{}")
    run_cluster.claim(c.name, "r1", _dead_pid())
    assert run_cluster.reap("this-run") == ["pytest-ci-dead"]
    assert downs == [("devenv-pytest-ci-dead", False)] and "dead-data" in engine and "theirs" not in engine
    assert not c.dir.exists() and run_cluster.records() == {}


def test_a_cluster_that_cannot_be_reaped_now_keeps_its_record_for_the_next_run(engine: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    def busy(containers_=(), volumes_=(), networks_=()) -> None:
        raise DevenvError("removing containers failed (exit 1)")

    monkeypatch.setattr(docker, "remove", busy)
    run_cluster.claim("pytest-ci-dead", "r1", _dead_pid())
    assert run_cluster.reap("this-run") == []
    assert set(run_cluster.records()) == {"pytest-ci-dead"}


# --- keep ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("keep", "failed", "removed"), [("never", True, True), ("on-failure", False, True), ("on-failure", True, False),
                                                         ("always", False, False)])
def test_finish_removes_or_keeps_an_owned_cluster(engine: list[str], keep: str, failed: bool, removed: bool) -> None:
    run_cluster.claim("pytest-ci-dead", "r1", os.getpid())
    said = run_cluster.finish("pytest-ci-dead", owned=True, keep=keep, failed=failed)
    assert ("dead-data" in engine) is removed
    assert said.startswith("removed cluster" if removed else "kept cluster 'pytest-ci-dead': attach with --devenv-name pytest-ci-dead")
    assert run_cluster.records() == {}  # kept: an ordinary cluster now, never reaped


def test_finish_leaves_a_cluster_the_run_attached_to(engine: list[str]) -> None:
    assert run_cluster.finish("pytest-ci-dead", owned=False, keep="never", failed=False).startswith("left cluster")
    assert engine == []


# --- xdist: one cluster, an info file ------------------------------------------------------------

def info(name: str = "pytest-ci") -> ClusterInfo:
    return ClusterInfo(name, "ci", LOCK, "hdfs://localhost:8020", "http://localhost:9870/webhdfs/v1", "http://localhost:8088",
                       "jdbc:hive2://localhost:10000/default", "localhost", 10000, "thrift://localhost:9083",
                       {"namenode": "http://localhost:9870"}, Path("/h/client"), ("namenode", "metastore"), {"HADOOP_USER_NAME": "hadoop"})


def test_the_first_worker_starts_the_cluster_and_the_others_read_its_info(tmp_path: Path) -> None:
    starts: list[int] = []

    def start() -> tuple[ClusterInfo, bool]:
        starts.append(1)
        return info(), True

    first = run_cluster.shared(tmp_path, start, wait=5, keep="on-failure")
    second = run_cluster.shared(tmp_path, start, wait=5)
    assert first == second == info() and starts == [1]
    assert run_cluster.shared_record(tmp_path) == {"info": info().to_json(), "owned": True, "keep": "on-failure"}


def test_a_failed_start_fails_every_worker_and_the_controller_has_nothing_to_remove(tmp_path: Path) -> None:
    def start() -> tuple[ClusterInfo, bool]:
        raise DevenvError("namenode not ready after 600 s")

    with pytest.raises(DevenvError, match="namenode not ready"):
        run_cluster.shared(tmp_path, start, wait=5)
    with pytest.raises(DevenvError, match="failed to start in another worker: namenode not ready"):
        run_cluster.shared(tmp_path, lambda: (info(), True), wait=5)
    assert run_cluster.shared_record(tmp_path) is None
    assert run_cluster.shared_record(tmp_path / "none") is None


# --- ClusterInfo ----------------------------------------------------------------------------------

def test_cluster_info_of_the_ci_profile(isolated: Path) -> None:
    from devenv import profile as prof
    from devenv.services import instances, ports

    p = prof.load_profile(prof.select("ci")[0])
    c = cluster.Cluster("pytest-ci")
    (c.dir / "client" / "hadoop").mkdir(parents=True)
    (c.dir / "client" / "hadoop" / "core-site.xml").write_text("<configuration/>")
    got = describe(c, ports(p, {("namenode", "rpc"): 18020}), profile="ci", lock_digest=LOCK, services=[i for i, _ in instances(p)])
    assert (got.hdfs_uri, got.webhdfs_url, got.resourcemanager_url) == ("hdfs://localhost:18020", "http://localhost:9870/webhdfs/v1", "http://localhost:8088")
    assert (got.hiveserver2_jdbc_url, got.hiveserver2_host, got.hiveserver2_port) == ("jdbc:hive2://localhost:10000/default", "localhost", 10000)
    assert got.metastore_uri == "thrift://localhost:9083"
    assert got.services == ("namenode", "datanode-1", "resourcemanager", "nodemanager-1", "metastore-db", "metastore", "hiveserver2")
    assert set(got.ui_urls) == {"namenode", "datanode-1", "resourcemanager", "nodemanager-1", "hiveserver2"}  # no history servers in ci
    assert got.env() == {"HADOOP_CONF_DIR": str(c.dir / "client" / "hadoop"), "SPARK_CONF_DIR": str(c.dir / "client" / "spark"),
                         "HADOOP_USER_NAME": "hadoop"}
    assert ClusterInfo.from_json(json.loads(json.dumps(got.to_json()))) == got
    with pytest.raises(Exception):
        got.name = "other"  # type: ignore[misc]  # frozen


def test_cluster_info_logs_since_and_exec_reach_the_services_container(monkeypatch: pytest.MonkeyPatch) -> None:
    box = docker.ContainerInfo("id", "devenv-pytest-ci-namenode-1", "namenode", "pytest-ci", "ci", "running", 0, "t", "", ())
    monkeypatch.setattr(docker, "containers", lambda cluster=None, all=True: [box] if cluster == "pytest-ci" else [])
    asked: list[object] = []
    monkeypatch.setattr(docker, "logs", lambda c, tail=None, since=None: asked.append((c, since)) or "line\n")
    monkeypatch.setattr(docker, "exec_in", lambda c, cmd, user=None: f"{c}: {' '.join(cmd)}")
    assert info().logs("namenode", since=0.0) == "line\n"
    assert asked == [("devenv-pytest-ci-namenode-1", datetime(1970, 1, 1, tzinfo=timezone.utc))]
    assert info().exec("namenode", "hdfs", "dfs", "-ls", "/") == "devenv-pytest-ci-namenode-1: hdfs dfs -ls /"
    with pytest.raises(DevenvError, match="cluster 'pytest-ci' has no running service 'hive'"):
        info().exec("hive", "true")


# --- the plugin in a pytest run ---------------------------------------------------------------------

def test_the_plugin_costs_nothing_when_no_test_asks_for_a_cluster(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        import sys
        def test_plain():
            heavy = [m for m in sys.modules if m.startswith(("devenv.", "python_on_whales", "rich")) and m != "devenv.pytest_plugin"]
            assert heavy == []
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_the_options_are_listed_and_checked(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--help")
    result.stdout.fnmatch_lines(["*--devenv-profile=NAME|PATH*", "*--devenv-reuse*", "*--devenv-keep=*", "*--devenv-seed*",
                                 "*--devenv-per-worker*"])
    bad = pytester.runpytest_subprocess("--devenv-keep=sometimes")
    assert bad.ret == pytest.ExitCode.USAGE_ERROR
    bad.stderr.fnmatch_lines(["*--devenv-keep: invalid choice: 'sometimes'*"])


def test_a_refused_reuse_fails_the_tests_that_ask_with_the_difference(pytester: pytest.Pytester, isolated: Path) -> None:
    c = cluster.Cluster("pytest-ci")
    c.write_state({"cluster": "pytest-ci", "profile": "default", "profile_path": "/elsewhere/default.toml", "lock_digest": "b" * 64})
    pytester.makepyfile("""
        def test_needs(devenv_cluster):
            pass
        def test_plain():
            pass
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--devenv-profile=ci", "--devenv-reuse")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*cannot use cluster 'pytest-ci' for this test run*",
                                 "*profile: the cluster runs 'default' (/elsewhere/default.toml), this run asks for 'ci'*",
                                 "*lock digest: the cluster runs bbbbbbbbbbbb*"])


def test_devenv_options_fixture_sets_defaults_that_the_command_line_overrides(pytester: pytest.Pytester, isolated: Path) -> None:
    c = cluster.Cluster("from-fixture")
    c.write_state({"cluster": "from-fixture", "profile": "default", "profile_path": "/elsewhere/default.toml", "lock_digest": "b" * 64})
    pytester.makeconftest("""
        import pytest
        @pytest.fixture(scope="session")
        def devenv_options():
            return {"name": "from-fixture", "profile": "ci", "reuse": True}
    """)
    pytester.makepyfile("def test_needs(devenv_cluster):\n    pass\n")
    by_fixture = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    by_fixture.stdout.fnmatch_lines(["*cannot use cluster 'from-fixture' for this test run*", "*this run asks for 'ci'*"])
    by_option = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--devenv-profile=default")
    by_option.stdout.fnmatch_lines(["*cannot use cluster 'from-fixture' for this test run*", "*this run asks for 'default'*"])


def test_devenv_scope_module_is_accepted_and_a_bad_scope_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ndevenv_scope = fortnight\n")
    pytester.makepyfile("def test_needs(devenv_cluster):\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret != pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["*devenv_scope = 'fortnight': choose session or module*"])
