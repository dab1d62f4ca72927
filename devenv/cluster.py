"""Cluster lifecycle: render, start and wait for real readiness, stop, inspect.

A cluster is a Compose project named `devenv-<name>` whose rendered files live
in the state directory (`clusters/<name>/`): compose.json, conf/ (mounted
read-only), client/ (for host tools), state.json (profile, ports) and secrets/.
The library API (`up`, `down`, `status`, ...) works without the CLI.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping

from devenv import compose, docker, render, schema
from devenv.errors import DevenvError
from devenv.paths import paths
from devenv.services import Port, instances, ports

if TYPE_CHECKING:
    from devenv.context import Context
    from devenv.profile import Profile


@dataclass(frozen=True)
class Cluster:
    name: str

    @property
    def dir(self) -> Path:
        return paths().state / "clusters" / self.name

    @property
    def project(self) -> str:
        return compose.project_name(self.name)

    @property
    def compose_file(self) -> Path:
        return self.dir / "compose.json"

    @property
    def state_file(self) -> Path:
        return self.dir / "state.json"

    def state(self) -> dict[str, Any]:
        try:
            return json.loads(self.state_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def port_overrides(self) -> dict[tuple[str, str], int]:
        return {(k.split("/")[0], k.split("/")[1]): v for k, v in self.state().get("ports", {}).items()}


def cluster_name(name: str | None, profile: "Profile") -> str:
    import re

    n = name or profile.name
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,39}", n):
        raise DevenvError(f"cluster name {n!r} must be lower-case letters, digits and '-' (it names hosts, networks and volumes)")
    return n


def known_clusters() -> list[str]:
    root = paths().state / "clusters"
    return sorted(p.name for p in root.iterdir() if (p / "compose.json").is_file()) if root.is_dir() else []


# --- rendering -------------------------------------------------------------

def _db_password(c: Cluster) -> str:
    f = c.dir / "secrets" / "db-password"
    if not f.exists():
        f.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(f.parent, 0o700)
        f.write_text(secrets.token_urlsafe(18), encoding="ascii")
    os.chmod(f, 0o644)  # read by the database's own uid through the bind mount; the directory is private
    return f.read_text(encoding="ascii").strip()


def render_files(c: Cluster, profile: "Profile", tags: Mapping[str, str], overrides: dict[tuple[str, str], int],
                 host_hive_jars: list[str] | None = None) -> str:
    """Write conf/, client/ and compose.json; returns a digest of everything rendered."""
    data = profile.to_dict()
    pw = _db_password(c)
    files: dict[str, str] = {}
    for sub, inst in [("hadoop", None), *[(f"hadoop-{i}", i) for i, s in instances(data) if s in ("namenode", "datanode", "nodemanager")]]:
        for name, props in render.hadoop_files(data, instance=inst, port_overrides=overrides).items():
            files[f"conf/{sub}/{name}.xml"] = render.site_xml(props)
    files["conf/hive/hive-site.xml"] = render.site_xml(render.hive_site(data, pw, port_overrides=overrides))
    files["conf/spark/spark-defaults.conf"] = render.spark_conf(render.spark_defaults(data))
    files["conf/spark/hive-site.xml"] = render.site_xml({"hive.metastore.uris": "thrift://metastore:9083"})
    # beeline with no -u connects to this cluster's HiveServer2: in the Hive services and on the edge node
    files["conf/hive/beeline-site.xml"] = files["conf/edge-hive/beeline-site.xml"] = render.site_xml(render.beeline_site(data))
    for name, props in render.hadoop_files(data, host=True, port_overrides=overrides).items():
        files[f"client/hadoop/{name}.xml"] = render.site_xml(props)
    files["client/spark/spark-defaults.conf"] = render.spark_conf(render.spark_defaults(data, host=True, host_hive_jars=host_hive_jars))
    files["client/spark/hive-site.xml"] = render.site_xml(render.hive_site(data, pw, host=True, port_overrides=overrides))
    files["client/hadoop/hive-site.xml"] = files["client/spark/hive-site.xml"]
    all_ports = ports(data, overrides)
    model = compose.render(data, cluster=c.name, tags=tags, conf_dir=c.dir / "conf", ports=all_ports, secrets_dir=c.dir / "secrets")
    for svc in model["services"].values():
        # a change to a mounted config file changes this label, so Compose recreates just that container
        mounted = sorted(v.split(":")[0] for v in svc["volumes"] if str(c.dir / "conf") in v)
        h = hashlib.sha256()
        for m in mounted:
            rel = Path(m).relative_to(c.dir).as_posix()
            for k in sorted(k for k in files if k.startswith(rel + "/") or k == rel):
                h.update(k.encode() + files[k].encode())
        svc["labels"]["devenv.config"] = h.hexdigest()[:16]
    files["compose.json"] = json.dumps(model, indent=1)
    h = hashlib.sha256()
    for k in sorted(files):
        h.update(k.encode() + b"\0" + files[k].encode())
    digest = h.hexdigest()
    if digest != c.state().get("rendered") or not c.compose_file.exists():
        shutil.rmtree(c.dir / "conf", ignore_errors=True)
        shutil.rmtree(c.dir / "client", ignore_errors=True)
        render.write_tree(c.dir, files)
    return digest


def _save_state(c: Cluster, profile: "Profile", overrides: dict[tuple[str, str], int], digest: str, tags: Mapping[str, str]) -> None:
    prev = c.state()
    state = {
        "schema": 1, "cluster": c.name, "profile": profile.name, "profile_path": str(profile.path),
        "ports": {f"{i}/{n}": p for (i, n), p in overrides.items()}, "rendered": digest, "images": dict(tags),
        "created": prev.get("created") or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "bootstrapped": prev.get("bootstrapped", False),
    }
    c.state_file.write_text(json.dumps(state, indent=1), encoding="utf-8")


# --- preflight ---------------------------------------------------------------

def preflight(profile: "Profile", all_ports: list[Port], *, own: set[int]) -> None:
    """Engine, Compose v2, memory and ports, before any work; every problem at once."""
    from devenv import hostports

    info = docker.engine_info()
    problems: list[str] = []
    if not docker.compose_version():
        problems.append("Docker Compose v2 is missing (`docker compose version` fails): install the docker-compose-plugin package or Docker Desktop")
    need = schema.parse_memory(profile.resources["total"]) or 0
    have = info.memory_bytes // (1024 * 1024)
    if have and have < need:
        problems.append(f"Docker has {have / 1024:.1f} GB of memory, profile {profile.name!r} needs {need / 1024:.1f} GB (resources.total): "
                        "give Docker more memory (Docker Desktop: Settings > Resources) or lower the profile's resources")
    for p in all_ports:
        if p.host in own or hostports.is_free(p.bind, p.host):
            continue
        who = hostports.owner(p.host)
        problems.append(f"port {p.bind}:{p.host} ({p.service} {p.name}) is in use{' by ' + who if who else ''}")
    if problems:
        hint = "stop what holds the ports, or run with --ports auto to pick free ones" if any("port " in x for x in problems) else "fix the above, then run devenv up again"
        raise DevenvError("devenv up cannot start this cluster", details=problems, hint=hint)


def auto_ports(profile: "Profile", current: dict[tuple[str, str], int], own: set[int]) -> dict[tuple[str, str], int]:
    """Keep the standard (or already chosen) port where free, else pick a free one."""
    from devenv import hostports

    chosen = dict(current)
    for p in ports(profile.to_dict(), chosen):
        if p.host in own or hostports.is_free(p.bind, p.host):
            chosen[(p.service, p.name)] = p.host
        else:
            chosen[(p.service, p.name)] = hostports.free_port(p.bind)
    return chosen


# --- waiting -----------------------------------------------------------------

@dataclass
class Readiness:
    instance: str
    ready: bool = False
    detail: str = "starting"
    seconds: float | None = None


def wait_ready(c: Cluster, profile: "Profile", all_ports: list[Port], *, timeout: float,
               on_change: Callable[[dict[str, Readiness]], None], bootstrap: Callable[[], None]) -> dict[str, Readiness]:
    """Poll every service's probe until all are ready; fail fast when a container exits."""
    from concurrent.futures import ThreadPoolExecutor

    from devenv import readiness

    names = {ci.service: ci.name for ci in docker.containers(c.name)}
    probes = readiness.probes(profile.to_dict(), all_ports, names)
    state = {inst: Readiness(inst) for inst in probes}
    start = time.monotonic()
    bootstrapped = False
    with ThreadPoolExecutor(max_workers=len(probes)) as pool:
        while True:
            pending = [s for s in state.values() if not s.ready]
            results = dict(zip([s.instance for s in pending], pool.map(lambda s: probes[s.instance](), pending)))
            for inst, detail in results.items():
                s = state[inst]
                if detail is None:
                    s.ready, s.detail, s.seconds = True, "ready", time.monotonic() - start
                else:
                    s.detail = detail
            on_change(state)
            if not bootstrapped and state.get("namenode") and state["namenode"].ready:
                bootstrap()
                bootstrapped = True
            if all(s.ready for s in state.values()):
                return state
            exited = [ci for ci in docker.containers(c.name) if ci.state in ("exited", "dead") and ci.service in state and not state[ci.service].ready]
            if exited:
                raise not_ready(c, [ci.service for ci in exited], "stopped (exit code " + ", ".join(str(ci.exit_code) for ci in exited) + ")")
            if time.monotonic() - start > timeout:
                raise not_ready(c, [s.instance for s in state.values() if not s.ready], f"not ready after {timeout:.0f} s", state)
            time.sleep(0.5)


