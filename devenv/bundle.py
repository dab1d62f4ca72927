"""Offline bundles: one file holding everything a machine without network needs to run a profile.

A bundle is a tar stream compressed with zstandard (`.tar.zst`, with zstd's own
frame checksum), written and read as a stream, never held in memory:

    devenv-bundle.json    first: format, schema, profile, engine architecture, images, artifacts
    profile/<file>        the profile, each non-built-in file of its `extends` chain, and its lock
    artifacts/maven/...   the locked artifacts in the cache's own layout, and the TPC-H
    artifacts/pypi/...    generator wheel for the engine's architecture
    images/images.tar     one `docker save` of the profile's images and their base images
                          (layers they share are in it once)
    manifest.json         last: size and sha256 of every member above

Export hashes each member while it writes it; `bundle_import` checks every
member against the manifest before it loads anything.
"""

from __future__ import annotations

import contextlib
import io
import json
import tarfile
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Callable

from devenv.errors import DevenvError

if TYPE_CHECKING:
    from devenv.console import Ui
    from devenv.context import Context
    from devenv.lock import Artifact

FORMAT = "devenv-bundle"
SCHEMA = 1
HEADER = "devenv-bundle.json"
MANIFEST = "manifest.json"
IMAGES = "images/images.tar"
LEVEL = 3           # zstd level: fast; image layers are mostly compressed already
CHUNK = 1 << 20
SUFFIX = ".devenv-bundle.tar.zst"


def artifact_member(a: "Artifact") -> str:
    """The member name of a cached artifact: its cache path under artifacts/."""
    return f"artifacts/{a.source}/{a.path}"


@dataclass(frozen=True)
class Contents:
    """What goes into a bundle of one profile, before anything is written."""

    header: dict
    files: list[tuple[str, Path]]   # (member name, file on this machine), in bundle order
    images: list[str]               # tags to `docker save`, devenv's then the base images


def gather(ctx: "Context", ui: "Ui") -> Contents:
    """The profile, its lock, its artifacts (fetched if missing), its images (built if missing) and the generator wheel."""
    from devenv import artifacts, docker, images, profile
    from devenv.confine import inside
    from devenv.seed import tpch, tpch_load

    lock = ctx.lock()
    ctx.fetch(lock)
    wheel_path = tpch_load.generator_wheel(ctx)
    arch = docker.engine_info().architecture or "x86_64"
    arts = [*lock.unique(), tpch.wheel_for(arch)]
    assert artifacts.cached_path(arts[-1]) == wheel_path
    built = images.build_profile(ctx)
    tags = [p.tag for p, _ in built]
    bases = sorted({p.args["BASE_IMAGE"] for p, _ in built if "BASE_IMAGE" in p.args})
    for ref in bases:
        if not docker.image_exists(ref):
            raise DevenvError(f"the base image {ref} is not on this engine", hint=f"pull or load it (docker pull {ref}), then export again")
    chain = [Path(c) for c in ctx.profile.chain if c != "<built-in>" and not inside(Path(c), profile.builtin_dir())]
    prof_files = [(f"profile/{f.name}", f) for f in chain or [ctx.profile.path]]
    lock_file = ctx.lock_source()
    prof_files.append((f"profile/{ctx.profile.name}.lock", lock_file))
    header = {
        "format": FORMAT, "schema": SCHEMA, "profile": ctx.profile.name, "architecture": arch,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "profile_files": [m for m, _ in prof_files], "images": tags, "base_images": bases,
        "artifacts": [asdict(a) for a in arts],
    }
    files = prof_files + [(artifact_member(a), artifacts.cached_path(a)) for a in arts]
    return Contents(header, files, tags + bases)


class Hashing(io.RawIOBase):
    """A readable file seen through: the sha256 and byte count of what passed, progress advanced as it goes."""

    def __init__(self, f: BinaryIO, advance: Callable[[int], None]) -> None:
        import hashlib

        self.f, self.advance, self.h, self.n = f, advance, hashlib.sha256(), 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self.f.read(size)
        self.h.update(data)
        self.n += len(data)
        self.advance(len(data))
        return data

    def readinto(self, b) -> int:  # type: ignore[no-untyped-def]
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)


