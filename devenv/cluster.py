"""Cluster lifecycle: render, start and wait for real readiness, stop, inspect.

The library API (`up`, `down`, `status`, `endpoints`, `leftovers`) works
without the CLI. State on disk and leftovers live in `cluster_state`, the
rendered files in `cluster_files`, preflight and waiting in `cluster_start`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from devenv import docker, gateway, readiness
from devenv.cluster_files import driver_bind, hive_jars, render_files
from devenv.cluster_lock import changing
from devenv.cluster_start import Readiness, auto_ports, bootstrap_hdfs, preflight, wait_ready
from devenv.cluster_state import (Cluster, client_env, cluster_name, foreign, known_clusters, leftovers, leftovers_among, remove_resources,
                                  save_state)
from devenv.confine import safe_rmtree
from devenv.errors import DevenvError
from devenv.paths import paths
from devenv.services import PortPlan, base_service, instances, ports

if TYPE_CHECKING:
    from devenv.context import Context

__all__ = ["Cluster", "UpResult", "check_owner", "client_env", "cluster_name", "down", "endpoints", "foreign", "known_clusters",
           "leftovers", "leftovers_among", "others_of", "port_plan", "remove_resources", "status", "up"]


def _started(c: Cluster) -> tuple[dict[str, Any], Any, PortPlan]:
    """A started cluster's state, profile and port plan."""
    from devenv import profile as prof

    st = c.state()
    if not st:
        raise DevenvError(f"no cluster named {c.name!r}", hint=f"start one with devenv up; known clusters: {', '.join(known_clusters()) or 'none'}")
    p = prof.load_profile(Path(st["profile_path"]))
    return st, p, ports(p, c.port_overrides())


def port_plan(c: Cluster) -> PortPlan:
    """The host ports of a started cluster (as its last up published them)."""
    return _started(c)[2]


def status(c: Cluster) -> dict[str, Any]:
    """Each service's container state, health and endpoints (probes run in parallel)."""
    st, p, plan = _started(c)
    conts, health = readiness.check(p, plan, c.name)
    services = []
    for inst, _svc in instances(p):
        ci = conts.get(inst)
        services.append({
            "service": inst,
            "container": ci.name if ci else None,
            "state": ci.state if ci else "missing",
            "ready": health.get(inst) is None,
            "detail": health.get(inst) or "ready",
            "endpoints": [{"name": x.name, "url": x.url, "host_port": x.host} for x in plan.of(inst)],
        })
    uis = [{"ui": u, "what": w, "url": url} for u, w, url in gateway.ui_urls(plan)]
    return {"schema": 1, "cluster": c.name, "profile": st["profile"], "services": services,
            "ready": all(s["ready"] for s in services), "gateway": uis}


ENDPOINT_NAMES = {
    ("namenode", "http"): "HDFS web UI", ("namenode", "rpc"): "HDFS RPC (hdfs://devenv with client-config)",
    ("resourcemanager", "http"): "YARN web UI", ("resourcemanager", "rpc"): "YARN RPC",
    ("historyserver", "http"): "MapReduce history", ("historyserver", "rpc"): "MapReduce history RPC",
    ("spark-history", "http"): "Spark history", ("metastore", "thrift"): "Hive metastore",
    ("hiveserver2", "jdbc"): "HiveServer2 JDBC", ("hiveserver2", "http"): "HiveServer2 web UI",
    ("gateway", "http"): "every web UI (gateway)",
}


def endpoints(plan: PortPlan) -> list[tuple[str, str, str]]:
    """(service, what, URL) for the endpoint table."""
    from devenv.services import JDBC_DATABASE

    out = []
    for p in plan:
        base = base_service(p.service)
        label = ENDPOINT_NAMES.get((base, p.name)) or f"{base} {p.name}"
        out.append((p.service, label, p.url_to(JDBC_DATABASE if p.kind == "jdbc" else "")))
    # the URLs to click: each web UI through the gateway
    out += [("gateway", what, url) for _ui, what, url in gateway.ui_urls(plan)]
    return out


# --- up and down ---------------------------------------------------------------

@dataclass
class UpResult:
    cluster: Cluster
    ports: PortPlan
    readiness: dict[str, Readiness]
    already_running: bool
    seconds: float


def check_owner(name: str, found: list[Any], *, adopt_unlabelled: bool) -> None:
    """Refuse when the cluster's containers (or volumes, networks) were made by another devenv home.

    Two homes on one engine that both `up --name default` would share the project
    `devenv-default`: the second re-creates the first's containers with its own
    config and database password. Resources without an owner label (an older
    devenv's) pass with `adopt_unlabelled` (`up` re-creates the containers labelled).
    """
    from devenv import owner

    mine = owner.home_id()
    theirs = sorted({owner.of(r.labels) for r in found} - {mine} - ({owner.UNKNOWN} if adopt_unlabelled else set()))
    if not theirs:
        return
    if theirs == [owner.UNKNOWN]:
        raise DevenvError(f"cluster {name!r}'s containers have no owner label (an older devenv made them): they may be another home's",
                          hint=f"if the cluster is this home's, `devenv up --name {name}` labels them; else devenv down --name {name} --all-owners")
    data = " --volumes" if any(getattr(r, "kind", "container") == "volume" and owner.of(r.labels) in theirs for r in found) else ""
    raise DevenvError(f"cluster name {name!r} is taken on this engine by another devenv home ({owner.describe(theirs)}; "
                      f"this home is owner {mine})",
                      hint=f"use another --name here; or, if that home is gone, remove its cluster: devenv down --name {name}{data} --all-owners")


