"""`devenv profile upgrade --to`: a candidate beside the profile, validated against compat, with why each pin changes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from devenv import upgrade
from devenv.errors import DevenvError

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def team(tmp_path: Path) -> Path:
    p = tmp_path / "team.toml"
    shutil.copy(REPO / "profiles" / "spark40.toml", p)
    return p


def test_rehearsal_from_the_spark40_line_to_default(cli, team: Path) -> None:
    r = cli("--json", "profile", "upgrade", str(team), "--to", "default", "--no-lock")
    assert r.code == 0, r.err
    data = json.loads(r.out)
    cand = team.with_name("team.candidate.toml")
    assert data["candidate"] == str(cand) and data["lock"] is None
    assert [(c["component"], c["old"], c["new"]) for c in data["changes"]] == [("hadoop", "3.4.1", "3.4.2"), ("spark", "4.0.1", "4.1.1")]
    text = cand.read_text()
    assert 'hadoop = "3.4.2" # was 3.4.1: a patch release in the 3.4 line\n' in text
    assert 'spark = "4.1.1" # was 4.0.1: a new release line: Spark 4 needs Java 17 or later; talks to Hive metastores 2.0.0 to 4.1.0' in text
    assert "# accept: mv team.candidate.toml team.toml and its .lock likewise, commit both; reject: delete both." in text
    assert team.read_text() == (REPO / "profiles" / "spark40.toml").read_text()  # the current profile is untouched
    assert cli("profile", "validate", str(cand)).code == 0
    shown = cli("--json", "profile", "show", str(cand), "--resolved")
    assert json.loads(shown.out)["versions"]["spark"] == "4.1.1"


def test_a_candidate_that_does_not_run_together_is_refused_and_not_written(cli, team: Path) -> None:
    r = cli("profile", "upgrade", str(team), "--to", "hive=3.1.3", "--no-lock")
    assert r.code == 1
    assert "hive 3.1.3 does not run on Java 17" in " ".join(r.err.split())
    assert not team.with_name("team.candidate.toml").exists()


def test_nothing_to_rehearse(team: Path) -> None:
    with pytest.raises(DevenvError, match="already pins these versions"):
        upgrade.plan(team, "spark=4.0.1")


def test_unknown_components_are_named(team: Path) -> None:
    with pytest.raises(DevenvError, match="unknown component 'sparkk'"):
        upgrade.target_versions("sparkk=4.1.1")
