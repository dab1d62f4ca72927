"""Trust in profiles from elsewhere, like `direnv allow` or `mise trust`.

A `devenv.toml` committed in a repository, a `--profile PATH` or `$DEVENV_PROFILE`
is input from whoever last pushed to that repository. Before devenv acts on such
a profile (one that is neither built-in nor in the user's own profile directory)
and the profile brings something that acts on this machine (seed steps,
`[sources]`, a lock of its own, `seed_on_first_start`, a non-loopback bind),
the user reviews what it will do and trusts it once: `devenv trust` records the
sha256 of the profile, every file of its `extends` chain that is not built-in,
their locks and every file the seed steps read. Any change asks again, naming
what changed. In a pipeline (`CI=true`), `--trust` or `DEVENV_TRUST=1` is the
explicit opt-in; the variable alone, outside CI, does not count, so a line left
in a shell profile cannot trust every repository.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from devenv.errors import DevenvError

if TYPE_CHECKING:
    from devenv.console import Ui
    from devenv.profile import Profile

SCHEMA = 1
FILE_KINDS = ("copy", "sql", "pyspark", "jar")  # seed steps that read files on this machine


@dataclass(frozen=True)
class Review:
    """What an untrusted profile will do, and the sha256 of every file that decides it."""

    profile: Path
    actions: list[str]
    files: dict[str, str] = field(default_factory=dict)


# --- which profiles need trust -------------------------------------------------

def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except (ValueError, OSError):
        return False


def is_own(path: Path) -> bool:
    """A built-in profile, or one in the user's own profile directory: trusted without asking."""
    from devenv.paths import paths
    from devenv.profile import builtin_dir

    return _inside(path, builtin_dir()) or _inside(path, paths().user_profiles)


def _foreign_chain(profile: "Profile") -> list[Path]:
    """The files of the profile's `extends` chain that are not built-in (child first)."""
    from devenv.profile import builtin_dir

    return [Path(label) for label in profile.chain if label != "<built-in>" and not _inside(Path(label), builtin_dir())]


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    try:
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    except OSError:
        return "missing"
    return h.hexdigest()


def _tree(path: Path) -> list[Path]:
    """A file, or every file under a directory (sorted); a missing path is itself (hashed as missing)."""
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file())
    return [path]


def review(profile: "Profile") -> Review | None:
    """What the profile will do, or None when it needs no trust (its own, or nothing that acts)."""
    from devenv.tomlsource import load

    if profile.path is None or is_own(profile.path):
        return None
    chain = _foreign_chain(profile)
    actions: list[str] = []
    files: dict[str, str] = {str(p.resolve()): _sha256(p) for p in chain}
    for f in chain:
        data = load(f).data
        actions += _seed_actions(f, data, files)
        for key, url in (data.get("sources") or {}).items():
            actions.append(f"[sources] {key} = {url} (from {f}): artifacts are downloaded from there")
        if data.get("seed_on_first_start") is True:
            actions.append(f"seed_on_first_start = true (from {f}): `devenv up` runs the seed steps when it creates the cluster")
        actions += _lock_action(f, files)
    from devenv.exposure import is_loopback

    bind = str(profile.network.get("bind", "127.0.0.1"))
    if not is_loopback(bind):
        actions.append(f"[network] bind = {bind!r}: the cluster's ports are published beyond this machine")
    if not actions:
        return None
    return Review(profile.path.resolve(), actions, files)


def _seed_actions(f: Path, data: dict[str, Any], files: dict[str, str]) -> list[str]:
    """One line per seed step of one file; the files a step reads are hashed into `files`."""
    out = []
    for i, step in enumerate(data.get("seed") or []):
        if not isinstance(step, dict):
            continue
        kind = next((k for k in ("dataset", *FILE_KINDS, "shell") if k in step), "?")
        where = f"seed[{i}] in {f.name}"
        if kind in FILE_KINDS:
            src = (f.parent / str(step[kind])).resolve()
            hashed = _tree(src)
            for p in hashed:
                files[str(p)] = _sha256(p)
            what = f"{len(hashed)} files under {src}" if src.is_dir() else str(src)
            dest = f" -> {step['to']}" if "to" in step else ""
            out.append(f"{where}: {kind} {what}{dest}")
        elif kind == "shell":
            out.append(f"{where}: shell in {step.get('service', 'spark-history')}: {step['shell']}")
        else:
            out.append(f"{where}: {kind} {step.get(kind)}")
    return out


def _lock_action(f: Path, files: dict[str, str]) -> list[str]:
    from devenv import lock as lk

    path = lk.lock_path(f)
    if not path.is_file():
        return []
    files[str(path.resolve())] = _sha256(path)
    try:
        n = f"{len(lk.read(path).artifacts)} entries"
    except DevenvError:
        n = "unreadable"
    return [f"lock {path} ({n}): fetch, build and up download and cache what it lists"]


