"""Argument helpers every command shares: which cluster `--name` means, and which container serves a service."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from devenv.console import Ui
    from devenv.context import Context


def resolve_name(args: argparse.Namespace) -> str:
    """--name (refused unless it is a valid cluster name), else the selected profile's name (without validating the whole profile twice)."""
    if getattr(args, "name", None):
        from devenv.cluster import cluster_name

        return cluster_name(args.name, None)  # type: ignore[arg-type]  # checked before any path is built from it
    from devenv import profile as prof

    return prof.load_profile(prof.select(args.profile)[0]).name


def container_of(args: argparse.Namespace, service: str) -> str:
    """The running container of `service` in the cluster `args` names; a located error when there is none."""
    from devenv import cluster, docker
    from devenv.errors import DevenvError

    c = cluster.Cluster(resolve_name(args))
    conts = {ci.service: ci for ci in docker.containers(c.name)}
    if service not in conts:
        raise DevenvError(f"cluster {c.name!r} has no service {service!r}", hint=f"services: {', '.join(sorted(conts)) or 'none (run devenv up)'}")
    if conts[service].state != "running":
        raise DevenvError(f"{service} is {conts[service].state}", hint=f"start it: devenv restart {service}; why it stopped: devenv logs {service}")
    return conts[service].name


def acting_context(args: argparse.Namespace, ui: "Ui", ref: str | None = None) -> "Context":
    """The Context of a command that acts (lock, fetch, build, up, seed, client-config).

    The one place such commands load their profile: a non-loopback bind must be
    allowed by the user config, and a profile from elsewhere must be trusted
    (`devenv trust`). Commands that only read use Context.load or the profile module.
    """
    from devenv import exposure, trust
    from devenv.context import Context

    ctx = Context.load(ref if ref is not None else args.profile, ui)
    exposure.check_bind(ctx.profile, ctx.user_config)
    trust.ensure(ctx.profile, ui, opt_in=bool(getattr(args, "trust", False)))
    return ctx
