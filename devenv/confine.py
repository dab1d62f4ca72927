"""Confinement: paths from a lock, a profile's seed steps or the command line are data, checked before use.

A committed profile and its lock are input from whoever last pushed to the
repository. Their paths must stay inside the directory they are meant for (the
artifact cache, the profile's directory), and every removal devenv makes must
stay inside the root it owns. Each check returns a message (or None) so that
callers can locate it (file:line: key: message).
"""

from __future__ import annotations

import posixpath
import re
import shutil
from pathlib import Path

from devenv.errors import DevenvError

# Characters a seed file name may use: it reaches a shell command line in the cluster.
_SAFE_NAME = re.compile(r"[A-Za-z0-9._+@=,-]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# HDFS directories a seed step must never replace (the replaced target is deleted with -skipTrash).
PROTECTED_HDFS = ("/", "/tmp", "/user", "/user/hive", "/user/hive/warehouse")


def control_character(value: str) -> str | None:
    """A description of the first control character in `value`, or None."""
    m = _CONTROL.search(value)
    return None if m is None else f"{m.group(0)!r} at position {m.start() + 1}"


def relative_path_problem(value: str, *, file_names: bool = False) -> str | None:
    """Why `value` is not a plain relative path (forward slashes, no '..', no empty or '.' segments), or None.

    With `file_names`, every character must also be one a shell reads as part of a word.
    """
    if not value:
        return "must not be empty"
    bad = control_character(value)
    if bad:
        return f"must not contain control characters ({bad})"
    if "\\" in value:
        return f"must use '/' between directories, not backslashes: {value!r}"
    if re.match(r"^[A-Za-z]:", value):
        return f"must be a relative path, not a drive path: {value!r}"
    if value.startswith("/") or value.startswith("~"):
        return f"must be a relative path, not {value!r}"
    segments = (value[:-1] if value.endswith("/") else value).split("/")  # a trailing '/' names a directory
    if ".." in segments:
        return f"must not leave its directory ('..' in {value!r})"
    if any(s in ("", ".") for s in segments):
        return f"must not have empty or '.' segments: {value!r}"
    if file_names:
        odd = next((ch for ch in value if ch != "/" and not _SAFE_NAME.match(ch)), None)
        if odd is not None:
            return f"file names may only use letters, digits and . _ - + @ = , ({value!r} has {odd!r})"
    return None


def inside(path: Path, root: Path) -> bool:
    """True if `path`, with every symlink resolved, is `root` or below it."""
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except ValueError:
        return False


def within(root: Path, relative: str, what: str) -> Path:
    """`root / relative`, refusing anything that is not a plain relative path staying inside `root`."""
    msg = relative_path_problem(relative)
    path = root / relative
    if msg is None and not inside(path, root):
        msg = f"leaves {root} (it resolves to {path.resolve()})"
    if msg:
        raise DevenvError(f"{what}: {msg}", hint="the file that names it is not trustworthy: regenerate or fix it")
    return path


def safe_rmtree(path: Path, root: Path) -> None:
    """Remove the directory tree `path`, which must lie strictly inside `root` (symlinks resolved)."""
    if not inside(path, root) or path.resolve() == root.resolve():
        raise DevenvError(f"refusing to remove {path}: it is not inside {root}",
                          hint="devenv removes only what it created under its own directories")
    shutil.rmtree(path, ignore_errors=True)


def hdfs_target_problem(to: str) -> str | None:
    """Why a seed step's HDFS target `to` must not be replaced, or None."""
    bad = control_character(to)
    if bad:
        return f"must not contain control characters ({bad})"
    m = re.match(r"^hdfs://[^/]*(/.*)?$", to)
    path = (m.group(1) or "/") if m else to
    if not path.startswith("/"):
        return f"must be an absolute HDFS path such as /data/x, got {to!r}"
    if ".." in path.split("/"):
        return f"must not contain '..', got {to!r}"
    norm = posixpath.normpath(path)
    norm = "/" if norm in ("/", "//") else norm
    if any(p == norm or p.startswith(norm.rstrip("/") + "/") for p in PROTECTED_HDFS):
        return (f"{to!r} is {'' if norm in PROTECTED_HDFS else 'an ancestor of '}a directory HDFS needs "
                f"(the target is replaced and the old one deleted): copy into a directory of its own, such as /data/x")
    return None


def seed_file_problem(kind: str, value: str, base: Path) -> str | None:
    """Why the file a seed step of `kind` names (`value`, relative to `base`) must not be used, or None.

    A missing file is not a problem here (the step reports it when it runs); a
    symlink leaving the profile's directory, a directory where a file is
    needed, or SQL that is not UTF-8 text is.
    """
    path = base / value
    if relative_path_problem(value, file_names=True) or not (path.exists() or path.is_symlink()):
        return None
    if not inside(path, base):
        return f"{value!r} leaves the profile's directory {base} (it resolves to {path.resolve()})"
    if path.is_dir():
        if kind != "copy":
            return f"{value!r} is a directory; a {kind!r} step needs a file"
        escaping = next((p for p in sorted(path.rglob("*")) if not inside(p, base)), None)
        if escaping is not None:
            return f"{escaping.relative_to(base)} inside {value!r} leaves the profile's directory (it resolves to {escaping.resolve()})"
    elif kind == "sql":
        raw = path.read_bytes()
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as e:
            line = raw.count(b"\n", 0, e.start) + 1
            return f"{value!r} is not UTF-8 text (line {line}, byte {e.start} is 0x{raw[e.start]:02x}): save it as UTF-8"
    return None
