"""Bundles with real files and a fake devenv/docker.py: round trip, idempotence, damaged, foreign and hostile bundles."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from dataclasses import asdict
from pathlib import Path

import pytest
import zstandard

from conftest import REPO
from devenv import artifacts, bundle, bundle_import, docker
from devenv.console import Ui
from devenv.engine_types import EngineInfo
from devenv.errors import DevenvError
from devenv.lock import Artifact

TAGS = ["devenv/jvm:0123456789ab", "devenv/spark:ba9876543210"]
BASES = ["debian:bookworm-slim"]


class FakeEngine:
    """The parts of devenv.docker a bundle uses: an image store that `load_images` fills from the archive's manifest."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, arch: str = "x86_64") -> None:
        self.store: set[str] = set()
        self.loads: list[Path] = []
        info = EngineInfo("27.0", 24 << 30, 2, "linux", arch, "/var/lib/docker", "default")
        monkeypatch.setattr(docker, "engine_info", lambda: info)
        monkeypatch.setattr(docker, "image_exists", lambda ref: ref in self.store)
        monkeypatch.setattr(docker, "load_images", self.load)

    def load(self, path: Path) -> list[str]:
        self.loads.append(path)
        tags = bundle_import.image_tags_inside(path)
        self.store |= tags
        return sorted(tags)


