"""Image tags are content-addressed; builds skip what exists; the docker module is faked here."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import REPO
from devenv import docker, images, profile
from devenv.console import Ui
from devenv.lock import Artifact, Lock


@pytest.fixture
def tmpl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the image templates that tests may change."""
    root = tmp_path / "images"
    shutil.copytree(REPO / "images", root, ignore=shutil.ignore_patterns("NOTES.md"))
    monkeypatch.setenv(images.TEMPLATES_ENV, str(root))
    return root


@pytest.fixture(autouse=True)
def bases_present(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Base images are on the engine unless a test removes them from this list."""
    have = ["debian:bookworm-slim"]
    monkeypatch.setattr(docker, "image_exists", lambda ref: ref in have)
    return have


def test_image_templates_from_elsewhere_must_be_templates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(images.TEMPLATES_ENV, str(tmp_path))
    with pytest.raises(Exception) as e:
        images.templates()
    assert f"DEVENV_IMAGE_TEMPLATES={tmp_path} is not a directory of image templates (no jvm/Dockerfile in it)" in str(e.value)


def lock_for(sha: str = "a" * 64) -> Lock:
    return Lock("default", "x", {}, (
        Artifact("hadoop", "maven", "g:h:jar:1", "g/h/1/h-1.jar", 1, sha),
        Artifact("hive", "maven", "g:v:jar:1", "g/v/1/v-1.jar", 1, "b" * 64),
        Artifact("spark", "pypi", "pyspark==4.1.1", "pyspark-4.1.1.tar.gz", 1, "c" * 64),
    ))


def tags(prof, lock, ca: str = "") -> dict[str, str]:
    return {p.name: p.tag for p in images.plan(prof, lock, images.CLUSTER_IMAGES, ca)}


def test_tags_are_stable_and_parents_come_first(tmpl: Path) -> None:
    p = profile.resolve("default")
    plans = images.plan(p, lock_for(), ["hive"], "")
    assert [x.name for x in plans] == ["jvm", "hadoop", "hive"]
    assert plans[1].args["JVM_IMAGE"] == plans[0].tag
    assert plans[2].args["HADOOP_IMAGE"] == plans[1].tag
    assert tags(p, lock_for()) == tags(p, lock_for())


def test_changing_one_component_rebuilds_only_its_images(tmpl: Path) -> None:
    p = profile.resolve("default")
    before = tags(p, lock_for())
    after = tags(p, lock_for(sha="d" * 64))  # a hadoop jar changed
    changed = {k for k in before if before[k] != after[k]}
    assert changed == {"hadoop", "hive", "spark"}  # hive and spark build on hadoop
    (tmpl / "postgres" / "Dockerfile").write_text((tmpl / "postgres" / "Dockerfile").read_text() + "\n# touched\n")
    again = tags(p, lock_for())
    assert {k for k in before if before[k] != again[k]} == {"postgres"}


def test_changing_the_entrypoint_library_rebuilds_the_images_that_install_it(tmpl: Path) -> None:
    p = profile.resolve("default")
    before = tags(p, lock_for())
    f = tmpl / "lib" / "entrypoint.sh"
    f.write_text(f.read_text() + "\n# touched\n")
    after = tags(p, lock_for())
    # jvm and postgres install it; hadoop, hive and spark are built on jvm
    assert {k for k in before if before[k] != after[k]} == {"jvm", "hadoop", "hive", "spark", "postgres"}


def test_the_entrypoint_library_is_staged_into_the_jvm_and_postgres_contexts(tmpl: Path) -> None:
    p = profile.resolve("default")
    plans = {x.name: x for x in images.plan(p, lock_for(), images.CLUSTER_IMAGES, "")}
    for name in ("jvm", "postgres"):
        ctx = images._stage(plans[name], None, "")
        assert (ctx / "lib" / "entrypoint.sh").read_bytes() == (tmpl / "lib" / "entrypoint.sh").read_bytes()
        copies = [line for line in (ctx / "Dockerfile").read_text().splitlines() if line.startswith("COPY ")]
        assert any(" lib/" in line and "/usr/local/lib/devenv/" in line for line in copies), copies


def test_crlf_checkout_gives_the_same_tags(tmpl: Path) -> None:
    p = profile.resolve("default")
    before = tags(p, lock_for())
    f = tmpl / "hadoop" / "entrypoint.sh"
    f.write_bytes(f.read_bytes().replace(b"\n", b"\r\n"))
    assert tags(p, lock_for()) == before


def test_ca_bundle_changes_the_root_image(tmpl: Path) -> None:
    p = profile.resolve("default")
    a, b = tags(p, lock_for(), ca=""), tags(p, lock_for(), ca="-----BEGIN CERTIFICATE-----x")
    assert a["jvm"] != b["jvm"] and a["hadoop"] != b["hadoop"] and a["postgres"] == b["postgres"]


def test_build_args_follow_the_profile(tmpl: Path) -> None:
    legacy = profile.resolve("legacy")
    args = images.build_args(legacy)
    assert (args["BASE_IMAGE"], args["JAVA_PACKAGE"]) == ("debian:sid-slim", "openjdk-8-jre-headless")
    temurin = images.build_args(temurin_legacy(tmpl.parent))
    assert (temurin["BASE_IMAGE"], temurin["JAVA_PACKAGE"]) == ("eclipse-temurin:8-jre-jammy", "")
    assert images.build_args(profile.resolve("default"))["JAVA_PACKAGE"] == "openjdk-17-jre-headless"


def temurin_legacy(d: Path) -> profile.Profile:
    """legacy on a Temurin 8 JRE image, as a team with its own registry writes it."""
    f = d / "temurin.toml"
    f.write_text('schema = 1\nname = "temurin"\nextends = "legacy"\n[images]\nbase = "eclipse-temurin:8-jre-jammy"\njava_package = ""\n')
    return profile.load_profile(f)


def test_build_runs_no_docker_build_when_everything_exists(tmpl: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = profile.resolve("default")
    present = set(tags(p, lock_for()).values())
    monkeypatch.setattr(docker, "images", lambda label=docker.LABEL: [docker.ImageInfo("id", tuple(present), 1, {}, "")])
    def no_build(*a, **k):
        raise AssertionError("docker build must not run")
    monkeypatch.setattr(docker, "build", no_build)
    results = images.build(p, lock_for(), ui=Ui())
    assert {r for _, r in results} == {"present"}


def test_service_names_map_to_images() -> None:
    assert images.image_for("datanode-2") == "hadoop"
    assert images.image_for("hiveserver2") == "hive"
    assert images.image_for("spark") == "spark"
    with pytest.raises(Exception) as e:
        images.image_for("hbase")
    assert "unknown service or image 'hbase'" in str(e.value)


def test_every_built_image_carries_this_homes_owner_id(tmpl: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from devenv import owner

    built: dict[str, dict[str, str]] = {}
    monkeypatch.setattr(docker, "images", lambda **kw: [])
    monkeypatch.setattr(docker, "build", lambda ctx, tag, *, labels, **kw: built.setdefault(tag, dict(labels)) and iter(()))
    images.build(profile.resolve("default"), lock_for(), ui=Ui(), names=["postgres"])
    assert [lab["devenv.owner"] for lab in built.values()] == [owner.home_id()]


def test_a_tampered_cached_artifact_stops_the_build_before_docker_sees_it(tmpl: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The build stages only verified files: a cached jar whose bytes differ from the lock (same size, no stamp) is refused."""
    import hashlib

    from devenv import artifacts

    good = b"the jar the lock pins"
    a = Artifact("hadoop", "maven", "g:h:jar:1", "g/h/1/h-1.jar", len(good), hashlib.sha256(good).hexdigest())
    lock = Lock("default", "x", {}, (a, *lock_for().artifacts[1:]))
    cached = artifacts.cached_path(a)
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"X" * len(good))  # same size, other bytes
    built: list[str] = []
    monkeypatch.setattr(docker, "images", lambda **kw: [])
    monkeypatch.setattr(docker, "build", lambda ctx, tag, **kw: built.append(tag) or iter(()))
    with pytest.raises(artifacts.ChecksumError) as e:
        images.build(profile.resolve("default"), lock, ui=Ui(), names=["hadoop"])
    assert str(cached) in e.value.message and "does not match the lock and was removed" in e.value.message
    assert not cached.exists()
    assert [t.split(":")[0] for t in built] == ["devenv/jvm"]  # the hadoop image was never built from it


