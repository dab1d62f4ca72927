"""One process at a time changes a cluster: an advisory lock file in its state directory.

`up`, `down`, `restart` and `seed` hold `changing(name)` while they work. The
lock (`locks/<name>.lock` in the state directory) is an OS file lock (flock on POSIX, msvcrt on Windows), so the kernel
releases it when its holder dies: a lock left by a killed process is simply
taken over. The file records the holder's pid and start time for the message
a second process gets: "cluster X is being changed by process N since T".
Holding it again in the same process (`up --seed`) is allowed.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import threading
import time
from pathlib import Path
from typing import IO, Iterator

from devenv.errors import DevenvError
from devenv.paths import paths
from devenv.schema import NAME_PATTERN

WAIT_SECONDS = 3.0
_held: dict[str, int] = {}
_guard = threading.Lock()


def lock_file(name: str) -> Path:
    """`locks/<name>.lock` in the state directory: beside, not inside, the cluster's directory (which `down --volumes`
    removes and whose existence means "a cluster")."""
    if not re.fullmatch(NAME_PATTERN, name):
        raise DevenvError(f"cluster name {name!r} must be lower-case letters, digits and '-'")
    return paths().state / "locks" / f"{name}.lock"


def try_lock(f: IO[bytes]) -> bool:
    """Take an exclusive OS lock on an open file without waiting; False if another process holds it."""
    try:
        if sys.platform == "win32":
            import msvcrt

            f.seek(0)
            msvcrt.locking(f.fileno(), msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False


def _holder(path: Path) -> str:
    try:
        info = json.loads(path.read_text(encoding="utf-8") or "{}")
        return f"process {info['pid']} since {info['since']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "another process"


def _same_file(f: IO[bytes], path: Path) -> bool:
    """False if the file was removed or replaced (`down --volumes`) after we opened it: lock the new one instead."""
    try:
        return os.path.samestat(os.fstat(f.fileno()), path.stat())
    except OSError:
        return False


def _acquire(name: str, wait: float) -> IO[bytes]:
    path = lock_file(name)
    deadline = time.monotonic() + wait
    while True:
        path.parent.mkdir(parents=True, exist_ok=True)
        f = open(path, "a+b")
        if try_lock(f):
            if _same_file(f, path):
                return f
        f.close()
        if time.monotonic() >= deadline:
            raise DevenvError(f"cluster {name!r} is being changed by {_holder(path)}",
                              hint="wait for that command to finish (or stop it), then run this one again")
        time.sleep(0.2)


@contextlib.contextmanager
def changing(name: str, *, wait: float | None = None) -> Iterator[None]:
    """Hold cluster `name`'s lock (waiting up to `wait`, default WAIT_SECONDS, for another process); reentrant in a process."""
    with _guard:
        if _held.get(name):
            _held[name] += 1
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield
        finally:
            with _guard:
                _held[name] -= 1
        return
    f = _acquire(name, WAIT_SECONDS if wait is None else wait)
    try:
        f.seek(0)
        f.truncate()
        since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime())
        f.write(json.dumps({"pid": os.getpid(), "since": since}).encode())
        f.flush()
        with _guard:
            _held[name] = 1
        yield
    finally:
        with _guard:
            _held.pop(name, None)
        f.close()  # releases the lock
