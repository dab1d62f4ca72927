"""The doctor's runner, selection, exit codes, output (human and --json) and --fix, over the real probes.

As in test_doctor_checks, only devenv.docker is faked; the machine the command sees is built for
real: a user profile whose ports are free here, a filled cache for its lock, local HTTP servers
for the artifact sources, an empty PATH and HOME.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import socket
import threading
from typing import Any

import pytest

from devenv import docker, doctor
from devenv.doctor import Check, Context, Finding, SafeFix, Skip
from devenv.errors import DevenvError
from devenv.paths import paths
import test_doctor_checks as tdc
from devenv.doctor.probes import Probes
from test_doctor_checks import ENGINE, world  # noqa: F401  (world: the autouse clean machine)


def _ctx() -> Context:
    return Context(Probes(), paths())


def test_runner_reports_timeouts_exceptions_and_skips_as_states() -> None:
    release = threading.Event()

    def slow(ctx: Context) -> Finding:
        release.wait(10)  # held until the test lets it go, long after its 0.2 s deadline
        return doctor.ok("late")

    def boom(ctx: Context) -> Finding:
        raise RuntimeError("kaboom")

    def user_error(ctx: Context) -> Finding:
        raise DevenvError("listing containers failed (exit 1)", hint="the engine's own words are in the debug log")

    def skipped(ctx: Context) -> Finding:
        raise Skip("not today")

    def hangs(ctx: Context) -> Finding:
        raise TimeoutError("`hive --version` did not answer within 2 s")

    checks = [Check("t.slow", "host", "slow", slow, timeout=0.2), Check("t.boom", "host", "boom", boom),
              Check("t.user", "host", "user", user_error), Check("t.skip", "host", "skip", skipped), Check("t.hang", "host", "hang", hangs)]
    try:
        results = doctor.run_checks(checks, _ctx())
        assert not release.is_set()  # the run came back while the slow check was still held: it did not wait for it
    finally:
        release.set()
    got = [(r.check.id, r.finding.state, r.finding.message) for r in results]
    assert got == [
        ("t.slow", "error", "timed out after 0.2 s"),
        ("t.boom", "error", "t.boom could not run: RuntimeError: kaboom"),
        ("t.user", "error", "t.user could not run: listing containers failed (exit 1)"),
        ("t.skip", "skip", "not today"),
        ("t.hang", "error", "timed out: `hive --version` did not answer within 2 s"),
    ]
    assert results[0].finding.fix == "run it alone with -v (devenv doctor --check t.slow); the debug log shows where it waited"


def test_checks_run_concurrently() -> None:
    """Every check waits at one barrier for all the others: they pass it only if they all run at once."""
    n = 6
    barrier = threading.Barrier(n, timeout=10)

    def meet(ctx: Context) -> Finding:
        barrier.wait()
        return doctor.ok("met")

    checks = [Check(f"t.{i}", "host", "t", meet, timeout=30) for i in range(n)]
    assert [(r.finding.state, r.finding.message) for r in doctor.run_checks(checks, _ctx())] == [("ok", "met")] * n


def test_shared_probes_run_once_for_all_checks() -> None:
    calls = []
    tdc.ENG.set("engine_info", lambda: calls.append(1) or ENGINE)
    ctx = Context(Probes(), paths())
    checks = [Check(f"t.{i}", "engine", "t", lambda c: doctor.ok(c.engine().server_version)) for i in range(8)]
    assert {r.finding.message for r in doctor.run_checks(checks, ctx)} == {"26.1.5"}
    assert calls == [1]


def test_every_registered_check_has_a_known_category_and_a_unique_id() -> None:
    ids = [c.id for c in doctor.all_checks()]
    assert len(ids) == len(set(ids))
    for expected in ("engine.reachable", "engine.versions", "engine.resources", "host.disk", "host.arch", "ports.free",
                     "engine.test-container", "net.sources", "net.tls", "net.proxy", "windows.wsl2", "windows.autocrlf",
                     "cache.offline", "parity.java", "parity.python", "parity.pyspark", "parity.scala", "parity.hadoop-cli",
                     "cluster.images", "cluster.versions", "cluster.config", "cluster.hdfs", "cluster.yarn", "cluster.leftovers"):
        assert expected in ids
    assert all(c.category in doctor.CATEGORIES for c in doctor.all_checks())


def test_select_by_id_or_category_and_unknown_ids() -> None:
    assert [c.id for c in doctor.select(["parity.java", "net"])] == ["net.sources", "net.tls", "net.proxy", "parity.java"]
    with pytest.raises(DevenvError) as e:
        doctor.select(["engine.reachabel"])
    assert (e.value.message, e.value.hint) == ("no check named 'engine.reachabel'", "did you mean 'engine.reachable'? see devenv doctor --list-checks")


def test_summary_exit_codes_and_strict() -> None:
    c = Check("t.x", "host", "x", lambda ctx: doctor.ok(""))
    res = lambda *states: [doctor.Result(c, Finding(s, ""), 0.0) for s in states]  # noqa: E731
    assert doctor.summary(res("ok", "warn", "skip", "error"), strict=False)["exit_code"] == 0
    assert doctor.summary(res("ok", "warn"), strict=True)["exit_code"] == 1
    assert doctor.summary(res("ok", "error"), strict=True)["exit_code"] == 1
    assert doctor.summary(res("ok", "fail"), strict=False) == {"ok": 1, "warn": 0, "fail": 1, "skip": 0, "error": 0, "strict": False, "exit_code": 1}


# --- the command, in-process, on a machine built for it ----------------------------------------------

@pytest.fixture
def probes(tmp_path, monkeypatch: pytest.MonkeyPatch):
    """A healthy machine for `devenv doctor`: call the fixture with engine answers to change (devenv.docker)."""
    from realworld import free_port_base, http_server
    from test_doctor_checks import sources
    from test_probes import write_lock_and_cache

    from conftest import REPO

    user = paths().user_profiles
    user.mkdir(parents=True)
    base = free_port_base(13)
    text = (REPO / "profiles" / "default.toml").read_text(encoding="utf-8")
    assert 'bind = "127.0.0.1"' in text
    (user / "default.toml").write_text(text.replace('bind = "127.0.0.1"', f'bind = "127.0.0.1"\nport_base = {base}', 1), encoding="utf-8")
    write_lock_and_cache(tmp_path, {"a": b"a" * 10, "b": b"b" * 20, "c": b"c" * 30}).rename(user / "default.lock")
    from devenv import artifacts

    artifacts.pypi_dir().mkdir(parents=True, exist_ok=True)
    root = tmp_path / "docker-root"
    root.mkdir()
    answers: dict[str, Any] = dict(engine_info=dataclasses.replace(ENGINE, root_dir=str(root)), compose_version="2.26.1", buildx_version="v0.13.1",
                                   containers=[], networks=[], volumes=[], images=[])

    def use(**over: Any) -> None:
        for k, v in {**answers, **over}.items():
            tdc.ENG.set(k, v)

    use()
    with http_server() as port:
        sources(f"http://127.0.0.1:{port}/maven2", f"http://127.0.0.1:{port}/simple")
        yield use


def _disk_is_enough() -> bool:
    """Whether this machine's real free space passes host.disk (its data root and cache are under tmp)."""
    import shutil

    from devenv.doctor.checks.host import DISK_CACHE, DISK_DOCKER

    import tempfile

    free = shutil.disk_usage(tempfile.gettempdir()).free
    return free >= max(DISK_CACHE[1], DISK_DOCKER[1]) * 1024**3


