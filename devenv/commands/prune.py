"""`devenv prune`: remove what is left of clusters that no longer exist (containers, volumes, networks)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from devenv.console import Ui

HELP = "remove leftovers (containers, volumes, networks) of clusters devenv no longer knows"


def add_arguments(p: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    p.add_argument("--dry-run", action="store_true", help="list what would be removed")
    p.set_defaults(run=run)


def leftovers() -> dict[str, list[str]]:
    """Labelled resources of clusters that no longer exist (the one definition: cluster.leftovers)."""
    from devenv import cluster

    found = cluster.leftovers()
    return {f"{kind}s": [r.name for r in found if r.kind == kind] for kind in ("container", "volume", "network")}


def run(args: argparse.Namespace, ui: "Ui") -> int:
    from devenv import docker

    found = leftovers()
    if not args.dry_run:
        docker.remove(containers_=found["containers"], volumes_=found["volumes"], networks_=found["networks"])
    if args.json:
        ui.emit_json({"schema": 1, "dry_run": args.dry_run, **found})
        return 0
    total = sum(len(v) for v in found.values())
    if not total:
        ui.print("nothing to prune")
    for kind, names in found.items():
        for n in names:
            ui.print(f"{'would remove' if args.dry_run else 'removed'} {kind[:-1]} {n}")
    return 0
