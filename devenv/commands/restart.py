"""`devenv restart [SERVICE]`: restart services, picking up config changes."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from devenv.console import Ui

HELP = "restart one service or the whole cluster"


def add_arguments(p: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    p.add_argument("service", nargs="*")
    p.add_argument("--name", help="cluster name (default: the profile's name)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace, ui: "Ui") -> int:
    from devenv import cluster, docker
    from devenv.commands._args import resolve_name
    from devenv.errors import DevenvError

    c = cluster.Cluster(resolve_name(args))
    if not c.compose_file.exists():
        raise DevenvError(f"no cluster named {c.name!r}", hint="start it with devenv up")
    from devenv.cluster_lock import changing

    with changing(c.name):
        docker.compose_restart(c.compose_file, c.project, args.service or None)
    ui.print(f"restarted {', '.join(args.service) or 'all services'} of {c.name}; check with: devenv status")
    return 0
