"""`devenv bundle import`: check a bundle member by member, then load it.

A bundle is untrusted input (a USB stick passed around a classroom). Nothing
from it is loaded until the whole stream has been read and every member matched
the manifest. The first member must be the header of a devenv bundle for this
engine's architecture; every member must be a regular file with a plain
relative name in a place the header announced (no links, devices, '..' or
absolute names), present once; sizes and sha256 must match the manifest; the
images archive may only carry the tags the header names; and each artifact
must match its lock entry before it enters the cache. Members already here (an
artifact verified in the cache, images all on the engine) are hashed but not
written, so a second import changes nothing and needs no disk space.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from devenv.bundle import CHUNK, FORMAT, HEADER, IMAGES, MANIFEST, SCHEMA, Hashing, artifact_member, progress
from devenv.errors import DevenvError

if TYPE_CHECKING:
    from devenv.console import Ui
    from devenv.lock import Artifact

HEADER_LIMIT = 4 << 20
_TAG = re.compile(r"^[a-z0-9][a-z0-9._/-]*:[A-Za-z0-9_.-]+$")
_PROFILE_FILE = re.compile(r"^profile/[a-z0-9][a-z0-9-]*\.(toml|lock)$")
HINT = "export the bundle again on the machine that made it, or copy it again (the copy may be incomplete)"


def refuse(path: Path, what: str, details: list[str] | None = None) -> DevenvError:
    return DevenvError(f"{path.name}: {what}; nothing was loaded", details=details or [], hint=HINT)


@dataclass
class Read:
    """What reading the stream found: the header, each member's size and sha256, the manifest, what was staged."""

    header: dict[str, Any] = field(default_factory=dict)
    seen: dict[str, dict[str, Any]] = field(default_factory=dict)
    manifest: dict[str, Any] | None = None
    staged: set[str] = field(default_factory=set)
    reload: bool = False              # load the images even when every tag is already on the engine
    artifacts: dict[str, "Artifact"] = field(default_factory=dict)  # member name -> lock entry


def _header(path: Path, raw: bytes) -> dict[str, Any]:
    """The parsed, checked header; a foreign or other-architecture bundle is refused here, before anything else."""
    from devenv import compat, docker
    from devenv.lock import Artifact, lock_problems

    try:
        h = json.loads(raw)
    except ValueError as e:
        raise refuse(path, f"its header {HEADER} is not JSON ({e})") from None
    if not isinstance(h, dict) or h.get("format") != FORMAT:
        raise refuse(path, f"not a devenv bundle: {HEADER} does not say format {FORMAT!r}")
    if h.get("schema") != SCHEMA:
        raise refuse(path, f"bundle schema {h.get('schema')!r}; this devenv reads schema {SCHEMA}")
    problems = [f"artifacts[{p[1]}]: {m}" for p, m in lock_problems({"profile": "", "inputs": "", "versions": {}, "artifact": h.get("artifacts")})]
    if not isinstance(h.get("profile"), str) or not re.fullmatch(r"[a-z0-9][a-z0-9-]*", h["profile"]):
        problems.append(f"profile: not a profile name: {h.get('profile')!r}")
    for key, pattern in (("profile_files", _PROFILE_FILE), ("images", _TAG), ("base_images", _TAG)):
        values = h.get(key)
        if not isinstance(values, list) or not all(isinstance(v, str) and pattern.match(v) for v in values):
            problems.append(f"{key}: must be a list of names matching {pattern.pattern}, got {values!r}")
    if problems:
        raise refuse(path, f"its header {HEADER} is invalid", problems)
    h["artifacts"] = [Artifact(**a) for a in h["artifacts"]]
    engine = docker.engine_info().architecture
    if compat.norm_arch(str(h.get("architecture", ""))) != compat.norm_arch(engine):
        raise refuse(path, f"a bundle for {h.get('architecture')!r} engines; this engine runs {engine!r}",
                     ["its images and the TPC-H generator would not run here"])
    return h