def not_ready(c: Cluster, failed: list[str], why: str, state: Mapping[str, Readiness] | None = None) -> DevenvError:
    details: list[str] = []
    names = {ci.service: ci.name for ci in docker.containers(c.name)}
    for inst in failed:
        if state:
            details.append(f"{inst}: {state[inst].detail}")
        try:
            tail = docker.logs(names.get(inst, inst), tail=15).rstrip().splitlines()
        except DevenvError:
            tail = []
        details += [f"  {inst} | {line}" for line in tail[-15:]]
    return DevenvError(
        f"{', '.join(failed)} {why}; the containers are kept for inspection",
        details=details,
        hint=f"full logs: devenv logs {failed[0]}   all logs for a bug report: devenv logs --export DIR   stop: devenv down",
    )


BOOTSTRAP = (
    "hdfs dfs -mkdir -p /tmp /tmp/logs /tmp/hive /user/hive/warehouse /user/hadoop /spark-logs /seed"
    " && hdfs dfs -chmod 1777 /tmp /tmp/logs /tmp/hive /spark-logs"
    " && hdfs dfs -chmod 777 /user/hive/warehouse"
)


def bootstrap_hdfs(c: Cluster) -> None:
    """The directories every service expects, created once per cluster (HDFS keeps them)."""
    st = c.state()
    if st.get("bootstrapped"):
        return
    nn = next(ci.name for ci in docker.containers(c.name) if ci.service == "namenode")
    docker.exec_in(nn, ["bash", "-c", BOOTSTRAP])
    st["bootstrapped"] = True
    c.state_file.write_text(json.dumps(st, indent=1), encoding="utf-8")