def progress(ui: "Ui", description: str, total: int):  # type: ignore[no-untyped-def]
    """A rich progress bar of bytes on stderr (off without a terminal): returns (context manager, advance)."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

    bar = Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn(),
                   console=ui.err, disable=not ui.interactive)
    task = bar.add_task(description, total=total)
    return bar, lambda n: bar.advance(task, n)


def _add(tar: tarfile.TarFile, name: str, f: BinaryIO, size: int, mtime: int, advance: Callable[[int], None]) -> dict:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o644, mtime
    hashed = Hashing(f, advance)
    tar.addfile(info, hashed)
    if hashed.n != size:
        raise DevenvError(f"{name} changed while the bundle was written ({hashed.n} of {size} bytes read)", hint="export again")
    return {"size": size, "sha256": hashed.h.hexdigest()}


def write(dest: Path, contents: Contents, images_tar: Path | None, ui: "Ui") -> dict:
    """Write the bundle to `dest` (through `dest.part`, renamed when complete); returns the manifest."""
    import zstandard

    header = json.dumps(contents.header, indent=1).encode()
    members: list[tuple[str, Path | bytes]] = [(HEADER, header), *contents.files]
    if images_tar is not None:
        members.append((IMAGES, images_tar))
    sizes = [len(src) if isinstance(src, bytes) else src.stat().st_size for _, src in members]
    manifest: dict[str, dict] = {}
    part = dest.with_name(dest.name + ".part")
    mtime = int(time.time())
    bar, advance = progress(ui, f"writing {dest.name}", sum(sizes))
    try:
        with bar, part.open("wb") as raw:
            cctx = zstandard.ZstdCompressor(level=LEVEL, write_checksum=True, threads=-1)
            with cctx.stream_writer(raw, closefd=False) as z, tarfile.open(fileobj=z, mode="w|", format=tarfile.PAX_FORMAT) as tar:
                for (name, src), size in zip(members, sizes):
                    with (io.BytesIO(src) if isinstance(src, bytes) else src.open("rb")) as f:
                        manifest[name] = _add(tar, name, f, size, mtime, advance)
                body = json.dumps({"format": FORMAT, "schema": SCHEMA, "members": manifest}, indent=1).encode()
                _add(tar, MANIFEST, io.BytesIO(body), len(body), mtime, lambda n: None)
        part.replace(dest)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return manifest


@dataclass(frozen=True)
class Exported:
    path: Path
    bytes: int
    members: int
    image_bytes: int
    artifact_bytes: int
    seconds: float


def export(ctx: "Context", dest: Path | None) -> Exported:
    """Write a bundle of `ctx`'s profile to `dest` (default: `<profile>.devenv-bundle.tar.zst` here)."""
    from devenv import docker
    from devenv.confine import safe_rmtree
    from devenv.paths import paths

    started = time.monotonic()
    ui = ctx.ui
    dest = (dest or Path(f"{ctx.profile.name}{SUFFIX}")).absolute()
    if not dest.parent.is_dir():
        raise DevenvError(f"cannot write the bundle: {dest.parent} is not a directory", hint="pass -o FILE in an existing directory")
    contents = gather(ctx, ui)
    root = paths().state / "bundle"
    root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="export-", dir=root))
    try:
        images_tar = work / "images.tar"
        with ui.err.status(f"saving {len(contents.images)} images", spinner="dots") if ui.interactive else contextlib.nullcontext():
            docker.save_images(contents.images, images_tar)
        manifest = write(dest, contents, images_tar, ui)
    finally:
        safe_rmtree(work, root)
    art = sum(m["size"] for n, m in manifest.items() if n.startswith("artifacts/"))
    return Exported(dest, dest.stat().st_size, len(manifest) + 1, manifest[IMAGES]["size"], art, time.monotonic() - started)