def _healthy(c: Cluster, profile: Any, plan: PortPlan, containers: list[Any]) -> bool:
    """Every container running and every quick probe ready (the fast path of an idempotent up)."""
    conts, results = readiness.check(profile, plan, c.name, quick=True, containers=containers)
    running = all(i in conts and conts[i].running for i, _ in instances(profile))
    return running and all(r is None for r in results.values())


def _unchanged(ctx: "Context", c: Cluster, plan: PortPlan, prev: dict[str, Any], existing: dict[str, Any],
               containers: list[Any]) -> bool:
    """Nothing changed since the last up (images, rendered files) and everything answers."""
    from devenv import images

    lock = ctx.lock()
    tags = {p.name: p.tag for p in images.plan(ctx.profile, lock, images.CLUSTER_IMAGES, ctx.ca_pem)}
    have = images.existing_tags()
    return (all(t in have for t in tags.values()) and render_files(c, ctx.profile, plan, tags, hive_jars(lock), existing, driver_bind(c.name)) == prev["rendered"]
            and _healthy(c, ctx.profile, plan, containers))


def up(ctx: "Context", name: str | None = None, **options: Any) -> UpResult:
    """Start (or confirm) the profile's cluster and wait until every service is really ready (holding its lock)."""
    with changing(cluster_name(name, ctx.profile)):
        return _up(ctx, name, **options)


def _up(ctx: "Context", name: str | None = None, *, ports_mode: str = "fixed", wait_timeout: float = 600,
        on_event: Callable[[str, dict[str, Any]], None] = lambda e, d: None) -> UpResult:
    from devenv import images

    started = time.monotonic()
    profile = ctx.profile
    c = Cluster(cluster_name(name, profile))
    prev = c.state()
    if prev and prev.get("profile_path") and Path(prev["profile_path"]).resolve() != Path(str(profile.path)).resolve():
        raise DevenvError(f"cluster {c.name!r} was created from profile {prev['profile']!r} ({prev['profile_path']})",
                          hint=f"use another --name for this profile, or remove that cluster: devenv down --name {c.name} --volumes")
    conts, vols, nets = docker.cluster_resources(c.name)
    made = [*vols, *nets]
    check_owner(c.name, [*conts, *made], adopt_unlabelled=True)
    existing = {r.name: r.labels for r in made}  # declared as they are (compose.render)
    overrides = c.port_overrides()
    plan = ports(profile, overrides)
    if prev.get("rendered") and _unchanged(ctx, c, plan, prev, existing, conts):  # the fast path
        return UpResult(c, plan, {}, True, time.monotonic() - started)

    own = {hp for ci in conts if ci.running for (_b, hp, _cp) in ci.ports}
    if ports_mode == "auto":
        overrides = auto_ports(profile, overrides, own)
        plan = ports(profile, overrides)
    on_event("preflight", {})
    preflight(profile, plan, own=own)
    on_event("build", {})
    tags = {p.name: p.tag for p, _ in images.build_profile(ctx)}
    bind = driver_bind(c.name)
    digest = render_files(c, profile, plan, tags, hive_jars(ctx.lock()), existing, bind)
    save_state(c, profile, overrides, digest, tags, ctx.lock_digest())
    on_event("start", {"project": c.project})
    docker.compose_up(c.compose_file, c.project)
    if (now := driver_bind(c.name)) != bind:  # the network is new: a host driver listens at its gateway (client/ only)
        save_state(c, profile, overrides, render_files(c, profile, plan, tags, hive_jars(ctx.lock()), existing, now), tags,
                   ctx.lock_digest())
    state = wait_ready(c, profile, plan, timeout=wait_timeout, on_change=lambda st: on_event("progress", {"state": st}),
                       bootstrap=lambda: bootstrap_hdfs(c))
    return UpResult(c, plan, state, False, time.monotonic() - started)


def down(name: str, *, volumes: bool, all_owners: bool = False) -> list[str]:
    """Stop and remove the cluster's containers (and with `volumes`, its data); returns what was removed (holding its lock).

    Only this home's: containers another home made are refused, and `volumes` removes the
    volumes and networks labelled with the cluster AND this home's owner id. `all_owners`
    widens both (the caller asks first). An older devenv's unlabelled volumes are kept.
    """
    with changing(name):
        return _down(name, volumes=volumes, all_owners=all_owners)


def _down(name: str, *, volumes: bool, all_owners: bool) -> list[str]:
    from devenv import owner

    c = Cluster(name)
    mine = owner.home_id()
    removed: list[str] = []
    conts = docker.containers(name)
    if not all_owners:
        check_owner(name, conts, adopt_unlabelled=False)
    if c.compose_file.exists():
        docker.compose_down(c.compose_file, c.project, volumes=False)  # volumes below, by owner
        removed += [ci.name for ci in conts]
    elif conts:
        docker.remove(containers_=[ci.name for ci in conts])
        removed += [ci.name for ci in conts]
    if volumes:
        vols = [v.name for v in docker.volumes(name) if all_owners or owner.is_mine(v.labels, mine)]
        nets = [n.name for n in docker.networks(name) if all_owners or owner.is_mine(n.labels, mine)]
        docker.remove(volumes_=vols, networks_=nets)
        removed += vols
        safe_rmtree(c.dir, paths().state / "clusters")
    elif not conts and not c.dir.exists():
        raise DevenvError(f"no cluster named {name!r}", hint=f"known clusters: {', '.join(known_clusters()) or 'none'}")
    return removed


def others_of(name: str) -> list[Any]:
    """The cluster's containers, volumes and networks that are not this home's (what `--all-owners` adds)."""
    from devenv import owner
    from devenv.docker import ResourceInfo

    found = [ResourceInfo("container", ci.name, ci.labels) for ci in docker.containers(name)]
    return foreign([*found, *docker.volumes(name), *docker.networks(name)], owner.home_id(create=False))
