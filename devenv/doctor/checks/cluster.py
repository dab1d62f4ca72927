"""Doctor checks of a running cluster: image drift, versions, effective configuration, HDFS and YARN, leftovers.

The cluster is found by its containers' labels (devenv.cluster, devenv.service,
devenv.profile); with none running, these checks are `skip`.
"""

from __future__ import annotations

import json
import re
from typing import Any

from devenv.doctor.model import WAITING_TIMEOUT, Context, Finding, SafeFix, Skip, check, fail, ok, skip, warn
from devenv.labels import CLUSTER, SERVICE, VERSION_OF
from devenv.services import NAMENODE_INFO

CLUSTER_TIMEOUT = 10.0  # cluster.leftovers lists every kind; cluster.versions of an unlabelled image starts JVMs
# service whose container answers for a component, the command, and how to read its answer; each image's build
# runs the same report, fails unless it prints the pin, and records it as the label devenv.version.<component>
VERSION_REPORTS = (
    ("hadoop", "namenode", ["hadoop", "version"], r"Hadoop (\d+\.\d+\.\d+)"),
    ("hive", "metastore", ["hive", "--version"], r"Hive (\d+\.\d+\.\d+)"),
    ("spark", "spark-history", ["bash", "-c", "spark-submit --version 2>&1"], r"version (\d+\.\d+\.\d+)"),
)
# daemon (instance, port name) whose /conf shows each config file
CONF_ENDPOINTS = {
    "core-site": ("namenode", "http"),
    "hdfs-site": ("namenode", "http"),
    "yarn-site": ("resourcemanager", "http"),
    "mapred-site": ("historyserver", "http"),
}


def _service(containers: list[Any], service: str) -> Any | None:
    return next((c for c in containers if c.labels.get(SERVICE) == service), None)


def _url(ctx: Context, instance: str, port_name: str, path: str) -> str | None:
    from devenv import services

    p = services.ports(ctx.profile).find(instance, port_name)
    return p.url_to(path, numeric=True) if p else None


@check("cluster.images", "containers run the current builds of their images (drift)", timeout=WAITING_TIMEOUT)
def cluster_images(ctx: Context) -> Finding:
    name, running = ctx.cluster()
    drift = []
    for c in sorted(running, key=lambda c: c.name):
        current = ctx.image(c.image_ref)
        service = c.labels.get(SERVICE, c.name)
        if current is None:
            drift.append(f"{service} runs {c.image_ref}, which is no longer here")
        elif current.id != c.image_id:
            drift.append(f"{service} runs an older build of {c.image_ref} (rebuilt since it started)")
    found = f"{len(running) - len(drift)} of {len(running)} current"
    if drift:
        return warn(f"cluster {name!r}: " + "; ".join(drift), found=found, required="every container on its image's current build",
                    fix="devenv up recreates the containers from the current images")
    return ok(f"cluster {name!r}: all {len(running)} containers run the current builds of their images", found=found, required="current builds")


def _reported(ctx: Context, c: Any, component: str, argv: list[str], pattern: str) -> tuple[str, bool]:
    """(version, from the image's label): the label its build recorded, else (an image built before devenv
    recorded versions) the service's own report, which starts a JVM."""
    have = c.labels.get(VERSION_OF + component)
    if have is not None:
        return have, True
    m = re.search(pattern, ctx.probes.exec_in(c.name, argv))
    return (m.group(1) if m else "unreadable"), False


@check("cluster.versions", "each service's own version report (recorded by its image's build) equals the pin", timeout=CLUSTER_TIMEOUT)
def cluster_versions(ctx: Context) -> Finding:
    name, running = ctx.cluster()
    pins = ctx.profile.versions
    good, bad, found = [], [], []
    for component, service, argv, pattern in VERSION_REPORTS:
        c = _service(running, service)
        if c is None or component not in pins:
            continue
        have, labelled = _reported(ctx, c, component, argv, pattern)
        found.append(f"{component} {have}")
        says = f"{service}'s image recorded {component.capitalize()} {have} at build" if labelled else f"{service} reports {component.capitalize()} {have}"
        (good if have == pins[component] else bad).append(f"{says}, the profile pins {pins[component]}")
    if not found:
        return skip(f"cluster {name!r} runs none of namenode, metastore, spark-history")
    required = ", ".join(f"{c} {pins[c]}" for c, *_ in VERSION_REPORTS if c in pins)
    if bad:
        return fail(f"cluster {name!r}: " + "; ".join(bad), found=", ".join(found), required=required,
                    fix="the images were built from another profile: devenv build, then devenv up")
    return ok(f"cluster {name!r}: " + ", ".join(found) + " as pinned", found=", ".join(found), required=required)


def _value(v: Any) -> str:
    return str(v).lower() if isinstance(v, bool) else str(v)


