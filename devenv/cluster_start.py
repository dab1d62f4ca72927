"""Starting a cluster: preflight (engine, Compose, memory, ports), free ports, waiting for real readiness."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Mapping

from devenv import docker, readiness, schema
from devenv.cluster_state import Cluster
from devenv.errors import DevenvError
from devenv.services import PortPlan, ports, uri_host

if TYPE_CHECKING:
    from devenv.profile import Profile


def preflight(profile: "Profile", plan: PortPlan, *, own: set[int]) -> None:
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
    for p in plan:
        if p.host in own or hostports.is_free(p.bind, p.host):
            continue
        who = hostports.owner(p.host)
        problems.append(f"port {uri_host(p.bind)}:{p.host} ({p.service} {p.name}) is in use{' by ' + who if who else ''}")
    if problems:
        hint = "stop what holds the ports, or run with --ports auto to pick free ones" if any("port " in x for x in problems) else "fix the above, then run devenv up again"
        raise DevenvError("devenv up cannot start this cluster", details=problems, hint=hint)


def auto_ports(profile: "Profile", current: Mapping[tuple[str, str], int], own: set[int]) -> dict[tuple[str, str], int]:
    """Keep the standard (or already chosen) port where free, else pick a free one."""
    from devenv import hostports

    chosen = dict(current)
    for p in ports(profile, chosen):
        if p.host in own or hostports.is_free(p.bind, p.host):
            chosen[(p.service, p.name)] = p.host
        else:
            chosen[(p.service, p.name)] = hostports.free_port(p.bind)
    return chosen


@dataclass
class Readiness:
    instance: str
    ready: bool = False
    detail: str = "starting"
    seconds: float | None = None


def wait_ready(c: Cluster, profile: "Profile", plan: PortPlan, *, timeout: float,
               on_change: Callable[[dict[str, Readiness]], None], bootstrap: Callable[[], None]) -> dict[str, Readiness]:
    """Poll every service's probe until all are ready; fail fast when a container exits."""
    state: dict[str, Readiness] = {}
    start = time.monotonic()
    bootstrapped = False
    while True:
        pending = None if not state else [s.instance for s in state.values() if not s.ready]
        conts, results = readiness.check(profile, plan, c.name, only=pending)
        for inst, detail in results.items():
            s = state.setdefault(inst, Readiness(inst))
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
        exited = [ci for ci in conts.values() if ci.state in ("exited", "dead") and ci.service in state and not state[ci.service].ready]
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
    c.write_state(st)