def test_json_has_a_versioned_shape_and_exit_0(cli, probes) -> None:
    r = cli("--json", "doctor")
    assert r.code == 0, r.err
    data = json.loads(r.out)
    assert data["schema"] == 1 and data["profile"] == "default"
    assert set(data["summary"]) == {"ok", "warn", "fail", "skip", "error", "strict", "exit_code", "seconds"}
    first = data["checks"][0]
    assert set(first) == {"id", "category", "title", "state", "message", "found", "required", "fix", "safe_fix", "seconds"}
    states = {c["id"]: c["state"] for c in data["checks"]}
    assert states["engine.reachable"] == "ok" and states["ports.free"] == "ok" and states["cluster.hdfs"] == "skip"
    assert states["net.sources"] == "ok" and states["cache.offline"] == "ok"
    if not _disk_is_enough():  # the one state this machine decides: its real free space
        assert states["host.disk"] == "fail"
        data["summary"]["fail"] -= 1
        data["summary"]["exit_code"] = 0 if data["summary"]["fail"] == 0 else data["summary"]["exit_code"]
    assert data["summary"]["fail"] == 0 and data["summary"]["exit_code"] == 0


def test_a_failure_exits_1_and_the_human_view_shows_found_required_fix(cli, probes) -> None:
    probes(engine_info=dataclasses.replace(ENGINE, memory_bytes=int(3.8 * 1024**3)))
    r = cli("doctor", "--check", "engine")
    assert r.code == 1
    lines = r.out.splitlines()
    assert lines[0] == "devenv doctor, profile 'default'"
    assert "Docker engine" in lines
    i = next(n for n, line in enumerate(lines) if "engine.resources" in line)
    assert lines[i].split(None, 2)[1:] == ["engine.resources", "Docker has 3.8 GB, profile 'default' needs 7.0 GB"]
    assert lines[i + 1].split() == ["found:", "3.8", "GB,", "4", "CPUs", "required:", "7.0", "GB", "(resources.total),", "2", "CPUs"]
    assert lines[i + 2].strip().startswith("fix: give Docker at least 7.0 GB")
    assert lines[-1] == "2 ok, 1 failed, 1 skipped: something failed"


