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
    """Labelled resources whose cluster has no state any more."""
    from devenv import cluster, docker

    known = set(cluster.known_clusters())
    out: dict[str, list[str]] = {"containers": [], "volumes": [], "networks": []}
    for ci in docker.containers():
        if ci.cluster not in known:
            out["containers"].append(ci.name)
    for name, labels in docker.volumes(["devenv.managed=true"]):
        if labels.get("devenv.cluster") not in known:
            out["volumes"].append(name)
    for name, labels in docker.networks(["devenv.managed=true"]):
        if labels.get("devenv.cluster") not in known:
            out["networks"].append(name)
    return out


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
