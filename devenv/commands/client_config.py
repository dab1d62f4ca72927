"""`devenv client-config`: configuration for host tools (hdfs, pyspark, beeline) and the variables to use it."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from devenv.console import Ui

HELP = "write HADOOP_CONF_DIR and SPARK_CONF_DIR for host tools and print the variables"


def add_arguments(p: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    p.add_argument("--name", help="cluster name (default: the profile's name)")
    p.add_argument("--shell", choices=["sh", "powershell", "cmd"], help="syntax of the printed variables (default: this platform's)")
    p.set_defaults(run=run)


def variables(name: str) -> dict[str, str]:
    from devenv import cluster

    return cluster.client_env(cluster.Cluster(name))


def run(args: argparse.Namespace, ui: "Ui") -> int:
    import platform
    import sys

    from devenv.commands._args import resolve_name

    name = resolve_name(args)
    env = variables(name)
    dropped = _dropped(args, ui, name)
    if args.json:
        ui.emit_json({"schema": 1, "env": env, "dropped": [d._asdict() for d in dropped]})
        return 0
    if dropped:
        ui.warn(f"{len(dropped)} profile override(s) kept out of the host's client configuration (they apply inside the cluster): "
                + "; ".join(f"{d.file}: {d.key} ({d.reason})" for d in dropped))
    shell = args.shell or ("powershell" if platform.system() == "Windows" else "sh")
    for k, v in env.items():
        sys.stdout.write(assignment(shell, k, v) + "\n")
    return 0


def assignment(shell: str, key: str, value: str) -> str:
    """`key=value` in `shell`'s syntax, quoted so that any path reads back as itself."""
    from devenv.errors import DevenvError

    if any(ord(ch) < 32 for ch in value) or (shell == "cmd" and any(ch in value for ch in '"%!')):
        raise DevenvError(f"{key}: the path {value!r} cannot be written safely for {shell}",
                          hint="set DEVENV_HOME to a directory whose path has no quotes, '%', '!' or control characters")
    if shell == "powershell":
        for q in "'\u2018\u2019\u201a\u201b":  # PowerShell ends a '...' string at any of these: double each
            value = value.replace(q, q + q)
        return f"$env:{key} = '{value}'"
    if shell == "cmd":
        return f'set "{key}={value}"'
    return f"export {key}='" + value.replace("'", "'\\''") + "'"


def _dropped(args: argparse.Namespace, ui: "Ui", name: str) -> list:
    """The cluster's profile overrides that host tools do not get (the profile is trusted first: this writes host config)."""
    from pathlib import Path

    from devenv import cluster, host_config
    from devenv.commands._args import acting_context

    ref = args.profile or cluster.Cluster(name).state().get("profile_path")
    if not args.profile and ref and not Path(ref).is_file():
        ui.warn(f"the profile cluster {name!r} was created from is gone ({ref}): cannot list the overrides kept from host tools")
        return []
    return host_config.host_profile(acting_context(args, ui, ref).profile)[1]
