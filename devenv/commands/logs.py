"""`devenv logs`: a service's log, follow it, or export everything for a CI artifact."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

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
        _export(c, chosen, Path(args.export))
        ui.print(f"exported {len(chosen)} services' logs, inspect output and config to {args.export} (passwords redacted)")
        return 0
    if args.follow:
        return docker.follow_logs([ci.name for ci in chosen])
    for ci in chosen:
        text = docker.logs(ci.name, tail=args.tail)
        for line in text.splitlines():
            ui.out.print(f"{ci.service} | {line}" if len(chosen) > 1 else line, markup=False, highlight=False)
    return 0


def _export(c: Any, chosen: list[Any], out: "Path") -> None:
    """Every file of the bundle (meant to be uploaded as a CI artifact) with passwords, tokens and URL credentials redacted."""
    from devenv import cluster, docker
    from devenv.errors import DevenvError
    from devenv.redact import redact

    out.mkdir(parents=True, exist_ok=True)

    def put(rel: str, text: str) -> None:
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text(redact(text), encoding="utf-8")

    for ci in chosen:
        put(f"{ci.service}.log", docker.logs(ci.name))
        put(f"{ci.service}.inspect.json", docker.inspect_json(ci.name))
    if c.dir.exists():
        conf = c.dir / "conf"
        for f in sorted(conf.rglob("*")) if conf.is_dir() else []:
            if f.is_file():
                put(f"conf/{f.relative_to(conf).as_posix()}", f.read_text(encoding="utf-8", errors="replace"))
        if c.compose_file.exists():
            put("compose.json", c.compose_file.read_text(encoding="utf-8"))
        try:
            status: Any = cluster.status(c)
        except DevenvError as e:  # a broken cluster is what an export is for: keep what is there, say why no status
            status = {"error": e.message}
        put("status.json", json.dumps(status, indent=1))
