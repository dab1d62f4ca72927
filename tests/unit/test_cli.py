"""The CLI: global options, exit codes, the error handler, profile commands, in-process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO


def test_help_lists_commands_and_exit_codes(cli) -> None:
    r = cli("--help")
    assert r.code == 0
    assert "profile" in r.out
    assert "exit codes: 0 ok, 1 user error, 2 usage, 3 internal error, 130 interrupted." in r.out


def test_usage_error_exits_2(cli) -> None:
    r = cli("profile", "frobnicate")
    assert r.code == 2
    assert "invalid choice: 'frobnicate'" in r.err


def test_global_options_work_after_the_subcommand(cli) -> None:
    r = cli("profile", "list", "--json")
    assert r.code == 0
    data = json.loads(r.out)
    assert [p["name"] for p in data["profiles"]] == ["ci", "default", "legacy", "spark40"]
    assert data["selected"].endswith("default.toml")


def test_internal_error_exits_3_and_names_the_log(cli, monkeypatch: pytest.MonkeyPatch, isolated: Path) -> None:
    from devenv import docker

    def boom(cluster=None, **kw):  # a bug surfacing from the engine module: not a DevenvError
        raise RuntimeError("kaboom")

    monkeypatch.setattr(docker, "containers", boom)
    r = cli("shell", "--name", "c1")
    assert r.code == 3
    assert "Traceback" not in r.err
    log = isolated / "logs" / "devenv.log"
    assert f"the traceback is in {log}" in r.err
    assert "RuntimeError: kaboom" in log.read_text(encoding="utf-8")


def test_interrupt_exits_130(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    from devenv import docker

    def interrupted(cluster=None, **kw):  # Ctrl-C while devenv waits for the engine
        raise KeyboardInterrupt

    monkeypatch.setattr(docker, "containers", interrupted)
    assert cli("shell", "--name", "c1").code == 130


def test_user_error_in_json_mode_is_json(cli) -> None:
    r = cli("--json", "profile", "show", "nosuch")
    assert r.code == 1
    assert json.loads(r.out) == {
        "error": "no profile named 'nosuch' (from --profile)",
        "details": [],
        "hint": "known profiles: ci, default, legacy, spark40; see devenv profile list",
        "exit_code": 1,
    }


def test_output_without_a_tty_has_no_escape_codes(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR")
    r = cli("profile", "validate", str(REPO / "tests/corpus/broken/13-hive31-on-java17.toml"))
    assert r.code == 1
    assert "\x1b[" not in r.out + r.err


def test_profile_show_prints_the_file_with_comments(cli) -> None:
    r = cli("profile", "show", "legacy")
    assert r.code == 0
    assert "# Hive 3.1 runs only on Java 8" in r.out


def test_profile_show_resolved_merges_parents(cli) -> None:
    r = cli("profile", "show", "legacy", "--resolved")
    assert r.code == 0
    assert 'hive = "3.1.3"' in r.out
    assert '"yarn.scheduler.minimum-allocation-mb" = 256' in r.out  # from default


def test_profile_show_resolved_json(cli) -> None:
    data = json.loads(cli("--json", "profile", "show", "spark40", "--resolved").out)
    assert data["versions"] == {"java": "17", "hadoop": "3.4.1", "hive": "4.0.1", "spark": "4.0.1", "scala": "2.13", "postgres": "15"}


def test_profile_validate_ok(cli) -> None:
    r = cli("profile", "validate", "--all")
    assert r.code == 0
    assert r.out.count("ok ") == 4


def test_profile_diff(cli) -> None:
    r = cli("--json", "profile", "diff", "default", "legacy")
    changes = {c["key"]: (c["a"], c["b"]) for c in json.loads(r.out)["changes"]}
    assert changes["versions.hive"] == ("4.0.1", "3.1.3")
    assert changes["images.base"] == ("debian:bookworm-slim", "debian:sid-slim") and "images.java_package" not in changes
    assert "versions.postgres" not in changes


def test_profile_new_writes_a_commented_valid_profile(cli, isolated: Path) -> None:
    r = cli("profile", "new", "team-etl", "--from", "spark40")
    assert r.code == 0
    f = isolated / "config" / "profiles" / "team-etl.toml"
    text = f.read_text(encoding="utf-8")
    assert 'extends = "spark40"' in text
    assert '# hadoop = "3.4.1"' in text
    assert cli("profile", "validate", "team-etl").code == 0
    again = cli("profile", "new", "team-etl", "--from", "spark40")
    assert again.code == 1
    assert f"{f} already exists; nothing was written" in again.err
    assert f.read_text(encoding="utf-8") == text


def test_profile_new_rejects_bad_names(cli, isolated: Path) -> None:
    r = cli("profile", "new", "Team_ETL")
    assert r.code == 2
    assert not (isolated / "config" / "profiles").exists()


def test_python_dash_m_runs(tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "devenv", "--version"], capture_output=True, text=True, cwd=REPO)
    assert r.returncode == 0
    assert r.stdout.startswith("devenv ")


@pytest.mark.parametrize("tty", [True, False])
def test_shell_opens_a_login_shell_with_the_banner_only_on_a_terminal(cli, monkeypatch: pytest.MonkeyPatch, tty: bool) -> None:
    import sys

    from devenv import docker

    edge = docker.ContainerInfo("id1", "devenv-c1-spark-history-1", "spark-history", "c1", "default", "running", 0, "img", "", ())
    monkeypatch.setattr(docker, "containers", lambda cluster=None, **kw: [edge])
    calls = []
    monkeypatch.setattr(docker, "exec_interactive", lambda c, cmd, *, tty, envs=None: calls.append((c, cmd, tty, envs)) or 0)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: tty)
    r = cli("shell", "--name", "c1")
    assert r.code == 0, r.err
    assert calls == [("devenv-c1-spark-history-1", ["bash", "-l"], tty, {"DEVENV_BANNER": "1"} if tty else None)]


def test_a_unit_test_cannot_reach_the_engine() -> None:
    """The guard in tests/conftest.py: an engine call nobody faked fails instead of touching a real engine."""
    from conftest import EngineReached
    from devenv import docker

    with pytest.raises(EngineReached, match="fake the devenv.docker function"):
        docker.containers("any")
