"""Issue 3: `devenv build` makes every image of the default profile from the lock; a second build is a no-op."""

from __future__ import annotations

import pytest

from integration.conftest import devenv

pytestmark = pytest.mark.docker

PINS = {"java": "17", "hadoop": "3.4.2", "hive": "4.0.1", "spark": "4.1.1", "postgres": "15"}


@pytest.fixture(scope="module")
def built() -> dict[str, str]:
    r = devenv("--json", "build")
    return {i["image"]: i["tag"] for i in r.json()["images"]}


def test_every_image_of_the_default_profile_is_built(built: dict[str, str]) -> None:
    assert set(built) == {"jvm", "hadoop", "hive", "spark", "postgres", "gateway"}
    assert all(tag.startswith(f"devenv/{name}:") for name, tag in built.items())


def test_a_second_build_builds_nothing(built: dict[str, str]) -> None:
    r = devenv("--json", "build")
    assert {i["image"]: (i["tag"], i["result"]) for i in r.json()["images"]} == {n: (t, "present") for n, t in built.items()}


def _run(tag: str, *cmd: str) -> str:
    from python_on_whales import docker

    return str(docker.run(tag, list(cmd), remove=True, pull="never"))


def test_version_reports_print_the_pins(built: dict[str, str]) -> None:
    assert _run(built["hadoop"], "hadoop", "version").splitlines()[0] == f"Hadoop {PINS['hadoop']}"
    assert f"Hive {PINS['hive']}" in _run(built["hive"], "hive", "--version")
    assert f"version {PINS['spark']}" in _run(built["spark"], "bash", "-c", "spark-submit --version 2>&1")
    assert f"(PostgreSQL) {PINS['postgres']}." in _run(built["postgres"], "bash", "-c", "postgres --version")
    assert f'version "{PINS["java"]}.' in _run(built["jvm"], "bash", "-c", "java -version 2>&1")


def test_images_run_as_a_fixed_non_root_user(built: dict[str, str]) -> None:
    for name in ("hadoop", "hive", "spark"):
        assert _run(built[name], "id", "-u").strip() == "1000"
    assert _run(built["postgres"], "id", "-u").strip() != "0"


def test_usual_commands_exist_in_the_images(built: dict[str, str]) -> None:
    out = _run(built["spark"], "bash", "-c", "command -v hdfs yarn mapred hadoop spark-submit spark-shell pyspark spark-sql beeline")
    assert len(out.split()) == 9
    out = _run(built["hive"], "bash", "-c", "command -v beeline schematool hive hdfs")
    assert len(out.split()) == 4


def test_images_list_names_the_profile(built: dict[str, str]) -> None:
    rows = devenv("--json", "images").json()["images"]
    mine = {r["tag"]: r for r in rows}
    for tag in built.values():
        assert "default" in mine[tag]["profiles"]


def test_lock_regenerates_the_committed_lock(tmp_path) -> None:
    """Maven (in the tools image) and pip resolve the same artifacts, byte for byte, as the committed lock."""
    from pathlib import Path

    from devenv import lock as lk

    repo = Path(__file__).resolve().parents[2]
    prof = tmp_path / "relock.toml"
    prof.write_text('schema = 1\nname = "relock"\nextends = "default"\n', encoding="utf-8")
    devenv("lock", str(prof))
    fresh = lk.read(tmp_path / "relock.lock")
    committed = lk.read(repo / "profiles" / "default.lock")
    assert fresh.inputs == committed.inputs
    assert {(a.image, a.path, a.sha256, a.size) for a in fresh.artifacts} == {(a.image, a.path, a.sha256, a.size) for a in committed.artifacts}
