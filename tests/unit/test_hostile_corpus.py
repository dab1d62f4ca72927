"""Every hostile or broken lock, seed definition and cluster name in the corpus is refused: exit 1, exact errors, no traceback.

A case is `NN-name.expected` with one of:
- `NN-name.toml` and `NN-name.lock`: `devenv fetch --offline --profile NN-name.toml` reads the lock;
- `NN-name.toml` alone: `devenv profile validate NN-name.toml`;
- `NN-name.args`: the command line, one argument a line.
`.expected` holds the error line (without `error: `) and then each detail line,
with `{dir}` for this directory, `{repo}` for the repository and `{home}` for DEVENV_HOME. The engine is
faked: a refused case must not reach it at all.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import REPO

CORPUS = REPO / "tests" / "corpus" / "hostile"
CASES = sorted(CORPUS.glob("*.expected"))


def _argv(case: Path) -> list[str]:
    toml, lock, args = (case.with_suffix(s) for s in (".toml", ".lock", ".args"))
    if args.is_file():
        return args.read_text(encoding="utf-8").splitlines()
    if lock.is_file():
        return ["--profile", str(toml), "fetch", "--offline"]
    return ["profile", "validate", str(toml)]


@pytest.fixture
def engine_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every public function of devenv.docker, faked: records its name and returns nothing.

    The profiles here come from elsewhere and would first be stopped by the trust
    prompt (tests/unit/test_trust.py proves that): the pipeline opt-in lets each
    case reach the check it is about.
    """
    from devenv import docker

    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("DEVENV_TRUST", "1")

    calls: list[str] = []
    for name in dir(docker):
        fn = getattr(docker, name)
        if not name.startswith("_") and callable(fn) and getattr(fn, "__module__", "") == docker.__name__ and not isinstance(fn, type):
            monkeypatch.setattr(docker, name, lambda *a, _n=name, **k: calls.append(_n) or [])
    return calls


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 30


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_hostile_input_is_refused_with_located_errors(case: Path, cli, engine_calls: list[str], isolated: Path) -> None:
    expected = [line.replace("{dir}", str(CORPUS)).replace("{repo}", str(REPO)).replace("{home}", str(isolated))
                for line in case.read_text(encoding="utf-8").splitlines()]
    assert expected, f"{case.name} has no expected error"
    r = cli(*_argv(case))
    assert "Traceback" not in r.err + r.out
    assert r.code == 1, r.err
    lines = r.err.splitlines()
    # the pipeline opt-in's own warning (what it trusts for this run) may come first; the error follows
    lines = lines[next((i for i, ln in enumerate(lines) if ln.startswith("error: ")), 0):]
    assert lines and lines[0].startswith("error: "), r.err
    got = [lines[0][len("error: "):]] + [line[2:] for line in lines[1:] if line.startswith("  ")]
    assert got == expected
    assert engine_calls == []  # refused before anything reached the engine
    if not case.with_suffix(".args").is_file():  # a file's problem is located: file:line:col
        assert any(re.match(rf"{re.escape(str(CORPUS))}/[^:]+:\d+:\d+: ", line) for line in got), got
