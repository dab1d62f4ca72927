"""`devenv lock [PROFILE]`: resolve every artifact with Maven and pip, and pin it beside the profile."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from devenv.console import Ui

HELP = "resolve and pin every artifact of a profile (writes PROFILE.lock beside it)"


def add_arguments(p: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    p.add_argument("name", nargs="?", metavar="PROFILE", help="default: the selected profile")
    p.set_defaults(run=run)


def run(args: argparse.Namespace, ui: "Ui") -> int:
    from devenv import lock as lk
    from devenv import resolve
    from devenv.commands._args import acting_context

    ctx = acting_context(args, ui, args.name or args.profile)
    new = resolve.generate(ctx.profile, ui=ui, ca_pem=ctx.ca_pem, proxies=ctx.proxies, user_config=ctx.user_config)
    old = None
    if ctx.lock_path.exists():
        try:
            old = lk.read(ctx.lock_path)
        except Exception:
            old = None
    lk.write(ctx.lock_path, new)
    changed = old is None or {(a.path, a.sha256) for a in old.artifacts} != {(a.path, a.sha256) for a in new.artifacts}
    summary = {"schema": 1, "lock": str(ctx.lock_path), "artifacts": len(new.artifacts),
               "bytes": new.total_size, "changed": changed}
    if args.json:
        ui.emit_json(summary)
    else:
        ui.print(f"{'wrote' if changed else 'unchanged:'} {ctx.lock_path}: {len(new.unique())} artifacts, {new.total_size / 1e6:.0f} MB")
        ui.print(f"next: devenv build{'' if ctx.profile.name == 'default' else ' --profile ' + ctx.profile.name}")
    return 0
