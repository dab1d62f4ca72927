"""`devenv exec SERVICE -- CMD...`: run a command inside a service."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from devenv.console import Ui

HELP = "run a command in a service: devenv exec namenode -- hdfs dfsadmin -report"


def add_arguments(p: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    p.add_argument("service")
    p.add_argument("cmd", nargs=argparse.REMAINDER, metavar="-- CMD")
    p.add_argument("--name", help="cluster name (default: the profile's name)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace, ui: "Ui") -> int:
    import sys

    from devenv import docker
    from devenv.commands._args import container_of
    from devenv.errors import UsageError

    cmd = list(args.cmd)
    if "--" in cmd:  # options may also come between SERVICE and `--`: exec namenode --name x -- CMD
        cut = cmd.index("--")
        before, cmd = cmd[:cut], cmd[cut + 1:]
        extra = argparse.ArgumentParser(prog="devenv exec", add_help=False)
        extra.add_argument("--name")
        known, unknown = extra.parse_known_args(before)
        if unknown:
            raise UsageError(f"unexpected {' '.join(unknown)} before `--`: devenv exec SERVICE [--name N] -- CMD [ARGS...]")
        args.name = known.name or args.name
    if not cmd:
        raise UsageError("no command given: devenv exec SERVICE -- CMD [ARGS...]")
    return docker.exec_interactive(container_of(args, args.service), cmd, tty=sys.stdin.isatty() and sys.stdout.isatty())
