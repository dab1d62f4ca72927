"""`devenv jobs`: the cluster's applications with their queue, waits and resources, and the production view."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from devenv.console import Ui

HELP = "applications on the cluster: queue, waits, resources, and what they would need in production"


def add_arguments(p: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    p.add_argument("--name", help="cluster name (default: the profile's name)")
    p.add_argument("--last", type=int, default=20, metavar="N", help="the newest N applications (default 20)")
    sub = p.add_subparsers(dest="action", metavar="ACTION")
    s = sub.add_parser("show", help="one application in detail", parents=[common])
    s.add_argument("app_id", metavar="APP_ID")
    s.add_argument("--name", default=argparse.SUPPRESS, help="cluster name (default: the profile's name)")
    s.set_defaults(run=show)
    p.set_defaults(run=run)


def _context(args: argparse.Namespace) -> tuple[Any, Any]:
    """(endpoints, profile) of the cluster `--name` (or the profile's) names."""
    from pathlib import Path

    from devenv import cluster
    from devenv import profile as prof
    from devenv.commands._args import resolve_name
    from devenv.errors import DevenvError
    from devenv.jobs.rest import Endpoints
    from devenv.services import ports

    c = cluster.Cluster(resolve_name(args))
    st = c.state()
    if not st:
        raise DevenvError(f"no cluster named {c.name!r}", hint="start one with devenv up")
    p = prof.load_profile(Path(st["profile_path"]))
    return Endpoints.of_cluster(ports(p, c.port_overrides())), p


def run(args: argparse.Namespace, ui: "Ui") -> int:
    from rich.table import Table

    from devenv.jobs import production, report

    ep, profile = _context(args)
    apps = report.apps(ep, max(1, args.last))
    for a in apps:
        a.production = production.view(a, profile)
    if args.json:
        ui.emit_json({"schema": 1, "profile": profile.name, "applications": [a.to_dict() for a in apps]})
        return 0
    t = Table(box=None, pad_edge=False)
    for col in ("application", "type", "queue", "user", "state", "elapsed", "waited", "containers", "peak MB", "MB-s", "vcore-s", "production"):
        t.add_column(col)
    for a in apps:
        t.add_row(a.id, a.type, a.queue, a.user, f"{a.state}/{a.final_status}", f"{a.elapsed_s:g}s", f"{a.wait_s:g}s",
                  _n(a.containers), _n(a.peak_mb), str(a.memory_seconds), str(a.vcore_seconds), a.production.get("verdict", ""))
    ui.print(t if apps else "no applications yet")
    for a in apps:
        for w in a.production.get("warnings", []):
            ui.warn(f"{a.id}: {w}")
    return 0


def _n(v: Any) -> str:
    return "-" if v is None else str(v)


def show(args: argparse.Namespace, ui: "Ui") -> int:
    from devenv.jobs import production, report

    ep, profile = _context(args)
    app = report.one(ep, args.app_id)
    app.production = production.view(app, profile)
    data = app.to_dict()
    if args.json:
        ui.emit_json({"schema": 1, "profile": profile.name, "application": data})
        return 0
    prod = data.pop("production")
    for k, v in data.items():
        if v is not None:
            ui.print(f"{k:22} {v}")
    if prod:
        ui.print(f"{'production':22} {prod.get('verdict', '')}")
        for k in ("peak_mb", "largest_container_mb", "queue", "guarantee_mb", "maximum_mb", "factor", "basis"):
            if k in prod:
                ui.print(f"  {k:20} {prod[k]}")
        for w in prod.get("warnings", []):
            ui.warn(w)
    return 0
