"""`devenv class up|status|reset|down`: one cluster per student on this engine, a roster, resets to a snapshot."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from devenv.console import Ui

HELP = "a classroom: one cluster per student (capacity checked, deterministic ports), a roster, reset to the seeded snapshot"


def add_arguments(p: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    s = sub.add_parser("up", help="check capacity, start, seed and snapshot every student's cluster", parents=[common])
    s.add_argument("--students", type=int, required=True, metavar="N")
    s.add_argument("--port-base", type=int, default=20000, metavar="PORT", help="student 1's first host port (default 20000; 100 per student)")
    s.add_argument("--jobs", type=int, metavar="J", help="clusters started at once (default: half the engine's CPUs)")
    s.add_argument("--seed", action="store_true", help="seed each cluster (TPC-H and the profile's steps) before its class snapshot")
    s = sub.add_parser("status", help="the roster: each student's health, web UIs, JDBC URL and HDFS URI", parents=[common])
    s.add_argument("--html", metavar="FILE", help="also write the roster as a static HTML page")
    s = sub.add_parser("reset", help="restore students' clusters to the class snapshot", parents=[common])
    s.add_argument("students", nargs="*", metavar="STUDENT")
    s.add_argument("--all", action="store_true", help="every student")
    s = sub.add_parser("down", help="stop every student's cluster", parents=[common])
    s.add_argument("--volumes", action="store_true", help="also remove their data, snapshots and the roster")
    for s in sub.choices.values():
        s.add_argument("--prefix", default="student", help="the class: students are PREFIX-1, PREFIX-2, ... (default: student)")
        s.set_defaults(run=run)


def run(args: argparse.Namespace, ui: "Ui") -> int:
    """up (then the roster), status, reset or down of the class PREFIX."""
    from devenv import classroom
    from devenv.commands._args import acting_context
    from devenv.errors import DevenvError

    say = (lambda e, d: ui.emit_event({"event": e, **d})) if args.json else (lambda e, d: ui.info(f"{e}: {d.get('text') or d}"))
    if args.action == "up":
        if args.students < 1:
            raise DevenvError("--students must be 1 or more")
        data = classroom.up(acting_context(args, ui), args.students, args.prefix, base=args.port_base, jobs=args.jobs, seed=args.seed, on_event=say)
        ui.print(f"class {args.prefix}: {args.students} clusters ready in {data['seconds']:.0f} s") if not args.json else None
        return _status(args, ui)
    if args.action == "status":
        return _status(args, ui)
    if args.action == "reset":
        if not args.all and not args.students:
            raise DevenvError("name the students to reset, or --all")
        data = classroom.roster(args.prefix)
        which = [s["student"] for s in data["students"]] if args.all else args.students
        ctx = acting_context(args, ui, data["profile_path"])
        took = classroom.reset(ctx, args.prefix, which, on_event=say)
        ui.emit_json({"schema": 1, "reset": took}) if args.json else ui.print("\n".join(f"reset {n} in {s:.0f} s" for n, s in took.items()))
        return 0
    removed = classroom.down(args.prefix, volumes=args.volumes)
    ui.emit_json({"schema": 1, "removed": removed}) if args.json else ui.print(f"class {args.prefix}: removed {len(removed)} containers/volumes")
    return 0


def _status(args: argparse.Namespace, ui: "Ui") -> int:
    from pathlib import Path

    from rich.table import Table

    from devenv import classroom, fsutil

    st = classroom.status(args.prefix)
    if getattr(args, "html", None):
        fsutil.atomic_write(Path(args.html), classroom.html(st))
    if args.json:
        ui.emit_json(st)
    else:
        t = Table(box=None, pad_edge=False)
        for col in ("student", "health", "web UIs", "JDBC", "HDFS"):
            t.add_column(col)
        for r in st["students"]:
            t.add_row(r["student"], "[green]ready[/]" if r["ready"] else f"[red]{r['health']}[/]", " ".join(r["web"].values()), r["jdbc"], r["hdfs"])
        ui.print(t)
    return 0 if all(r["ready"] for r in st["students"]) else 1
