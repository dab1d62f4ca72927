"""Asking before deleting: on a terminal a yes/no question (default no); without one, --yes or a refusal."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:
    import argparse

    from devenv.console import Ui
    from devenv.docker import ResourceInfo


def add_owner_options(p: "argparse.ArgumentParser", *, widens: str, exit_codes: str) -> None:
    """--all-owners (what it `widens` to; asks first), -y/--yes, and the command's exit codes."""
    p.add_argument("--all-owners", action="store_true", help=f"also {widens}; asks first")
    p.add_argument("-y", "--yes", action="store_true", help="do not ask before deleting data or other owners' resources")
    p.epilog = f"exit codes: {exit_codes}."


def confirmed(ui: "Ui", question: str, *, yes: bool, refusal: str, hint: str | None = None) -> bool:
    """True with `yes`; on a terminal, the user's answer; without one, a DevenvError (`refusal`, `hint`): nothing is deleted."""
    if yes:
        return True
    from devenv.errors import DevenvError

    if not ui.interactive:
        raise DevenvError(refusal, hint=hint)
    from rich.prompt import Confirm

    return bool(Confirm.ask(question, console=ui.err, default=False))


def owned_by(resources: Iterable["ResourceInfo"]) -> str:
    """'volume a (owner 1f2e...), network b (no owner label (an older devenv))': resources with the home that made them."""
    from devenv import owner

    return ", ".join(f"{r.kind} {r.name} ({owner.describe([owner.of(r.labels)])})" for r in resources)