def test_a_missing_base_image_stops_build_before_any_fetch_or_build_and_says_how(tmpl: Path, monkeypatch: pytest.MonkeyPatch,
                                                                                  bases_present: list[str]) -> None:
    """Issue 17: a Temurin 8 base is not on an engine without a registry: fail first, with the fix."""
    built, fetched = [], []
    monkeypatch.setattr(docker, "images", lambda **kw: [])
    monkeypatch.setattr(docker, "build", lambda ctx, tag, **kw: built.append(tag) or iter(()))
    legacy = temurin_legacy(tmpl.parent)
    with pytest.raises(images.DevenvError) as e:
        images.build(legacy, lock_for(), ui=Ui(), before_first_build=lambda: fetched.append(1))
    assert e.value.message.startswith("the base image eclipse-temurin:8-jre-jammy is not on this Docker engine")
    assert "(profile 'temurin', [images] base)" in e.value.message
    assert "`docker pull eclipse-temurin:8-jre-jammy`" in e.value.hint and "devenv build --pull" in e.value.hint
    assert 'with Java 8 (e.g. a Temurin 8 JRE image from your registry), and java_package = ""' in e.value.hint
    assert built == [] and fetched == []
    # with the base present (or --pull), the same build goes ahead
    bases_present.append("eclipse-temurin:8-jre-jammy")
    images.build(legacy, lock_for(), ui=Ui(), names=["jvm"])
    assert [t.split(":")[0] for t in built] == ["devenv/jvm"]
    built.clear()
    bases_present.clear()
    images.build(profile.resolve("default"), lock_for(), ui=Ui(), names=["jvm"], pull=True)
    assert [t.split(":")[0] for t in built] == ["devenv/jvm"]


def test_each_version_label_follows_the_build_step_that_checks_the_report() -> None:
    """`devenv doctor` trusts devenv.version.* because the build fails unless the report printed the pin."""
    from devenv.doctor.checks.cluster import VERSION_REPORTS
    from devenv.labels import VERSION_OF

    root = Path(__file__).resolve().parents[2] / "images"
    for component, _service, argv, _pattern in VERSION_REPORTS:
        text = (root / component / "Dockerfile").read_text()
        arg = f"${{{component.upper()}_VERSION}}"
        label = text.index(f'LABEL {VERSION_OF}{component}="{arg}"')
        command = argv[2].split(" 2>")[0] if argv[0] == "bash" else " ".join(argv)
        check = text.rindex(f'{arg}" ] || {{', 0, label)  # the build stops unless the report printed the pin
        report = text.rindex(command, 0, check)
        assert report < check < label, component
