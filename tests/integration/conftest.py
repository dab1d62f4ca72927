"""Integration helpers: run the real `devenv` CLI as a user would, against the real engine.

Everything here shares one devenv home (DEVENV_TEST_HOME, else a directory in
the user cache) so the artifact cache and image store are reused between runs;
it is never the user's own devenv directory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest

REPO = Path(__file__).resolve().parents[2]
# benchmarks/profiles.py runs a module against another built-in profile: every devenv the tests start
# gets it as DEVENV_PROFILE (the unit fixture `isolated` clears DEVENV_PROFILE itself for each test)
IT_PROFILE = os.environ.get("DEVENV_IT_PROFILE", "")


def integration_home() -> Path:
    env = os.environ.get("DEVENV_TEST_HOME")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("devenv-integration-tests", appauthor=False))


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.out.splitlines() if line.startswith("{")]


def devenv(*args: str, check: bool = True, timeout: float = 1800, env: dict[str, str] | None = None) -> Run:
    """Run `python -m devenv ARGS` with the integration home; fail with its output if `check` and it fails."""
    # CI=true with DEVENV_TRUST=1: the explicit opt-in for pipelines; the profiles under tests/profiles/ (seed steps)
    # come from this repository, and the test home must not need `devenv trust` run by hand
    e = {**os.environ, "DEVENV_HOME": str(integration_home()), "NO_COLOR": "1", "CI": "true", "DEVENV_TRUST": "1",
         **({"DEVENV_PROFILE": IT_PROFILE} if IT_PROFILE else {}), **(env or {})}
    p = subprocess.run([sys.executable, "-m", "devenv", *args], capture_output=True, text=True, timeout=timeout, env=e, cwd=REPO)
    r = Run(p.returncode, p.stdout, p.stderr)
    if check and r.code != 0:
        pytest.fail(f"devenv {' '.join(args)} exited {r.code}\nstdout:\n{r.out[-4000:]}\nstderr:\n{r.err[-4000:]}")
    return r


@pytest.fixture(autouse=True)
def _integration_home(monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process calls in these tests see the same home as the subprocesses."""
    monkeypatch.setenv("DEVENV_HOME", str(integration_home()))


@pytest.fixture(scope="session", autouse=True)
def _integration_home_for_fixtures() -> Iterator[None]:
    """Module and session fixtures too (the pytest plugin's devenv_cluster starts clusters in-process)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DEVENV_HOME", str(integration_home()))
        yield
