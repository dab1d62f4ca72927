"""Every broken profile in the corpus gives located errors and exit 1, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import REPO

CORPUS = REPO / "tests" / "corpus" / "broken"
CASES = sorted(CORPUS.glob("*.toml"))


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 30


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_broken_profile_gives_located_errors(case: Path, cli) -> None:
    expected = [
        line.replace("{dir}", str(CORPUS)).replace("{profiles}", str(REPO / "profiles"))
        for line in case.with_suffix(".expected").read_text(encoding="utf-8").splitlines()
    ]
    assert expected, f"{case.name} has no expected problems"
    r = cli("profile", "validate", str(case))
    assert r.code == 1
    assert "Traceback" not in r.err + r.out
    problems = [line[2:] for line in r.err.splitlines() if line.startswith("  ")]
    assert problems == expected
    for line in problems:  # every problem is located: file:line:col
        path, lineno, col = line.split(": ", 1)[0].rsplit(":", 2)
        assert Path(path).is_file() and int(lineno) >= 1 and int(col) >= 1