# --- status ------------------------------------------------------------------

def status(c: Cluster) -> dict[str, Any]:
    """Each service's container state, health and endpoints (probes run in parallel)."""
    from concurrent.futures import ThreadPoolExecutor

    from devenv import profile as prof
    from devenv import readiness

    st = c.state()
    if not st:
        raise DevenvError(f"no cluster named {c.name!r}", hint=f"start one with devenv up; known clusters: {', '.join(known_clusters()) or 'none'}")
    p = prof.load_profile(Path(st["profile_path"]))
    data = p.to_dict()
    all_ports = ports(data, c.port_overrides())
    conts = {ci.service: ci for ci in docker.containers(c.name)}
    probes = readiness.probes(data, all_ports, {k: v.name for k, v in conts.items()})
    running = {k for k, v in conts.items() if v.state == "running"}
    with ThreadPoolExecutor(max_workers=max(1, len(probes))) as pool:
        health = dict(zip(probes, pool.map(lambda k: probes[k]() if k in running else "container not running", probes)))
    services = []
    for inst, _svc in instances(data):
        ci = conts.get(inst)
        services.append({
            "service": inst,
            "container": ci.name if ci else None,
            "state": ci.state if ci else "missing",
            "ready": health.get(inst) is None,
            "detail": health.get(inst) or "ready",
            "endpoints": [{"name": x.name, "url": x.url, "host_port": x.host} for x in all_ports if x.service == inst],
        })
    return {"schema": 1, "cluster": c.name, "profile": st["profile"], "services": services,
            "ready": all(s["ready"] for s in services)}


def endpoints(data: Mapping[str, Any], all_ports: list[Port]) -> list[tuple[str, str, str]]:
    """(service, what, URL) for the endpoint table."""
    what = {("namenode", "http"): "HDFS web UI", ("namenode", "rpc"): "HDFS RPC (hdfs://devenv with client-config)",
            ("resourcemanager", "http"): "YARN web UI", ("resourcemanager", "rpc"): "YARN RPC",
            ("historyserver", "http"): "MapReduce history", ("historyserver", "rpc"): "MapReduce history RPC",
            ("spark-history", "http"): "Spark history", ("metastore", "thrift"): "Hive metastore",
            ("hiveserver2", "jdbc"): "HiveServer2 JDBC", ("hiveserver2", "http"): "HiveServer2 web UI"}
    out = []
    for p in all_ports:
        base = p.service.rsplit("-", 1)[0] if p.service[-1].isdigit() else p.service
        label = what.get((base, p.name)) or f"{base} {p.name}"
        url = p.url + ("/default" if p.kind == "jdbc" else "")
        out.append((p.service, label, url))
    return out


# --- up and down ---------------------------------------------------------------

