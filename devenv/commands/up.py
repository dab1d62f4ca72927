"""`devenv up`: build what is missing, start the cluster, wait for real readiness, print the endpoints."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from devenv.console import Ui

HELP = "start the profile's cluster and wait until every service is ready"


def add_arguments(p: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    p.add_argument("--name", help="cluster name (default: the profile's name); clusters with different names run side by side")
    p.add_argument("--ports", choices=["fixed", "auto"], default="fixed", help="auto: pick free host ports where the standard ones are busy")
    p.add_argument("--wait-timeout", type=float, default=600, metavar="SECONDS", help="give up waiting for readiness after this long (default 600)")
    p.add_argument("--seed", action="store_true", help="then run devenv seed (the profile's seed_on_first_start does it on the first start)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace, ui: "Ui") -> int:
    from devenv import cluster, exposure, seed
    from devenv.commands._args import acting_context

    ctx = acting_context(args, ui)
    exposure.warn(ctx.profile, ui)
    created = seed.first_start(ctx.profile, args.name)
    view = _View(ui)
    try:
        result = cluster.up(ctx, args.name, ports_mode=args.ports, wait_timeout=args.wait_timeout, on_event=view.event)
    finally:
        view.stop()
    eps = cluster.endpoints(result.ports)
    if args.json:
        ui.emit_event({"event": "ready", "cluster": result.cluster.name, "already_running": result.already_running,
               "seconds": round(result.seconds, 2),
               "services": {k: round(v.seconds or 0, 2) for k, v in result.readiness.items()},
               "endpoints": [{"service": s, "what": w, "url": u} for s, w, u in eps]})
        return _seed(args, ui, ctx, result.cluster.name, created)
    from rich.table import Table

    head = "already running" if result.already_running else f"ready in {result.seconds:.0f} s"
    ui.print(f"cluster [bold]{result.cluster.name}[/] (profile {ctx.profile.name}) {head}")
    t = Table(box=None, pad_edge=False)
    t.add_column("service")
    t.add_column("endpoint")
    t.add_column("URL")
    for s, w, u in eps:
        t.add_row(s, w, u)
    ui.print(t)
    name_opt = "" if result.cluster.name == ctx.profile.name else f" --name {result.cluster.name}"
    ui.print(f"host tools: eval \"$(devenv client-config{name_opt})\"    a shell inside: devenv shell{name_opt}    stop: devenv down{name_opt}")
    return _seed(args, ui, ctx, result.cluster.name, created)


def _seed(args: argparse.Namespace, ui: "Ui", ctx: Any, name: str, created: bool) -> int:
    """Seed when the library's policy says so (`seed.should_seed_after_up`)."""
    from devenv import seed

    if seed.should_seed_after_up(ctx.profile, requested=args.seed, created=created):
        from devenv.commands.seed import run_seed

        run_seed(ctx, name, ui)
    return 0


class _View:
    """Per-service progress: a live table on a terminal, lines without one, JSON events with --json."""

    def __init__(self, ui: "Ui") -> None:
        self.ui = ui
        self.live = None
        self.reported: set[str] = set()

    def event(self, kind: str, data: dict[str, Any]) -> None:
        if self.ui.json:
            if kind == "progress":
                for inst, st in data["state"].items():
                    if st.ready and inst not in self.reported:
                        self.reported.add(inst)
                        self.ui.emit_event({"event": "service-ready", "service": inst, "seconds": round(st.seconds, 2)})
            else:
                self.ui.emit_event({"event": kind, **data})
            return
        if kind == "preflight":
            self.ui.info("checking engine, memory and ports")
        elif kind == "build":
            self.ui.info("building missing images")
        elif kind == "start":
            self.ui.info(f"starting {data['project']}")
        elif kind == "progress":
            self._progress(data["state"])

    def _progress(self, state: dict[str, Any]) -> None:
        if not self.ui.interactive:
            for inst, st in state.items():
                if st.ready and inst not in self.reported:
                    self.reported.add(inst)
                    self.ui.info(f"ready: {inst} ({st.seconds:.0f} s)")
            return
        from rich.live import Live
        from rich.table import Table

        t = Table(box=None, pad_edge=False)
        t.add_column("service")
        t.add_column("state")
        for inst, st in state.items():
            t.add_row(inst, f"[green]ready[/] {st.seconds:.0f} s" if st.ready else f"[yellow]{st.detail}[/]")
        if self.live is None:
            self.live = Live(t, console=self.ui.err, refresh_per_second=4, transient=True)
            self.live.start()
        else:
            self.live.update(t)

    def stop(self) -> None:
        if self.live is not None:
            self.live.stop()