@check("cluster.config", "the daemons' effective configuration holds the profile's overrides", timeout=WAITING_TIMEOUT)
def cluster_config(ctx: Context) -> Finding:
    name, running = ctx.cluster()
    overrides = ctx.profile.config
    wrong, checked, unchecked = [], 0, []
    cache: dict[str, dict[str, str]] = {}
    for file, props in overrides.items():
        if not props:
            continue
        where = CONF_ENDPOINTS.get(file)
        if where is None or _service(running, where[0]) is None:
            unchecked.append(file)
            continue
        url = _url(ctx, where[0], where[1], "/conf?format=json")
        if url is None:
            unchecked.append(file)
            continue
        if url not in cache:
            data = ctx.probes.http_json(url)
            cache[url] = {p["key"]: str(p["value"]) for p in data.get("properties", [])}
        effective = cache[url]
        for key, want in props.items():
            checked += 1
            have = effective.get(key)
            if have != _value(want):
                wrong.append(f"{where[0]}: {key} is {have if have is not None else 'unset'}, [config.{file}] sets {_value(want)}")
    note = f" ({', '.join(unchecked)}: no /conf endpoint to read)" if unchecked else ""
    if wrong:
        return fail(f"cluster {name!r}: " + "; ".join(wrong) + note, found=f"{len(wrong)} of {checked} differ",
                    required="every [config.*] override in effect", fix="devenv up rewrites the configuration and restarts the daemons")
    if not checked:
        return skip(f"the profile overrides nothing a running daemon's /conf shows{note}")
    return ok(f"cluster {name!r}: all {checked} overrides are in effect{note}", found=f"{checked} in effect", required="every override")


@check("cluster.hdfs", "HDFS out of safe mode with every datanode live", timeout=WAITING_TIMEOUT)
def cluster_hdfs(ctx: Context) -> Finding:
    name, running = ctx.cluster()
    if _service(running, "namenode") is None:
        return fail(f"cluster {name!r} has no running namenode", fix=f"devenv logs namenode shows why it stopped; devenv up starts it")
    url = _url(ctx, "namenode", "http", NAMENODE_INFO)
    beans = ctx.probes.http_json(url).get("beans", [])
    if not beans:
        return fail("the namenode's JMX endpoint has no NameNodeInfo yet", fix="wait for the namenode to finish starting")
    info = beans[0]
    live = len(json.loads(info.get("LiveNodes") or "{}"))
    want = ctx.profile.topology["datanodes"]
    safemode = (info.get("Safemode") or "").strip()
    found, required = f"{live} live datanodes" + (", safe mode" if safemode else ""), f"{want} live datanodes, safe mode off"
    if safemode:
        return fail(f"HDFS is in safe mode: {safemode}", found=found, required=required,
                    fix="wait for it to leave (devenv up waits for this); if it stays, `devenv logs datanode-1` shows why blocks are missing")
    if live < want:
        return fail(f"{live} of {want} datanodes are live", found=found, required=required, fix="`devenv logs datanode-N` shows why a datanode did not register")
    return ok(f"HDFS is out of safe mode with {live} of {want} datanodes live", found=found, required=required)


@check("cluster.yarn", "every NodeManager registered and healthy", timeout=WAITING_TIMEOUT)
def cluster_yarn(ctx: Context) -> Finding:
    name, running = ctx.cluster()
    if _service(running, "resourcemanager") is None:
        return fail(f"cluster {name!r} has no running resourcemanager", fix="devenv logs resourcemanager shows why it stopped; devenv up starts it")
    m = ctx.probes.http_json(_url(ctx, "resourcemanager", "http", "/ws/v1/cluster/metrics")).get("clusterMetrics", {})
    active, want = int(m.get("activeNodes", 0)), ctx.profile.topology["nodemanagers"]
    unhealthy = int(m.get("unhealthyNodes", 0)) + int(m.get("lostNodes", 0))
    found, required = f"{active} active, {unhealthy} unhealthy or lost", f"{want} active NodeManagers"
    if active < want:
        return fail(f"{active} of {want} NodeManagers are active ({unhealthy} unhealthy or lost)", found=found, required=required,
                    fix="`devenv logs nodemanager-N` shows why; an unhealthy one usually has a full disk")
    return ok(f"{active} of {want} NodeManagers are active", found=found, required=required)


@check("cluster.leftovers", "nothing left of this home's clusters that no longer exist", timeout=CLUSTER_TIMEOUT)
def cluster_leftovers(ctx: Context) -> Finding:
    from devenv import owner
    from devenv.cluster import leftovers_among

    found = (ctx.containers(), ctx.probes.managed_networks_and_volumes(), ctx.probes.known_clusters())
    mine = owner.home_id(create=False)
    left = leftovers_among(*found, mine=mine)  # only this home's: another home's clusters have no state here either
    others = len(leftovers_among(*found, mine=mine, all_owners=True)) - len(left)
    spared = (f" ({others} of other devenv homes or an older devenv left alone: `devenv prune --all-owners` lists them)"
              if others else "")
    if not left:
        return ok(f"nothing left of removed clusters{spared}", found="none", required="none")
    names = [f"{r.kind} {r.name} (cluster {r.labels.get(CLUSTER, '?')!r})" for r in left]
    return warn(f"{len(left)} leftover{'s' if len(left) != 1 else ''} of clusters that no longer exist: {', '.join(names)}{spared}",
                found=f"{len(left)} leftovers", required="none",
                fix="devenv doctor --fix removes them (devenv has no state for these clusters any more)",
                safe_fix=SafeFix(f"remove {', '.join(names)}", lambda: ctx.probes.remove_leftovers(left)))
