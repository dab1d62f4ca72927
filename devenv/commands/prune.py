"""`devenv prune`: remove what is left of this home's clusters that no longer exist (containers, volumes, networks).

Only resources labelled with this home's owner id; `--all-owners` widens to other
homes' and to an older devenv's unlabelled ones. Volumes hold data: removing any
(and anything not this home's) asks on a terminal, and needs --yes without one.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from devenv.console import Ui
    from devenv.docker import ResourceInfo

HELP = "remove leftovers (containers, volumes, networks) of this home's clusters that no longer exist"
KINDS = ("container", "volume", "network")


def add_arguments(p: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    from devenv.commands._confirm import add_owner_options

    p.add_argument("--dry-run", action="store_true", help="list what would be removed")
    add_owner_options(p, widens="other devenv homes' leftovers and an older devenv's (no owner label)",
                      exit_codes="0 removed (or nothing to remove), 1 not confirmed or no terminal to ask: nothing was removed")
    p.set_defaults(run=run)


def _names(found: list["ResourceInfo"]) -> dict[str, list[str]]:
    """{"containers": [...], "volumes": [...], "networks": [...]}: the names, by kind."""
    return {f"{kind}s": [r.name for r in found if r.kind == kind] for kind in KINDS}


def _confirm(found: list["ResourceInfo"], args: argparse.Namespace, ui: "Ui") -> bool:
    """Ask before deleting data (volumes) or what another home (or an older devenv) made; nothing else needs asking."""
    from devenv import cluster, owner
    from devenv.commands._confirm import confirmed, owned_by

    others = cluster.foreign(found, owner.home_id(create=False))
    volumes = [r.name for r in found if r.kind == "volume" and r not in others]
    if not others and not volumes:
        return True
    what = "; ".join(([f"{len(volumes)} volume(s) with HDFS and metastore data: {', '.join(volumes)}"] if volumes else [])
                     + ([f"resources of other devenv homes: {owned_by(others)}"] if others else []))
    return confirmed(ui, f"prune would delete {what}. Delete?", yes=args.yes,
                     refusal=f"prune would delete {what}; nothing was removed",
                     hint="without a terminal to ask, add --yes; `devenv prune --dry-run` lists everything it would remove")


def run(args: argparse.Namespace, ui: "Ui") -> int:
    from devenv import cluster

    found = cluster.leftovers(all_owners=args.all_owners)
    if found and not args.dry_run:
        if not _confirm(found, args, ui):
            ui.info("nothing was removed")
            return 1
        cluster.remove_resources(found)
    names = _names(found)
    if args.json:
        ui.emit_json({"schema": 1, "dry_run": args.dry_run, **names})
        return 0
    if not found:
        ui.print("nothing to prune" + ("" if args.all_owners else " (of this devenv home; --all-owners: of every home)"))
    for kind, items in names.items():
        for n in items:
            ui.print(f"{'would remove' if args.dry_run else 'removed'} {kind[:-1]} {n}")
    return 0
