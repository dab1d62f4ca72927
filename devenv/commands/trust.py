"""`devenv trust [PATH] [--list] [--revoke]`: review a profile from elsewhere and trust it (like `direnv allow`)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from devenv.console import Ui

HELP = "review what a profile from elsewhere will do and trust it (or --list, --revoke)"


def add_arguments(p: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    p.add_argument("path", nargs="?", metavar="PATH", help="profile file (default: the selected profile)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--list", action="store_true", help="the trusted profiles and whether they changed since")
    g.add_argument("--revoke", action="store_true", help="forget the trust given to PATH")
    p.epilog = ("Built-in profiles and those in your profile directory need no trust; neither does a profile"
                " without seed steps, [sources], a lock of its own, seed_on_first_start or a non-loopback bind.")
    p.set_defaults(run=run)


def run(args: argparse.Namespace, ui: "Ui") -> int:
    from devenv import profile as prof
    from devenv import trust
    from devenv.errors import DevenvError

    if args.list:
        return _list(args, ui)
    path, _ = prof.select(args.path or args.profile)
    if args.revoke:
        if not trust.revoke(path):
            raise DevenvError(f"{path.resolve()} is not trusted", hint="the trusted profiles: devenv trust --list")
        _say(args, ui, {"schema": 1, "profile": str(path.resolve()), "trusted": False}, f"revoked: {path.resolve()}")
        return 0
    rev = trust.review(prof.load_profile(path, user_config=prof.load_user_config()))
    if rev is None:
        _say(args, ui, {"schema": 1, "profile": str(path.resolve()), "trusted": True, "needed": False},
             f"{path.resolve()} needs no trust: built-in, in your profile directory, or nothing in it acts")
        return 0
    recorded = trust.records().get(str(rev.profile))
    if not args.json:
        trust.show(ui, rev, trust.changes(recorded["files"], rev.files) if recorded else [])
    trust.trust(rev)
    _say(args, ui, {"schema": 1, "profile": str(rev.profile), "trusted": True, "needed": True, "files": rev.files,
                    "actions": rev.actions}, f"trusted: {rev.profile} ({len(rev.files)} files recorded in {trust.record_file()})")
    return 0


def _say(args: argparse.Namespace, ui: "Ui", data: dict, text: str) -> None:
    if args.json:
        ui.emit_json(data)
    else:
        ui.text(text)


def _list(args: argparse.Namespace, ui: "Ui") -> int:
    from pathlib import Path

    from devenv import trust

    rows = []
    for path, rec in sorted(trust.records().items()):
        changed = trust.changed_since(rec)
        state = "missing" if not Path(path).exists() else (f"changed ({len(changed)} files)" if changed else "trusted")
        rows.append({"profile": path, "state": state, "trusted": rec.get("trusted"), "changed": changed})
    if args.json:
        ui.emit_json({"schema": 1, "record": str(trust.record_file()), "profiles": rows})
        return 0
    if not rows:
        ui.text(f"no trusted profiles (record: {trust.record_file()})")
        return 0
    from rich.table import Table

    t = Table(box=None, pad_edge=False)
    for col in ("profile", "state", "trusted since"):
        t.add_column(col)
    for r in rows:
        t.add_row(r["profile"], r["state"], r["trusted"] or "")
    ui.print(t)
    return 0
