"""Which devenv home owns a resource on the (shared) engine.

One engine serves several devenv homes: a developer's own, the test suite's,
another user's, everyone on a shared DOCKER_HOST. Each home gets a random id,
made once and kept in its state directory (`owner-id`); everything devenv
creates carries it in the `devenv.owner` label. Removal (prune, doctor --fix,
down --volumes, images prune) touches only resources carrying this home's id
unless the user widens it with --all-owners. Resources without the label were
made by an older devenv: their owner is unknown, and they count as not ours.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Iterable, Mapping

from devenv import labels as lb
from devenv.errors import DevenvError
from devenv.paths import paths

FILE = "owner-id"
UNKNOWN = "unknown"  # how a resource without the label is named in messages
_ID = re.compile(r"[0-9a-f]{16}")


def _file() -> Path:
    return paths().state / FILE


def _read(f: Path) -> str | None:
    try:
        text = f.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as e:
        raise DevenvError(f"cannot read this devenv home's owner id ({f}): {e}", hint="fix its permissions, or delete it to make a new one") from None
    if not _ID.fullmatch(text):
        raise DevenvError(f"this devenv home's owner id ({f}) is damaged: {text[:40]!r}",
                          hint="delete the file: devenv makes a new id (resources labelled with the old one then count as another home's)")
    return text


def _create(f: Path) -> str:
    """Write a new id; when two processes race, the first one's id wins and both return it."""
    from devenv import fsutil

    try:
        fsutil.create_once(f, secrets.token_hex(8) + "\n", mode=0o644)
    except OSError as e:
        raise DevenvError(f"cannot write this devenv home's owner id ({f}): {e.strerror or e}",
                          hint=f"free space or fix the permissions of {f.parent}") from None
    found = _read(f)
    assert found is not None
    return found


def home_id(*, create: bool = True) -> str | None:
    """This devenv home's owner id, made on first use; with `create=False`, None if it has none yet."""
    f = _file()
    found = _read(f)
    if found is None and create:
        return _create(f)
    return found


def of(resource_labels: Mapping[str, str]) -> str:
    """The owner id a resource carries, or UNKNOWN."""
    return resource_labels.get(lb.OWNER) or UNKNOWN


def is_mine(resource_labels: Mapping[str, str], mine: str | None) -> bool:
    """Whether a resource carries this home's id (`mine`; None: this home has made nothing yet)."""
    return mine is not None and resource_labels.get(lb.OWNER) == mine


def describe(owners: Iterable[str]) -> str:
    """'owner 1a2b3c4d5e6f7a8b, no owner label (an older devenv)' for messages."""
    return ", ".join("no owner label (an older devenv)" if o == UNKNOWN else f"owner {o}" for o in sorted(set(owners)))
