"""`devenv down`: stop the cluster; data stays unless --volumes. Only this home's resources unless --all-owners."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from devenv.console import Ui

HELP = "stop the cluster (HDFS data and the metastore are kept unless --volumes)"


def add_arguments(p: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    from devenv.commands._confirm import add_owner_options

    p.add_argument("--name", help="cluster name (default: the profile's name)")
    p.add_argument("--volumes", action="store_true", help="also delete the cluster's data (HDFS, metastore)")
    add_owner_options(p, widens="the cluster's containers, volumes and networks that another devenv home (or an older devenv) made",
                      exit_codes="0 stopped, 1 not confirmed, or the cluster is another devenv home's (see --all-owners)")
    p.set_defaults(run=run)


def _confirm(name: str, args: argparse.Namespace, ui: "Ui") -> bool:
    """Ask before deleting data, and before touching what other homes made (naming it)."""
    from devenv import cluster
    from devenv.commands._confirm import confirmed, owned_by

    found = cluster.others_of(name) if args.all_owners else []
    others = owned_by(r for r in found if args.volumes or r.kind != "volume")  # without --volumes, volumes stay
    if args.volumes and not confirmed(
            ui, f"delete all data of cluster {name!r} (HDFS, metastore)?", yes=args.yes,
            refusal=f"--volumes deletes cluster {name!r}'s HDFS data and metastore; without a terminal to ask, add --yes"):
        return False
    return not others or confirmed(
        ui, f"also remove what other devenv homes made: {others}?", yes=args.yes,
        refusal=f"--all-owners would remove what other devenv homes made: {others}", hint="without a terminal to ask, add --yes")


def run(args: argparse.Namespace, ui: "Ui") -> int:
    from devenv import cluster
    from devenv.commands._args import resolve_name

    name = resolve_name(args)
    if not _confirm(name, args, ui):
        ui.info("nothing was deleted")
        return 1
    removed = cluster.down(name, volumes=args.volumes, all_owners=args.all_owners)
    kept = [] if args.all_owners or not args.volumes else cluster.others_of(name)
    if kept:
        from devenv.commands._confirm import owned_by

        ui.warn(f"kept what this devenv home did not make: {owned_by(kept)} (devenv down --volumes --all-owners removes it)")
    if args.json:
        ui.emit_json({"schema": 1, "cluster": name, "removed": removed, "data_deleted": args.volumes})
    else:
        ui.print(f"cluster {name} stopped" + (" and its data deleted" if args.volumes else "; data kept (devenv up brings it back)"))
    return 0