def test_warnings_exit_0_unless_strict(cli, probes) -> None:
    probes(engine_info=dataclasses.replace(ENGINE, cpus=1))
    assert cli("doctor", "--check", "engine.resources").code == 0
    r = cli("doctor", "--check", "engine.resources", "--strict")
    assert r.code == 1
    assert r.out.splitlines()[-1] == "1 warnings: something failed (--strict: warnings and errors count)"


def test_unknown_check_is_a_usage_error(cli, probes) -> None:
    r = cli("doctor", "--check", "nope.nothing")
    assert r.code == 2
    assert "error: no check named 'nope.nothing'" in r.err


def test_list_checks(cli) -> None:
    r = cli("doctor", "--list-checks")
    assert r.code == 0
    assert any(line.split()[:2] == ["net.tls", "net"] for line in r.out.splitlines())
    data = json.loads(cli("--json", "doctor", "--list-checks").out)
    assert {"id": "parity.pyspark", "category": "parity", "title": "host pyspark against the cluster's Spark", "timeout": 2.5} in data["checks"]


def test_a_broken_profile_is_reported_and_host_checks_still_run(cli, probes, tmp_path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('schema = 1\nname = "Bad Name"\nextends = "default"\n')
    r = cli("--json", "--profile", str(bad), "doctor")
    assert r.code == 1
    checks = {c["id"]: c for c in json.loads(r.out)["checks"]}
    assert checks["profile.valid"]["state"] == "fail"
    assert checks["profile.valid"]["message"] == f"profile {bad} is invalid (1 problem)"
    assert checks["engine.reachable"]["state"] == "ok"
    assert checks["ports.free"]["message"] == "the profile could not be read (see profile.valid)"


def test_fix_lists_but_never_acts_without_a_terminal(cli, probes) -> None:
    from devenv import artifacts

    shutil.rmtree(artifacts.pypi_dir())  # the cache directories as a fresh machine has them: absent
    shutil.rmtree(artifacts.maven_dir())
    r = cli("doctor", "--check", "cache.offline", "--fix")
    assert not artifacts.maven_dir().exists() and not artifacts.pypi_dir().exists()
    assert "--fix will:\n  - create the cache directories" in r.err
    assert "not applied: without a terminal devenv never asks; run again with --fix --yes" in r.err
    assert r.code == 0


def test_fix_yes_applies_and_checks_again(cli, probes) -> None:
    from devenv import artifacts

    shutil.rmtree(artifacts.pypi_dir())
    shutil.rmtree(artifacts.maven_dir())
    r = cli("--json", "doctor", "--check", "cache.offline", "--fix", "--yes")
    assert artifacts.maven_dir().is_dir() and artifacts.pypi_dir().is_dir()
    assert "done: create the cache directories" in r.err
    check = json.loads(r.out)["checks"][0]
    # checked again after the fix: the directories exist now, and (emptied with them) hold none of the 3 artifacts
    assert (check["state"], check["message"]) == ("warn", "3 of 3 locked artifacts are not in the cache (" + ", ".join(
        ["org.test:a:jar:1.0", "org.test:b:jar:1.1", "org.test:c:jar:1.2"]) + "): --offline would stop before building")


def test_cache_offline_ok_on_a_filled_cache(cli, probes) -> None:
    check = json.loads(cli("--json", "doctor", "--check", "cache.offline").out)["checks"][0]
    assert (check["state"], check["message"]) == ("ok", "all 3 locked artifacts of profile 'default' are in the cache (sizes match; checksums are checked when used)")


def test_fix_with_nothing_to_fix(cli, probes) -> None:
    r = cli("doctor", "--check", "engine.reachable", "--fix")
    assert (r.code, r.err.strip()) == (0, "--fix: nothing to fix safely")


# --- the real probes that need no engine ------------------------------------------------------------

def test_bind_port_sees_a_busy_port() -> None:
    from devenv.doctor.probes import bind_port

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        assert bind_port("127.0.0.1", port) is not None
    assert bind_port("127.0.0.1", port) is None


def test_run_command_reports_absent_tools_and_hangs() -> None:
    import sys

    from devenv.doctor.probes import run_command

    assert run_command(["devenv-no-such-tool-xyz"]) is None
    done = run_command([sys.executable, "-c", "import sys; print('out'); print('err', file=sys.stderr)"])
    assert done is not None and (done.rc, done.output) == (0, "out\nerr\n")
    with pytest.raises(TimeoutError) as e:
        run_command([sys.executable, "-c", "import time; time.sleep(5)"], timeout=0.3)
    assert str(e.value).endswith("did not answer within 0.3 s")


def test_disk_free_walks_up_to_an_existing_parent(tmp_path) -> None:
    from devenv.doctor.probes import disk_free

    free = disk_free(str(tmp_path / "not" / "yet"))
    assert isinstance(free, int) and free > 0


def test_safe_fix_is_a_description_and_an_action() -> None:
    done = []
    fix = SafeFix("create x", lambda: done.append("x"))
    fix.apply()
    assert (fix.description, done) == ("create x", ["x"])


def test_a_timeout_names_what_the_check_was_waiting_for(monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()
    ctx = _ctx()
    monkeypatch.setattr(docker, "engine_info", lambda: release.wait(10) and pytest.fail("released late"))

    def needs_the_engine(ctx: Context) -> Finding:
        ctx.engine()
        return doctor.ok("late")

    def runs_a_container(ctx: Context) -> Finding:
        with ctx.waiting("a test container from debian:bookworm-slim"):
            release.wait(10)
        return doctor.ok("late")

    checks = [Check("t.engine", "host", "engine", needs_the_engine, timeout=0.2), Check("t.run", "host", "run", runs_a_container, timeout=0.2)]
    try:
        results = doctor.run_checks(checks, ctx)
    finally:
        release.set()
    assert [r.finding.message for r in results] == ["timed out after 0.2 s waiting for the engine's `docker info`",
                                                     "timed out after 0.2 s waiting for a test container from debian:bookworm-slim"]