@dataclass
class UpResult:
    cluster: Cluster
    ports: list[Port]
    readiness: dict[str, Readiness]
    already_running: bool
    seconds: float


def hive_jars(lock: Any) -> list[str]:
    """file: URLs of the pinned Hive jars in the verified cache, for Spark's metastore client on the host."""
    from devenv import artifacts

    return sorted(artifacts.cached_path(a).resolve().as_uri() for a in lock.for_image("hive") if a.path.endswith(".jar"))


def _own_ports(c: Cluster) -> set[int]:
    return {hp for ci in docker.containers(c.name, all=False) for (_b, hp, _cp) in ci.ports}


def _healthy(c: Cluster, profile: "Profile", all_ports: list[Port]) -> bool:
    """Every container running and every quick probe ready (the fast path of an idempotent up)."""
    from concurrent.futures import ThreadPoolExecutor

    from devenv import readiness

    conts = {ci.service: ci for ci in docker.containers(c.name)}
    insts = [i for i, _ in instances(profile.to_dict())]
    if any(i not in conts or conts[i].state != "running" for i in insts):
        return False
    probes = readiness.probes(profile.to_dict(), all_ports, {k: v.name for k, v in conts.items()}, quick=True)
    with ThreadPoolExecutor(max_workers=len(probes)) as pool:
        return all(r is None for r in pool.map(lambda f: f(), probes.values()))


def up(ctx: "Context", name: str | None = None, *, ports_mode: str = "fixed", wait_timeout: float = 600,
       on_event: Callable[[str, dict[str, Any]], None] = lambda e, d: None) -> UpResult:
    """Start (or confirm) the profile's cluster and wait until every service is really ready."""
    from devenv import images
    from devenv.commands.build import build_profile

    started = time.monotonic()
    profile = ctx.profile
    c = Cluster(cluster_name(name, profile))
    prev = c.state()
    if prev and prev.get("profile_path") and Path(prev["profile_path"]).resolve() != Path(str(profile.path)).resolve():
        raise DevenvError(f"cluster {c.name!r} was created from profile {prev['profile']!r} ({prev['profile_path']})",
                          hint=f"use another --name for this profile, or remove that cluster: devenv down --name {c.name} --volumes")
    overrides = c.port_overrides()
    all_ports = ports(profile.to_dict(), overrides)

    # Fast path: nothing changed and everything answers.
    if prev.get("rendered"):
        lock = ctx.lock()
        plans = images.plan(profile, lock, images.CLUSTER_IMAGES, ctx.ca_pem)
        tags = {p.name: p.tag for p in plans}
        have = images.existing_tags()
        if all(t in have for t in tags.values()) and render_files(c, profile, tags, overrides, hive_jars(lock)) == prev["rendered"] and _healthy(c, profile, all_ports):
            return UpResult(c, all_ports, {}, True, time.monotonic() - started)

    own = _own_ports(c)
    if ports_mode == "auto":
        overrides = auto_ports(profile, overrides, own)
        all_ports = ports(profile.to_dict(), overrides)
    on_event("preflight", {})
    preflight(profile, all_ports, own=own)
    on_event("build", {})
    results = build_profile(ctx)
    tags = {p.name: p.tag for p, _ in results}
    digest = render_files(c, profile, tags, overrides, hive_jars(ctx.lock()))
    _save_state(c, profile, overrides, digest, tags)
    on_event("start", {"project": c.project})
    docker.compose_up(c.compose_file, c.project)
    state = wait_ready(c, profile, all_ports, timeout=wait_timeout, on_change=lambda st: on_event("progress", {"state": st}),
                       bootstrap=lambda: bootstrap_hdfs(c))
    return UpResult(c, all_ports, state, False, time.monotonic() - started)


def down(name: str, *, volumes: bool) -> list[str]:
    """Stop and remove the cluster's containers (and with `volumes`, its data); returns what was removed."""
    c = Cluster(name)
    removed: list[str] = []
    conts = docker.containers(name)
    if c.compose_file.exists():
        docker.compose_down(c.compose_file, c.project, volumes=volumes)
        removed += [ci.name for ci in conts]
    elif conts:
        docker.remove(containers_=[ci.name for ci in conts])
        removed += [ci.name for ci in conts]
    if volumes:
        leftover = [v for v, _ in docker.volumes([f"devenv.cluster={name}"])]
        nets = [n for n, _ in docker.networks([f"devenv.cluster={name}"])]
        docker.remove(volumes_=leftover, networks_=nets)
        removed += leftover
        shutil.rmtree(c.dir, ignore_errors=True)
    elif not conts and not c.dir.exists():
        raise DevenvError(f"no cluster named {name!r}", hint=f"known clusters: {', '.join(known_clusters()) or 'none'}")
    return removed
