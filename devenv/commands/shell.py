"""`devenv shell [SERVICE]`: a shell inside a service (default: the Spark edge node with every client)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from devenv.console import Ui

HELP = "open a shell in a service (default spark-history: hdfs, yarn, mapred, spark-submit, pyspark, beeline)"


def add_arguments(p: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    p.add_argument("service", nargs="?", default="spark-history")
    p.add_argument("--name", help="cluster name (default: the profile's name)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace, ui: "Ui") -> int:
    import sys

    from devenv import docker
    from devenv.commands._args import container_of

    # A login shell, as a person expects (the images keep PATH in login shells); the banner only on a terminal.
    tty = sys.stdin.isatty()
    return docker.exec_interactive(container_of(args, args.service), ["bash", "-l"], tty=tty,
                                   envs={"DEVENV_BANNER": "1"} if tty else None)
