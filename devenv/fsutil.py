"""Safe file writes: atomic replacement, private files, and state files that survive a crash.

Every state file devenv writes goes through `atomic_write`: a temporary file in
the same directory, fsync, then `os.replace`, so a crash, Ctrl-C or a full disk
leaves either the old file or the new one, never half of one. JSON state keeps
the previous good copy as `<file>.bak` (`write_json` / `read_json`).
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any, Callable

from devenv.errors import DevenvError

log = logging.getLogger("devenv.fsutil")


def _fsync_dir(d: Path) -> None:
    try:
        fd = os.open(d, os.O_RDONLY)
    except OSError:  # Windows cannot open a directory
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _temp_with(path: Path, data: bytes, mode: int) -> Path:
    """A fsynced temporary file next to `path` holding `data`, private while it is written, then `mode`."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)  # created 0600
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(name, mode)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)


def atomic_write(path: Path, data: str | bytes, *, mode: int = 0o644) -> bool:
    """Replace `path` with `data` atomically (same directory, fsync, os.replace); False if it already held exactly that.

    An unchanged file is not touched, so its inode, mtime and any reader keep it.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    try:
        if path.read_bytes() == raw:
            if (path.stat().st_mode & 0o777) != mode:
                os.chmod(path, mode)
            return False
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_with(path, raw, mode)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)
    return True


def write_validated(path: Path, text: str, check: Callable[[Path], object], *, mode: int = 0o644) -> None:
    """Write `text` to `path` only if `check(temporary file)` accepts it: an invalid file is never left behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_with(path, text.encode("utf-8"), mode)
    try:
        check(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def create_once(path: Path, data: str | bytes, *, mode: int = 0o600) -> bool:
    """Create `path` with `data` unless it exists (never replaced: two processes agree on one content); True if created."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_with(path, raw, mode)
    try:
        os.link(tmp, path)  # fails if another process created it first
    except FileExistsError:
        return False
    except OSError:  # a file system without hard links: the first one here still wins
        if path.exists():
            return False
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_dir(path.parent)
    return True


def backup_path(path: Path) -> Path:
    return path.with_name(path.name + ".bak")


def write_json(path: Path, data: Any) -> None:
    """Write JSON state atomically, keeping the previous readable version as `<file>.bak`."""
    try:
        old = path.read_bytes()
        json.loads(old)
        atomic_write(backup_path(path), old)
    except (OSError, ValueError):
        pass
    atomic_write(path, json.dumps(data, indent=1))


def read_json(path: Path, *, fix: str, default: Any = None) -> Any:
    """JSON state: `default` if there is none; a damaged file falls back to its `.bak`, else a located error with `fix`."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return default
    try:
        return json.loads(text)
    except ValueError as e:
        problem = str(e)
    bak = backup_path(path)
    try:
        data = json.loads(bak.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise DevenvError(f"{path} is damaged ({problem}) and has no readable backup ({bak.name})", hint=fix) from None
    log.warning("%s is damaged (%s); using the previous version %s", path, problem, bak)
    return data


def private_dir(path: Path) -> Path:
    """Create `path` (and parents) and make it readable by this user only (0700)."""
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path
