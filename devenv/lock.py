"""Lock files: every artifact that enters an image, with its exact version and checksum.

A lock sits beside its profile (`profiles/default.lock`). `devenv lock`
regenerates it with the real resolvers: Maven, run inside the tools image, for
Maven artifacts, and pip for PyPI packages. Builds never resolve: they fetch
exactly what the lock names.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable

from devenv.errors import DevenvError
from devenv.tomlsource import KeyPath, format_path

LOCK_SCHEMA = 1


@dataclass(frozen=True)
class Artifact:
    image: str      # the image it enters: hadoop, hive, spark
    source: str     # maven | pypi
    coords: str     # group:artifact:type[:classifier]:version, or name==version
    path: str       # maven: repository layout path; pypi: file name
    size: int
    sha256: str

    @property
    def filename(self) -> str:
        return self.path.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Lock:
    profile: str
    inputs: str                       # digest of what the lock was resolved from
    versions: dict[str, str]
    artifacts: tuple[Artifact, ...] = field(default_factory=tuple)

    def for_image(self, image: str) -> list[Artifact]:
        return [a for a in self.artifacts if a.image == image]

    @property
    def total_size(self) -> int:
        return sum(a.size for a in self.unique())

    def unique(self) -> list[Artifact]:
        """Each file once, even when two images use it."""
        seen: dict[tuple[str, str], Artifact] = {}
        for a in self.artifacts:
            seen.setdefault((a.source, a.path), a)
        return list(seen.values())


def lock_path(profile_path: Path) -> Path:
    return profile_path.with_suffix(".lock")


def inputs_digest(versions: dict[str, str], recipes: Iterable[Path]) -> str:
    """What a lock depends on: the pins and the resolver recipes (pom.xml files)."""
    h = hashlib.sha256()
    h.update(json.dumps(versions, sort_keys=True).encode())
    for p in sorted(recipes):
        h.update(p.parent.name.encode())
        h.update(p.read_bytes().replace(b"\r\n", b"\n"))
    return h.hexdigest()


_READ: dict[tuple[str, int, str], Lock] = {}  # (path, mtime, sha256 of its bytes) -> the checked lock: a command reads it once


def read(path: Path) -> Lock:
    """Read and check a lock: every problem located (file:line:col: key: message), nothing trusted unchecked.

    A lock already read and checked in this process, unchanged since (same bytes and time), is not parsed again."""
    try:
        key = (str(path), path.stat().st_mtime_ns, hashlib.sha256(path.read_bytes()).hexdigest())
    except OSError:
        return _read(path)
    if key not in _READ:
        _READ[key] = _read(path)
    return _READ[key]


def _read(path: Path) -> Lock:
    from devenv.errors import ProfileError
    from devenv.tomlsource import TomlSyntaxError, load

    regen = f"regenerate it: devenv lock {path.stem}"
    if not path.is_file():
        raise DevenvError(f"no lock file for this profile: {path} does not exist",
                          hint=f"create it with: devenv lock {path.stem}   (needs the Docker engine and network access)")
    try:
        src = load(path)
    except TomlSyntaxError as e:
        raise DevenvError(f"{e.location}: the lock file is not valid TOML", details=[e.message], hint=regen) from None
    data = src.data
    if data.get("schema") != LOCK_SCHEMA:
        raise DevenvError(f"{path}: lock schema {data.get('schema')!r}, this devenv reads {LOCK_SCHEMA}", hint=regen)
    problems = [f"{src.where(k)}: {format_path(k)}: {m}" for k, m in lock_problems(data)]
    if problems:
        raise ProfileError(f"the lock file {path} is invalid ({len(problems)} problem{'s' if len(problems) != 1 else ''})", problems, hint=regen)
    arts = tuple(Artifact(**{k: a[k] for k in ARTIFACT_KEYS}) for a in data.get("artifact", []))
    return Lock(profile=data["profile"], inputs=data["inputs"], versions=dict(data["versions"]), artifacts=arts)


ARTIFACT_KEYS = ("image", "source", "coords", "path", "size", "sha256")
SOURCES = ("maven", "pypi")


def _artifact_problems(a: dict[str, Any]) -> Iterable[tuple[str, str]]:
    from devenv.confine import control_character, relative_path_problem

    for k in ARTIFACT_KEYS:
        if k not in a:
            yield "", f"missing key {k!r}"
    for k in ("image", "source", "coords", "path", "sha256"):
        if k in a and not isinstance(a[k], str):
            yield k, f"must be a string, not {a[k]!r}"
    if isinstance(a.get("source"), str) and a["source"] not in SOURCES:
        yield "source", f"unknown source {a['source']!r}; a lock knows {', '.join(SOURCES)}"
    if isinstance(a.get("path"), str):
        msg = relative_path_problem(a["path"])
        if msg:
            yield "path", f"{msg}: a lock path is relative to the artifact cache"
    for k in ("image", "coords"):
        bad = control_character(a[k]) if isinstance(a.get(k), str) else None
        if bad:
            yield k, f"must not contain control characters ({bad})"
    if "size" in a and (not isinstance(a["size"], int) or isinstance(a["size"], bool) or a["size"] < 0):
        yield "size", f"must be a whole number of bytes (0 or more), not {a['size']!r}"
    if isinstance(a.get("sha256"), str) and not re.fullmatch(r"[0-9a-f]{64}", a["sha256"]):
        yield "sha256", f"must be 64 lower-case hex digits, not {a['sha256']!r}"


def lock_problems(data: dict[str, Any]) -> list[tuple[KeyPath, str]]:
    """Every problem in a parsed lock, as (key path, message)."""
    out: list[tuple[KeyPath, str]] = []
    for k, t, what in (("profile", str, "a string"), ("inputs", str, "a string"), ("versions", dict, "a table")):
        if not isinstance(data.get(k), t):
            out.append(((k,), f"must be {what}, not {data.get(k)!r}"))
    arts = data.get("artifact", [])
    if not isinstance(arts, list):
        return [*out, (("artifact",), "must be an array of tables ([[artifact]] entries)")]
    for i, a in enumerate(arts):
        if not isinstance(a, dict):
            out.append((("artifact", i), "must be a table"))
            continue
        out += [(("artifact", i, k) if k else ("artifact", i), m) for k, m in _artifact_problems(a)]
    return out


def write(path: Path, lock: Lock) -> None:
    """Write the lock atomically: a failed write leaves the old one intact."""
    import tomlkit

    from devenv import fsutil

    doc = tomlkit.document()
    doc.add(tomlkit.comment(f"devenv lock for profile {lock.profile!r}: every artifact that enters an image."))
    doc.add(tomlkit.comment(f"Generated by `devenv lock {lock.profile}`; do not edit. Builds fetch exactly these files."))
    doc.add("schema", LOCK_SCHEMA)
    doc.add("profile", lock.profile)
    doc.add("inputs", lock.inputs)
    doc.add("versions", lock.versions)
    aot = tomlkit.aot()
    for a in sorted(lock.artifacts, key=lambda a: (a.image, a.source, a.path)):
        t = tomlkit.table()
        for k, v in asdict(a).items():
            t.add(k, v)
        aot.append(t)
    doc.add("artifact", aot)
    fsutil.atomic_write(path, tomlkit.dumps(doc))


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