# --- the records ---------------------------------------------------------------

def record_file() -> Path:
    """Where trust is recorded: trust.json in devenv's state directory."""
    from devenv.paths import paths

    return paths().state / "trust.json"


def records() -> dict[str, dict[str, Any]]:
    """Trusted profile path -> {"files": {path: sha256}, "trusted": ISO time}; empty if none or unreadable."""
    try:
        data = json.loads(record_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("schema") != SCHEMA or not isinstance(data.get("profiles"), dict):
        return {}
    return data["profiles"]


def _save(profiles: dict[str, dict[str, Any]]) -> None:
    """Atomic (fsutil.atomic_write): a crash leaves the old record or the new one."""
    from devenv import fsutil

    path = record_file()
    try:
        fsutil.atomic_write(path, json.dumps({"schema": SCHEMA, "profiles": profiles}, indent=1, sort_keys=True))
    except OSError as e:
        raise DevenvError(f"cannot write the trust record {path}: {e.strerror}", hint=f"check the permissions of {path.parent}") from None


def trust(rev: Review) -> None:
    """Record the profile as trusted with the current sha256 of every file that decides what it does."""
    profiles = records()
    profiles[str(rev.profile)] = {"files": rev.files, "trusted": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    _save(profiles)


def revoke(path: Path) -> bool:
    """Forget a profile's trust; False when it was not trusted."""
    profiles = records()
    if profiles.pop(str(path.resolve()), None) is None:
        return False
    _save(profiles)
    return True


def changes(recorded: dict[str, str], current: dict[str, str]) -> list[str]:
    """What differs between the recorded and the current sha256 of each file, one line each."""
    out = []
    for p in sorted(set(recorded) | set(current)):
        if p not in recorded:
            out.append(f"new: {p}")
        elif p not in current:
            out.append(f"no longer used: {p}")
        elif recorded[p] != current[p]:
            out.append(f"changed: {p}" if current[p] != "missing" else f"removed: {p}")
    return out


def changed_since(recorded: dict[str, Any]) -> list[str]:
    """The recorded files of one trust record that changed since (new files a profile now reads show on use)."""
    files = recorded.get("files", {})
    return changes(files, {p: _sha256(Path(p)) for p in files})


# --- the check acting commands go through ---------------------------------------

def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def env_opt_in() -> bool:
    return os.environ.get("DEVENV_TRUST", "") == "1"


def ensure(profile: "Profile", ui: "Ui", *, opt_in: bool = False) -> None:
    """Return when the profile may act; ask on a terminal, otherwise refuse naming `devenv trust`."""
    rev = review(profile)
    if rev is None:
        return
    recorded = records().get(str(rev.profile))
    changed = changes(recorded["files"], rev.files) if recorded else []
    if recorded and not changed:
        return
    if in_ci():
        if opt_in or env_opt_in():
            ui.warn(f"trusting {rev.profile} for this run (CI=true with --trust or DEVENV_TRUST=1)")
            show(ui, rev, changed)
            return
        raise _refusal(rev, changed, "CI=true and no opt-in (--trust or DEVENV_TRUST=1)")
    if not sys.stdin.isatty():
        raise _refusal(rev, changed, "no terminal to ask on")
    show(ui, rev, changed)
    from rich.prompt import Confirm

    if not Confirm.ask("trust this profile and go on?", console=ui.err, default=False, stream=sys.stdin):
        raise DevenvError(f"not trusted: {rev.profile}", hint=f"review it, then: devenv trust {rev.profile}")
    trust(rev)


def show(ui: "Ui", rev: Review, changed: list[str]) -> None:
    """Print what the profile will do (and what changed since it was trusted) on the message console."""
    from rich.markup import escape

    head = "changed since you trusted it" if changed else "is not built-in and not in your profile directory"
    ui.err.print(f"profile {escape(str(rev.profile))} {head}")
    for line in changed:
        ui.err.print(f"  {escape(line)}")
    ui.err.print("it will:")
    for line in rev.actions:
        ui.err.print(f"  - {escape(line)}")


def _refusal(rev: Review, changed: list[str], why: str) -> DevenvError:
    what = "changed since it was trusted" if changed else "is not trusted"
    return DevenvError(
        f"profile {rev.profile} {what} ({why})",
        details=[*changed, "it will:", *(f"- {a}" for a in rev.actions)],
        hint=f"review it, then: devenv trust {rev.profile}   (in a pipeline: CI=true with --trust or DEVENV_TRUST=1)",
    )
