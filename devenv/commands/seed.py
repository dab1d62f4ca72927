"""`devenv seed`: load TPC-H and the profile's [[seed]] steps into the running cluster (only what changed)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from devenv.console import Ui
    from devenv.context import Context
    from devenv.seed import SeedResult

HELP = "load TPC-H and the profile's [[seed]] steps into the cluster; repeats only what changed"


def add_arguments(p: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    p.add_argument("--name", help="cluster name (default: the profile's name); its own profile is used unless --profile is given")
    p.add_argument("--only", nargs="+", metavar="NAME", default=[], help="run only these steps (names as `devenv seed` lists them)")
    p.add_argument("--force", action="store_true", help="run the steps even if their inputs did not change")
    p.add_argument("--tpch-scale", type=_scale, metavar="S", help="TPC-H scale factor (default 0.01; 1 is about 1 GB); adds TPC-H if the profile's seeds have none")
    p.add_argument("--format", choices=["parquet", "csv"], help="TPC-H file format (default parquet; csv is pipe-delimited text)")
    p.epilog = "Without [[seed]] steps in the profile, devenv seed loads TPC-H at scale 0.01 into the Hive database tpch."
    p.set_defaults(run=run)


def _scale(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 < v <= 100:
        raise argparse.ArgumentTypeError(f"must be > 0 and <= 100, got {text}")
    return v


def context_for(args: argparse.Namespace, ui: "Ui") -> tuple["Context", str]:
    """The profile (--profile, else the one the cluster was created from, else the selected one) and the cluster name."""
    from devenv.cluster import Cluster
    from devenv.commands._args import acting_context, resolve_name

    name = resolve_name(args)
    ref = args.profile or Cluster(name).state().get("profile_path")
    return acting_context(args, ui, ref), name


def run(args: argparse.Namespace, ui: "Ui") -> int:
    ctx, name = context_for(args, ui)
    result = run_seed(ctx, name, ui, only=args.only, force=args.force, tpch_scale=args.tpch_scale, fmt=args.format)
    return 0 if result is not None else 1


def run_seed(ctx: "Context", name: str, ui: "Ui", **options: Any) -> "SeedResult":
    """Seed with progress on the terminal, plain lines without one, JSON events with --json (also for `up --seed`)."""
    from devenv import seed

    view = View(ui)
    try:
        result = seed.seed(ctx, name, on_event=view.event, **options)
    finally:
        view.stop()
    view.summary(result)
    return result


class View:
    """Per-step progress: a spinner with the step's phase on a terminal, lines without one, JSON events with --json."""

    def __init__(self, ui: "Ui") -> None:
        self.ui = ui
        self.status = None

    def event(self, kind: str, data: dict[str, Any]) -> None:
        if self.ui.json:
            self.ui.emit_event({"event": kind, **data})
            return
        from rich.markup import escape

        if kind == "forgotten":
            self.ui.warn(data["reason"])
        elif kind == "plan":
            todo = [s for s in data["steps"] if s["state"] != "unchanged"]
            if todo:
                self.ui.info(f"seeding cluster {data['cluster']}: {len(todo)} of {len(data['steps'])} steps to run")
        elif kind == "step" and data["state"] == "running":
            self._say(f"[bold]{escape(data['step'])}[/]: starting")
        elif kind == "phase":
            self._say(f"[bold]{escape(data['step'])}[/]: {escape(data['phase'])}")
        elif kind == "step" and data["state"] == "done":
            self._stop_status()
            rows = f", {data['total_rows']:,} rows verified in Hive and Spark" if "total_rows" in data else ""
            self.ui.info(f"[green]done[/] {escape(data['step'])} ({data['seconds']:.0f} s{rows})")
        elif kind == "step" and data["state"] == "unchanged":
            self.ui.info(f"unchanged {escape(data['step'])}")

    def _say(self, text: str) -> None:
        if not self.ui.interactive:
            self.ui.info(text)
            return
        if self.status is None:
            self.status = self.ui.err.status(text)
            self.status.start()
        else:
            self.status.update(text)

    def _stop_status(self) -> None:
        if self.status is not None:
            self.status.stop()
            self.status = None

    def stop(self) -> None:
        self._stop_status()

    def summary(self, r: "SeedResult") -> None:
        if self.ui.json:
            self.ui.emit_event({"event": "seeded", "cluster": r.cluster, "seeded": r.seeded, "unchanged": r.skipped, "seconds": round(r.seconds, 2)})
        elif not r.seeded:
            self.ui.print(f"cluster {r.cluster}: nothing to seed, all {len(r.skipped)} steps are unchanged (--force reloads)")
        else:
            self.ui.print(f"cluster {r.cluster}: seeded {', '.join(r.seeded)} in {r.seconds:.0f} s"
                          + (f"; {len(r.skipped)} unchanged" if r.skipped else ""))