def _member_problem(m: tarfile.TarInfo, r: Read) -> str | None:
    """Why member `m` must not be read (a link, a device, a bad or unannounced name, a repeat), or None."""
    from devenv.confine import relative_path_problem

    if not m.isreg():
        return f"{m.name!r} is not a regular file (a link, directory or device)"
    bad = relative_path_problem(m.name)
    if bad:
        return f"member name {m.name!r} {bad}"
    if m.name in r.seen:
        return f"{m.name!r} is in the bundle twice"
    if not r.header:
        return None if m.name == HEADER else f"the first member is {m.name!r}, not {HEADER}: not a devenv bundle"
    known = {MANIFEST, IMAGES, *r.header["profile_files"], *r.artifacts}
    return None if m.name in known else f"{m.name!r} is not announced by the header"


def _copy(src: BinaryIO, dest: BinaryIO | None) -> dict[str, Any]:
    """Read `src` to the end (writing it to `dest` if given); its size and sha256."""
    h = Hashing(src, lambda n: None)
    while chunk := h.read(CHUNK):
        if dest is not None:
            dest.write(chunk)
    return {"size": h.n, "sha256": h.h.hexdigest()}


def _wanted(name: str, r: Read) -> bool:
    """Whether a member must be written to the staging directory (what is already here is only hashed)."""
    from devenv import artifacts, docker

    if name in r.artifacts:
        return not artifacts.is_verified(r.artifacts[name])
    if name == IMAGES:
        return r.reload or not all(docker.image_exists(t) for t in r.header["images"] + r.header["base_images"])
    return name != MANIFEST


def _take(path: Path, m: tarfile.TarInfo, f: BinaryIO, staging: Path, r: Read) -> None:
    from devenv.confine import within

    if m.name == HEADER:
        if m.size > HEADER_LIMIT:
            raise refuse(path, f"its header {HEADER} is {m.size} bytes, more than a header holds")
        raw = f.read()
        r.seen[HEADER] = _copy(io.BytesIO(raw), None)
        r.header = _header(path, raw)
        r.artifacts = {artifact_member(a): a for a in r.header["artifacts"]}
        return
    if m.name == MANIFEST:
        raw = f.read(HEADER_LIMIT + 1)
        try:
            r.manifest = json.loads(raw)
        except ValueError as e:
            raise refuse(path, f"its {MANIFEST} is not JSON ({e})") from None
        return
    if not _wanted(m.name, r):
        r.seen[m.name] = _copy(f, None)
        return
    dest = within(staging, m.name, f"bundle member {m.name!r}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    with dest.open("wb") as out:
        r.seen[m.name] = _copy(f, out)
    r.staged.add(m.name)


def read(path: Path, staging: Path, ui: "Ui", *, reload: bool = False) -> Read:
    """Read the whole bundle once: check each member's place, hash it, stage what must be loaded."""
    import zstandard

    r = Read(reload=reload)
    current = "its first member"
    bar, advance = progress(ui, f"checking {path.name}", path.stat().st_size)
    try:
        with bar, path.open("rb") as raw:
            dctx = zstandard.ZstdDecompressor()
            with dctx.stream_reader(Hashing(raw, advance), read_across_frames=True) as z, tarfile.open(fileobj=z, mode="r|") as tar:
                for m in tar:
                    current = repr(m.name)
                    if r.manifest is not None:
                        raise refuse(path, f"member {m.name!r} follows the manifest")
                    problem = _member_problem(m, r)
                    if problem:
                        raise refuse(path, problem)
                    f = tar.extractfile(m)
                    assert f is not None
                    _take(path, m, f, staging, r)
    except (zstandard.ZstdError, tarfile.TarError, EOFError) as e:
        raise refuse(path, f"damaged: reading {current} failed ({e})") from None
    return r


def verify(path: Path, r: Read) -> None:
    """Every member the manifest lists is here with its size and sha256, and nothing else is."""
    m = r.manifest
    if not isinstance(m, dict) or not isinstance(m.get("members"), dict):
        raise refuse(path, f"it has no {MANIFEST} at its end: the file is incomplete or not a bundle")
    listed: dict[str, Any] = m["members"]
    problems = [f"member {n!r} is missing" for n in listed if n not in r.seen]
    problems += [f"member {n!r} is not in the manifest" for n in r.seen if n not in listed]
    for n, got in r.seen.items():
        want = listed.get(n)
        if isinstance(want, dict) and (want.get("size"), want.get("sha256")) != (got["size"], got["sha256"]):
            problems.append(f"member {n!r} is damaged: {got['size']} bytes with sha256 {got['sha256']}, "
                            f"the manifest says {want.get('size')} bytes with sha256 {want.get('sha256')}")
    needed = [HEADER, *r.header["profile_files"], *r.artifacts, *([IMAGES] if r.header["images"] else [])]
    problems += [f"member {n!r} is announced by the header but absent" for n in needed if n not in r.seen and n not in listed]
    if problems:
        raise refuse(path, problems[0], problems[1:])


def image_tags_inside(archive: Path) -> set[str]:
    """The tags a `docker save` archive would create (its own manifest.json), read without loading it."""
    with tarfile.open(archive, mode="r:") as t:
        try:
            f = t.extractfile("manifest.json")
        except KeyError:
            f = None
        if f is None:
            raise DevenvError(f"{IMAGES} has no manifest.json: not a `docker save` archive", hint=HINT)
        entries = json.loads(f.read(HEADER_LIMIT))
    return {str(tag) for e in entries for tag in (e.get("RepoTags") or [])}


@dataclass(frozen=True)
class Imported:
    profile: str
    profile_dir: Path | None          # where a non-built-in profile was placed
    images_loaded: list[str]
    images_present: int
    artifacts_added: int
    artifacts_present: int
    bytes: int
    seconds: float


def _load_artifacts(path: Path, r: Read, staging: Path) -> int:
    from devenv import artifacts

    added = 0
    for name, a in r.artifacts.items():
        if name not in r.staged:
            continue
        dest = artifacts.cached_path(a)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(staging / name), str(dest))
        try:
            artifacts.verify_or_remove(a)
        except DevenvError as e:
            raise refuse(path, f"member {name!r} matches the manifest but not its lock entry ({a.coords})", [e.message]) from None
        added += 1
    return added