def image_archive(path: Path, tags: list[str]) -> Path:
    """A small archive shaped like `docker save` output: manifest.json naming the tags, and a layer."""
    with tarfile.open(path, "w") as t:
        for name, data in (("manifest.json", json.dumps([{"Config": "c.json", "RepoTags": tags, "Layers": ["l/layer.tar"]}]).encode()),
                           ("l/layer.tar", b"layer bytes " * 1000)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return path


def artifact_file(root: Path, source: str, rel: str, data: bytes) -> tuple[Artifact, Path]:
    f = root / "src" / source / rel
    f.parent.mkdir(parents=True, exist_ok=True)
    f.write_bytes(data)
    return Artifact("hadoop", source, f"x:{rel}", rel, len(data), hashlib.sha256(data).hexdigest()), f


@pytest.fixture
def made(tmp_path: Path) -> dict:
    """A bundle written by bundle.write from real files: two artifacts, the built-in default profile and lock, images."""
    arts = [artifact_file(tmp_path, "maven", "g/a/1/a-1.jar", b"jar bytes" * 500),
            artifact_file(tmp_path, "pypi", "tpchgen_cli-4.0.0-py3-none-any.whl", b"wheel" * 300)]
    header = {"format": bundle.FORMAT, "schema": bundle.SCHEMA, "profile": "default", "architecture": "x86_64", "created": "now",
              "profile_files": ["profile/default.toml", "profile/default.lock"], "images": TAGS, "base_images": BASES,
              "artifacts": [asdict(a) for a, _ in arts]}
    files = [("profile/default.toml", REPO / "profiles" / "default.toml"), ("profile/default.lock", REPO / "profiles" / "default.lock")]
    files += [(bundle.artifact_member(a), f) for a, f in arts]
    out = tmp_path / "b.devenv-bundle.tar.zst"
    manifest = bundle.write(out, bundle.Contents(header, files, TAGS + BASES), image_archive(tmp_path / "images.tar", TAGS + BASES), Ui())
    return {"path": out, "artifacts": [a for a, _ in arts], "manifest": manifest, "header": header}


def members(path: Path) -> list[tuple[tarfile.TarInfo, bytes]]:
    with path.open("rb") as f, zstandard.ZstdDecompressor().stream_reader(f) as z, tarfile.open(fileobj=z, mode="r|") as t:
        return [(m, t.extractfile(m).read() if m.isreg() else b"") for m in t]  # type: ignore[union-attr]


def rewrite(src: Path, dest: Path, change: dict[str, bytes] | None = None, extra: list[tarfile.TarInfo] | None = None,
            at: int = 1) -> Path:
    """A copy of a bundle with some members' contents changed (the manifest left as it was) and raw members inserted."""
    items = members(src)
    with dest.open("wb") as f, zstandard.ZstdCompressor().stream_writer(f) as z, tarfile.open(fileobj=z, mode="w|") as t:
        for i, (m, data) in enumerate(items):
            if i == at:
                for e in extra or []:
                    t.addfile(e, io.BytesIO(b"x" * e.size) if e.isreg() else None)
            data = (change or {}).get(m.name, data)
            m.size = len(data)
            t.addfile(m, io.BytesIO(data))
    return dest


def nothing_loaded(engine: FakeEngine, made: dict) -> None:
    assert engine.loads == [] and engine.store == set()
    for a in made["artifacts"]:
        assert not artifacts.cached_path(a).exists(), a
    staging = Path(artifacts.paths().state / "bundle")
    assert not staging.exists() or list(staging.iterdir()) == []  # the staging directory is cleaned up


def test_export_writes_every_member_with_its_sha256_and_import_loads_them(made: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    names = [m.name for m, _ in members(made["path"])]
    assert names[0] == bundle.HEADER and names[-1] == bundle.MANIFEST and bundle.IMAGES in names
    for m, data in members(made["path"])[:-1]:
        assert made["manifest"][m.name] == {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    engine = FakeEngine(monkeypatch)
    r = bundle_import.import_bundle(made["path"], Ui())
    assert sorted(engine.store) == sorted(TAGS + BASES) and len(engine.loads) == 1
    assert (r.artifacts_added, r.artifacts_present, r.images_present) == (2, 0, 0)
    assert all(artifacts.is_verified(a) for a in made["artifacts"])
    assert r.profile == "default" and r.profile_dir is None  # the built-in profile and lock, byte for byte: nothing placed


def test_a_second_import_changes_nothing_and_writes_nothing(made: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = FakeEngine(monkeypatch)
    bundle_import.import_bundle(made["path"], Ui())
    cached = {a.path: artifacts.cached_path(a).stat().st_mtime_ns for a in made["artifacts"]}
    written: list[str] = []
    real_take = bundle_import._take
    monkeypatch.setattr(bundle_import, "_take", lambda p, m, f, s, r: (real_take(p, m, f, s, r), written.extend(sorted(r.staged)))[0])
    again = bundle_import.import_bundle(made["path"], Ui())
    assert (again.artifacts_added, again.artifacts_present, again.images_loaded, again.images_present) == (0, 2, [], 3)
    assert len(engine.loads) == 1
    assert {a.path: artifacts.cached_path(a).stat().st_mtime_ns for a in made["artifacts"]} == cached
    assert [w for w in written if w.startswith(("artifacts/", "images/"))] == []  # hashed, never staged


def test_a_damaged_member_is_named_and_nothing_is_loaded(made: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = FakeEngine(monkeypatch)
    name = bundle.artifact_member(made["artifacts"][0])
    bad = rewrite(made["path"], tmp_path / "bad.tar.zst", change={name: b"jar bytes" * 499 + b"JAR BYTES"})
    with pytest.raises(DevenvError) as e:
        bundle_import.import_bundle(bad, Ui())
    assert e.value.message == (f"bad.tar.zst: member {name!r} is damaged: {made['artifacts'][0].size} bytes with sha256 "
                               f"{hashlib.sha256(b'jar bytes' * 499 + b'JAR BYTES').hexdigest()}, the manifest says "
                               f"{made['artifacts'][0].size} bytes with sha256 {made['artifacts'][0].sha256}; nothing was loaded")
    nothing_loaded(engine, made)


def test_damaged_images_are_refused_before_any_artifact_enters_the_cache(made: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = FakeEngine(monkeypatch)
    data = dict((m.name, d) for m, d in members(made["path"]))[bundle.IMAGES]
    bad = rewrite(made["path"], tmp_path / "bad.tar.zst", change={bundle.IMAGES: data[:-1] + bytes([data[-1] ^ 1])})
    with pytest.raises(DevenvError, match=r"member 'images/images.tar' is damaged"):
        bundle_import.import_bundle(bad, Ui())
    nothing_loaded(engine, made)


@pytest.mark.parametrize("cut", ["flip", "truncate"])
def test_a_corrupt_or_truncated_file_is_refused(made: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cut: str) -> None:
    engine = FakeEngine(monkeypatch)
    raw = bytearray(made["path"].read_bytes())
    if cut == "flip":
        raw[len(raw) // 2] ^= 0xFF
    else:
        raw = raw[: len(raw) * 2 // 3]
    bad = tmp_path / "bad.tar.zst"
    bad.write_bytes(bytes(raw))
    with pytest.raises(DevenvError) as e:
        bundle_import.import_bundle(bad, Ui())
    assert e.value.message.startswith("bad.tar.zst: ") and e.value.message.endswith("; nothing was loaded"), e.value.message
    assert "damaged" in e.value.message or "no manifest.json" in e.value.message, e.value.message
    nothing_loaded(engine, made)


def test_a_foreign_file_is_refused(made: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = FakeEngine(monkeypatch)
    other = tmp_path / "notes.tar.zst"
    with other.open("wb") as f, zstandard.ZstdCompressor().stream_writer(f) as z, tarfile.open(fileobj=z, mode="w|") as t:
        info = tarfile.TarInfo("notes.txt")
        info.size = 5
        t.addfile(info, io.BytesIO(b"hello"))
    with pytest.raises(DevenvError, match=r"^notes.tar.zst: the first member is 'notes.txt', not devenv-bundle.json: not a devenv bundle; nothing was loaded$"):
        bundle_import.import_bundle(other, Ui())
    plain = tmp_path / "plain.tgz"
    plain.write_bytes(b"\x1f\x8b" + b"\0" * 100)
    with pytest.raises(DevenvError, match=r"^plain.tgz: damaged: reading its first member failed"):
        bundle_import.import_bundle(plain, Ui())
    nothing_loaded(engine, made)


def test_a_bundle_for_another_architecture_is_refused(made: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = FakeEngine(monkeypatch, arch="aarch64")
    with pytest.raises(DevenvError, match=r"a bundle for 'x86_64' engines; this engine runs 'aarch64'"):
        bundle_import.import_bundle(made["path"], Ui())
    nothing_loaded(engine, made)


def _hostile(kind: str, name: str) -> tarfile.TarInfo:
    m = tarfile.TarInfo(name)
    if kind == "file":
        m.size = 4
    elif kind == "symlink":
        m.type, m.linkname = tarfile.SYMTYPE, "/etc/passwd"
    elif kind == "hardlink":
        m.type, m.linkname = tarfile.LNKTYPE, "/etc/passwd"
    elif kind == "device":
        m.type = tarfile.CHRTYPE
    return m


@pytest.mark.parametrize("kind,name,expected", [
    ("file", "../../evil", "member name '../../evil' must not leave its directory"),
    ("file", "/tmp/evil", "member name '/tmp/evil' must be a relative path"),
    ("file", "artifacts/maven/../../../evil", "must not leave its directory"),
    ("file", "artifacts/maven/not/announced.jar", "'artifacts/maven/not/announced.jar' is not announced by the header"),
    ("symlink", "artifacts/maven/g/a/1/a-1.jar", "'artifacts/maven/g/a/1/a-1.jar' is not a regular file"),
    ("hardlink", "profile/default.toml", "'profile/default.toml' is not a regular file"),
    ("device", "artifacts/pypi/x", "'artifacts/pypi/x' is not a regular file"),
])
def test_a_hostile_member_is_refused_and_nothing_lands_outside(made: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               kind: str, name: str, expected: str) -> None:
    engine = FakeEngine(monkeypatch)
    bad = rewrite(made["path"], tmp_path / "bad.tar.zst", extra=[_hostile(kind, name)])
    with pytest.raises(DevenvError) as e:
        bundle_import.import_bundle(bad, Ui())
    assert expected in e.value.message and e.value.message.endswith("; nothing was loaded"), e.value.message
    assert not (tmp_path / "evil").exists() and not Path("/tmp/evil").exists()
    assert not [p for p in tmp_path.rglob("evil")]
    nothing_loaded(engine, made)


def test_a_member_listed_twice_is_refused(made: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = FakeEngine(monkeypatch)
    twice = _hostile("file", "profile/default.toml")
    bad = rewrite(made["path"], tmp_path / "bad.tar.zst", extra=[twice], at=2)
    with pytest.raises(DevenvError, match=r"'profile/default.toml' is in the bundle twice"):
        bundle_import.import_bundle(bad, Ui())
    nothing_loaded(engine, made)


def test_an_image_archive_with_tags_the_header_does_not_name_is_not_loaded(made: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The images archive could re-tag any image on the engine (say, the base image): only the announced tags may load."""
    engine = FakeEngine(monkeypatch)
    archive = image_archive(tmp_path / "evil.tar", [*TAGS, "library/python:3"])
    header = made["header"]
    out = tmp_path / "evil.tar.zst"
    header_only = {**header, "artifacts": [], "profile_files": []}
    bundle.write(out, bundle.Contents(header_only, [], TAGS), archive, Ui())
    with pytest.raises(DevenvError, match=r"images/images.tar carries tags the header does not name: library/python:3"):
        bundle_import.import_bundle(out, Ui())
    assert engine.loads == [] and engine.store == set()


def test_cli_import_reports_what_it_loaded(made: dict, monkeypatch: pytest.MonkeyPatch, cli) -> None:
    FakeEngine(monkeypatch)
    r = cli("--json", "bundle", "import", str(made["path"]))
    assert r.code == 0, r.err
    data = json.loads(r.out)
    assert (data["artifacts_added"], data["images_loaded"], data["profile"]) == (2, sorted(TAGS + BASES), "default")
    r = cli("bundle", "import", str(made["path"]))
    assert r.code == 0 and "images: 0 loaded, 3 already here; artifacts: 0 added to the cache, 2 already here" in r.out, r.out
    missing = cli("bundle", "import", "nowhere.tar.zst")
    assert missing.code == 1 and "no bundle at nowhere.tar.zst" in missing.err


def test_reload_images_loads_them_again_and_nothing_else(made: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = FakeEngine(monkeypatch)
    bundle_import.import_bundle(made["path"], Ui())
    again = bundle_import.import_bundle(made["path"], Ui(), reload=True)
    assert len(engine.loads) == 2 and again.images_loaded == sorted(TAGS + BASES) and again.artifacts_added == 0
