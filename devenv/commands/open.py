"""`devenv open [UI]`: a web UI of the cluster, through the gateway, in the default browser."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from devenv.console import Ui

HELP = "open a web UI through the gateway (namenode, yarn, jobhistory, spark-history, hiveserver2, ...) in the browser"


def add_arguments(p: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    p.add_argument("ui", nargs="?", default="", help="the UI's name in the gateway (default: the gateway's page of every UI)")
    p.add_argument("--name", help="cluster name (default: the profile's name)")
    p.add_argument("--print", dest="print_only", action="store_true", help="only print the URL")
    p.set_defaults(run=run)


def run(args: argparse.Namespace, ui: "Ui") -> int:
    import webbrowser

    from devenv import cluster, gateway
    from devenv.commands._args import resolve_name
    from devenv.errors import DevenvError

    name = resolve_name(args)
    plan = cluster.port_plan(cluster.Cluster(name))
    names = [r.prefix for r in gateway.routes(plan)]
    if plan.find("gateway", "http") is None:
        raise DevenvError(f"cluster {name!r} runs no gateway", hint="set [topology.services] gateway = true in the profile, then devenv up")
    if args.ui and args.ui not in names:
        raise DevenvError(f"no web UI named {args.ui!r} behind the gateway", hint=f"UIs: {', '.join(names)}")
    url = gateway.url(plan, args.ui)
    opened = False if args.print_only else webbrowser.open(url)
    if args.json:
        ui.emit_json({"schema": 1, "ui": args.ui, "url": url, "opened": opened})
    else:
        ui.print(url if opened or args.print_only else f"{url}   (no browser found here: open it yourself)")
    return 0