def _load_images(path: Path, r: Read, staging: Path) -> list[str]:
    from devenv import docker

    if IMAGES not in r.staged:
        return []
    archive = staging / IMAGES
    allowed = set(r.header["images"]) | set(r.header["base_images"])
    extra = sorted(image_tags_inside(archive) - allowed)
    if extra:
        raise refuse(path, f"{IMAGES} carries tags the header does not name: {', '.join(extra)}")
    loaded = docker.load_images(archive)
    missing = [t for t in sorted(allowed) if not docker.image_exists(t)]
    if missing:
        raise refuse(path, f"after loading {IMAGES}, these images are still absent: {', '.join(missing)}")
    return loaded


def _place_profile(r: Read, staging: Path) -> Path | None:
    """Profile files that differ from the built-in ones go to <state>/bundles/<profile>/ (trust is asked there, not implied)."""
    from devenv import fsutil
    from devenv.paths import paths
    from devenv.profile import builtin_dir

    target = paths().state / "bundles" / r.header["profile"]
    placed = None
    for member in r.header["profile_files"]:
        data = (staging / member).read_bytes()
        name = member.split("/", 1)[1]
        builtin = builtin_dir() / name
        if builtin.is_file() and builtin.read_bytes() == data:
            continue
        fsutil.atomic_write(target / name, data)
        placed = target
    return placed


def import_bundle(path: Path, ui: "Ui", *, reload: bool = False) -> Imported:
    """Check every member of the bundle at `path`, then load its artifacts, images and profile; idempotent.

    `reload` loads the images even when their tags are here (`docker load` of present layers changes nothing)."""
    from devenv.confine import safe_rmtree
    from devenv.paths import paths

    started = time.monotonic()
    if not path.is_file():
        raise DevenvError(f"no bundle at {path}", hint="name the file `devenv bundle export` wrote")
    root = paths().state / "bundle"
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="import-", dir=root))
    try:
        r = read(path, staging, ui, reload=reload)
        verify(path, r)
        added = _load_artifacts(path, r, staging)
        loaded = _load_images(path, r, staging)
        placed = _place_profile(r, staging)
    finally:
        safe_rmtree(staging, root)
    tags = r.header["images"] + r.header["base_images"]
    return Imported(r.header["profile"], placed, loaded, 0 if loaded else len(tags), added, len(r.artifacts) - added,
                    path.stat().st_size, time.monotonic() - started)
