"""`devenv logs`: a service's log, follow it, or export everything for a CI artifact."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from devenv.console import Ui

HELP = "show or follow service logs; --export DIR gathers everything for a bug report or CI artifact"


def add_arguments(p: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    p.add_argument("service", nargs="?", help="e.g. namenode, datanode-1, hiveserver2 (default: all)")
    p.add_argument("--name", help="cluster name (default: the profile's name)")
    p.add_argument("-f", "--follow", action="store_true", help="keep printing new lines")
    p.add_argument("--tail", type=int, default=200, help="lines per service (default 200)")
    p.add_argument("--export", metavar="DIR", help="write every service's log, inspect output and the rendered config to DIR")
    p.set_defaults(run=run)


def run(args: argparse.Namespace, ui: "Ui") -> int:
    import shutil
    from pathlib import Path

    from devenv import cluster, docker
    from devenv.commands._args import resolve_name
    from devenv.errors import DevenvError

    c = cluster.Cluster(resolve_name(args))
    if args.export and not c.compose_file.is_file():
        raise DevenvError(f"nothing to export: cluster {c.name!r} has not been started from this devenv home ({c.dir} has no compose.json)",
                          hint=f"start it with devenv up{' --name ' + c.name if args.name else ''}, then export")
    conts = {ci.service: ci for ci in docker.containers(c.name)}
    if not conts:
        raise DevenvError(f"cluster {c.name!r} has no containers", hint="start it with devenv up")
    if args.service and args.service not in conts:
        raise DevenvError(f"cluster {c.name!r} has no service {args.service!r}", hint=f"services: {', '.join(sorted(conts))}")
    chosen = [conts[args.service]] if args.service else sorted(conts.values(), key=lambda ci: ci.service)
    if args.export:
        out = Path(args.export)
        out.mkdir(parents=True, exist_ok=True)
        for ci in chosen:
            (out / f"{ci.service}.log").write_text(docker.logs(ci.name), encoding="utf-8")
            (out / f"{ci.service}.inspect.json").write_text(docker.inspect_json(ci.name), encoding="utf-8")
        if c.dir.exists():
            shutil.copytree(c.dir / "conf", out / "conf", dirs_exist_ok=True)
            shutil.copy2(c.compose_file, out / "compose.json")
            (out / "status.json").write_text(json.dumps(cluster.status(c), indent=1), encoding="utf-8")
        ui.print(f"exported {len(chosen)} services' logs, inspect output and config to {out}")
        return 0
    if args.follow:
        return docker.follow_logs([ci.name for ci in chosen])
    for ci in chosen:
        text = docker.logs(ci.name, tail=args.tail)
        for line in text.splitlines():
            ui.out.print(f"{ci.service} | {line}" if len(chosen) > 1 else line, markup=False, highlight=False)
    return 0
