"""Shared fixtures: an isolated devenv home, an in-process CLI runner, the docker marker.

Tests never touch the real user directories: DEVENV_HOME points at a temporary
directory. Tests marked `docker` skip with the reason when no engine answers,
and fail instead when CI=true, so CI cannot pass by skipping them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# a project that uses only the pytest plugin: run under pytester by tests/integration/test_pytest_plugin.py, never collected here
collect_ignore = ["sample_project"]


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "devenv-home"
    monkeypatch.setenv("DEVENV_HOME", str(home))
    monkeypatch.delenv("DEVENV_PROFILE", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return home


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):
    """Run devenv in-process: cli("profile", "list") -> Result(code, out, err)."""
    from devenv.cli import main

    def run(*argv: str) -> Result:
        capsys.readouterr()
        code = main(list(argv))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


def _engine_reachable() -> str | None:
    """None if a Docker engine answers, else why not."""
    try:
        from python_on_whales import docker

        docker.system.info()
        return None
    except Exception as e:  # no CLI, no daemon, no permission: all mean "no engine here"
        text = str(getattr(e, "stderr", "") or e)
        lines = [ln.strip() for ln in text.splitlines() if ln.strip().strip("'\"")]
        return f"no Docker engine reachable ({type(e).__name__}: {lines[-1] if lines else 'no detail'})"


_ENGINE: list[str | None] = []  # asked once per session


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before any fixture of a `docker` test (module fixtures start clusters): skip, or fail in CI, without an engine."""
    if item.get_closest_marker("docker") is None:
        return
    if not _ENGINE:
        _ENGINE.append(_engine_reachable())
    reason = _ENGINE[0]
    if reason is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but {reason}: .ci/run must start the engine")
    pytest.skip(reason)


class EngineReached(AssertionError):
    """A unit test called into the Docker engine without faking the devenv.docker function it uses."""


@pytest.fixture(autouse=True)
def _unit_tests_never_reach_the_engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Unit tests may fake devenv/docker.py's functions; what they do not fake fails here instead of
    starting real containers on whatever engine the machine has (a unit test once started a whole
    cluster bound to 0.0.0.0 that way)."""
    if "unit" not in Path(str(request.node.path)).parts:
        return
    from devenv import docker

    def refuse(*args: object, **kwargs: object) -> None:
        raise EngineReached("a unit test reached the Docker engine: fake the devenv.docker function it calls")

    def fake_client_or_refuse() -> object:
        if docker._client is not None:  # a fake client the test put in (a fake CLI, a fake buildx)
            return docker._client
        refuse()

    monkeypatch.setattr(docker, "_client", None)  # never a real client cached by an earlier test
    monkeypatch.setattr(docker, "client", fake_client_or_refuse)
    monkeypatch.setattr(docker, "_project", refuse)
