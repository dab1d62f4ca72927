"""`devenv down`: stop the cluster; data stays unless --volumes."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from devenv.console import Ui

HELP = "stop the cluster (HDFS data and the metastore are kept unless --volumes)"


def add_arguments(p: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    p.add_argument("--name", help="cluster name (default: the profile's name)")
    p.add_argument("--volumes", action="store_true", help="also delete the cluster's data (HDFS, metastore)")
    p.add_argument("-y", "--yes", action="store_true", help="do not ask before deleting data")
    p.set_defaults(run=run)


def run(args: argparse.Namespace, ui: "Ui") -> int:
    from devenv import cluster
    from devenv.commands._args import resolve_name
    from devenv.errors import DevenvError

    name = resolve_name(args)
    if args.volumes and not args.yes:
        if not ui.interactive:
            raise DevenvError(f"--volumes deletes cluster {name!r}'s HDFS data and metastore; without a terminal to ask, add --yes")
        from rich.prompt import Confirm

        if not Confirm.ask(f"delete all data of cluster {name!r} (HDFS, metastore)?", console=ui.err, default=False):
            ui.info("nothing was deleted")
            return 1
    removed = cluster.down(name, volumes=args.volumes)
    if args.json:
        ui.emit_json({"schema": 1, "cluster": name, "removed": removed, "data_deleted": args.volumes})
    else:
        ui.print(f"cluster {name} stopped" + (" and its data deleted" if args.volumes else "; data kept (devenv up brings it back)"))
    return 0
