"""`devenv status`: each service's health and endpoints."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from devenv.console import Ui

HELP = "each service's health and endpoints"


def add_arguments(p: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    p.add_argument("--name", help="cluster name (default: the profile's name)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace, ui: "Ui") -> int:
    from rich.table import Table

    from devenv import cluster
    from devenv.commands._args import resolve_name

    st = cluster.status(cluster.Cluster(resolve_name(args)))
    if args.json:
        ui.emit_json(st)
        return 0 if st["ready"] else 1
    t = Table(box=None, pad_edge=False)
    for col in ("service", "state", "health", "endpoints"):
        t.add_column(col)
    for s in st["services"]:
        health = "[green]ready[/]" if s["ready"] else f"[red]{s['detail']}[/]"
        t.add_row(s["service"], s["state"], health, "  ".join(e["url"] for e in s["endpoints"]))
    ui.print(f"cluster {st['cluster']} (profile {st['profile']}): {'ready' if st['ready'] else 'NOT ready'}")
    ui.print(t)
    if st["gateway"]:
        ui.print("web UIs (gateway; `devenv open UI` opens one):")
        g = Table(box=None, pad_edge=False)
        for col in ("UI", "what", "URL"):
            g.add_column(col)
        for u in st["gateway"]:
            g.add_row(u["ui"], u["what"], u["url"])
        ui.print(g)
    return 0 if st["ready"] else 1
