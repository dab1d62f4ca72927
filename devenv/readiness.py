"""Is each service really ready? Probes that ask the services themselves.

HDFS: out of safe mode with every datanode live (NameNode JMX). YARN: every
NodeManager RUNNING (ResourceManager REST). Metastore: a real Thrift call
(get_all_databases) answered. HiveServer2: a query run to its end over Thrift,
as a JDBC client runs it. PostgreSQL: `pg_isready` in its container (its port is
not published). The others run from the host against the published ports, which
also proves host access, in parallel and without a JVM; one round asks each URL
once however many probes read it. Probes return None when ready, else what is missing.
"""

from __future__ import annotations

import json
import socket
import threading
import urllib.request
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

from devenv import docker, thrift
from devenv.services import JDBC_DATABASE, NAMENODE_INFO, PortPlan

if TYPE_CHECKING:
    from devenv.profile import Profile

Probe = Callable[[], "str | None"]
Get = Callable[[str], Any]
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # no proxy: every endpoint is local
HTTP_TIMEOUT = 2.0  # an idle daemon answers its JMX/REST in milliseconds; 2 s is a daemon that is not there yet


def _open(url: str, timeout: float) -> Any:
    """GET `url` without any proxy (every endpoint is local)."""
    return _OPENER.open(urllib.request.Request(url, headers={"Accept": "application/json"}), timeout=timeout)


def http_json(url: str, timeout: float = HTTP_TIMEOUT) -> Any:
    """A daemon's JSON answer (the probes and `devenv doctor` use this one helper)."""
    with _open(url, timeout) as r:
        return json.loads(r.read().decode("utf-8"))


def shared(get: Get = http_json) -> Get:
    """`get` asked once per URL however many probes of a round read it (the datanodes share the NameNode's
    answer, the NodeManagers the ResourceManager's); its exception is shared the same way."""
    answers: dict[str, tuple[bool, Any]] = {}
    locks: dict[str, threading.Lock] = {}
    guard = threading.Lock()

    def once(url: str) -> Any:
        with guard:
            lock = locks.setdefault(url, threading.Lock())
        with lock:
            if url not in answers:
                try:
                    answers[url] = (True, get(url))
                except Exception as e:  # noqa: BLE001 - handed to every probe that asks
                    answers[url] = (False, e)
        good, value = answers[url]
        if not good:
            raise value
        return value

    return once


def namenode(ports: PortPlan, datanodes: int, get: Get = http_json) -> Probe:
    url = ports.get("namenode", "http").url_to(NAMENODE_INFO, numeric=True)

    def probe() -> str | None:
        try:
            info = get(url)["beans"]
        except (OSError, ValueError, KeyError):
            return "web UI not answering yet"
        if not info:
            return "starting"
        live = len(json.loads(info[0].get("LiveNodes") or "{}"))
        if info[0].get("Safemode"):
            return f"in safe mode ({live}/{datanodes} datanodes live)"
        if live < datanodes:
            return f"{live}/{datanodes} datanodes live"
        return None

    return probe


def datanode(ports: PortPlan, inst: str, get: Get = http_json) -> Probe:
    url = ports.get("namenode", "http").url_to(NAMENODE_INFO, numeric=True)
    data = ports.get(inst, "data")

    def probe() -> str | None:
        try:
            info = get(url)["beans"]
            live = json.loads(info[0].get("LiveNodes") or "{}")
        except (OSError, ValueError, KeyError, IndexError):
            return "waiting for the NameNode"
        if any(k.endswith(f":{data.container}") for k in live):
            return None
        return "not registered with the NameNode yet"

    return probe


def resourcemanager(ports: PortPlan, get: Get = http_json) -> Probe:
    url = ports.get("resourcemanager", "http").url_to("/ws/v1/cluster/info", numeric=True)

    def probe() -> str | None:
        try:
            state = get(url)["clusterInfo"]["state"]
        except (OSError, ValueError, KeyError):
            return "REST API not answering yet"
        return None if state == "STARTED" else f"state {state}"

    return probe


def nodemanager(ports: PortPlan, inst: str, get: Get = http_json) -> Probe:
    url = ports.get("resourcemanager", "http").url_to("/ws/v1/cluster/nodes", numeric=True)

    def probe() -> str | None:
        try:
            nodes = (get(url)["nodes"] or {}).get("node", [])
        except (OSError, ValueError, KeyError, AttributeError):
            return "waiting for the ResourceManager"
        for n in nodes:
            if n.get("nodeHostName") == inst:
                return None if n.get("state") == "RUNNING" else f"state {n.get('state')}"
        return "not registered with the ResourceManager yet"

    return probe


def http_ok(ports: PortPlan, inst: str, path: str) -> Probe:
    url = ports.get(inst, "http").url_to(path, numeric=True)

    def probe() -> str | None:
        try:
            with _open(url, HTTP_TIMEOUT) as r:
                return None if r.status == 200 else f"HTTP {r.status}"
        except OSError:
            return "web UI not answering yet"

    return probe


thrift_get_all_databases = thrift.get_all_databases  # one real metastore call (the probe and its tests use this name)


def metastore(ports: PortPlan) -> Probe:
    p = ports.get("metastore", "thrift")

    def probe() -> str | None:
        try:
            dbs = thrift_get_all_databases(p.connect_host(numeric=True), p.connect_port())
        except OSError as e:
            return f"Thrift call not answered yet ({e.__class__.__name__})"
        return None if "default" in dbs else f"answered without the default database: {dbs}"

    return probe


HS2_TIMEOUT = 10.0  # a warm HiveServer2 opens a session and runs SELECT 1 in well under a second; a busy one may take seconds


def hiveserver2(ports: PortPlan) -> Probe:
    """A query as a JDBC client runs it (open a session, SELECT 1 to its end, close), over Thrift from the host."""
    p = ports.get("hiveserver2", "jdbc")

    def probe() -> str | None:
        try:
            thrift.hiveserver2_query(p.connect_host(numeric=True), p.connect_port(), "SELECT 1", user="hadoop", timeout=HS2_TIMEOUT)
        except ConnectionRefusedError:
            return "JDBC port not open yet"
        except OSError as e:
            return f"query failed: {(str(e) or e.__class__.__name__).splitlines()[0][:120]}"
        return None

    return probe


def postgres(container: Callable[[], str]) -> Probe:
    """`pg_isready` in the database's container (named when the probe runs)."""
    def probe() -> str | None:
        try:
            docker.exec_in(container(), ["pg_isready", "-q", "-h", "127.0.0.1", "-U", "hive", "-d", "metastore"])
        except Exception:  # noqa: BLE001
            return "not accepting connections yet"
        return None

    return probe


def tcp_open(ports: PortPlan, inst: str, name: str) -> Probe:
    p = ports.get(inst, name)

    def probe() -> str | None:
        try:
            socket.create_connection((p.connect_host(numeric=True), p.connect_port()), timeout=2).close()
        except OSError:
            return "port not open"
        return None

    return probe


ENGINE_PROBED = ("metastore-db",)  # services whose probe runs in their container: it needs the listing


def probes(profile: "Profile", ports: PortPlan, containers: Mapping[str, str], *, quick: bool = False) -> dict[str, Probe]:
    """instance -> probe, for every enabled instance; `quick`: HiveServer2's port open rather than a query.

    `containers` (instance -> container name) is read when a probe runs, not before."""
    from devenv.services import instances

    get = shared()
    out: dict[str, Probe] = {}
    for inst, svc in instances(profile):
        if svc == "namenode":
            out[inst] = namenode(ports, profile.topology["datanodes"], get)
        elif svc == "datanode":
            out[inst] = datanode(ports, inst, get)
        elif svc == "resourcemanager":
            out[inst] = resourcemanager(ports, get)
        elif svc == "nodemanager":
            out[inst] = nodemanager(ports, inst, get)
        elif svc == "historyserver":
            out[inst] = http_ok(ports, inst, "/ws/v1/history/info")
        elif svc == "spark-history":
            out[inst] = http_ok(ports, inst, "/api/v1/version")
        elif svc == "metastore":
            out[inst] = metastore(ports)
        elif svc == "hiveserver2":
            out[inst] = tcp_open(ports, inst, "jdbc") if quick else hiveserver2(ports)
        elif svc == "metastore-db":
            out[inst] = postgres(lambda inst=inst: containers.get(inst, inst))
        elif svc == "gateway":
            out[inst] = http_ok(ports, inst, "/healthz")
    return out


def check(profile: "Profile", ports: PortPlan, cluster: str, *, quick: bool = False,
          only: Iterable[str] | None = None,
          containers: Iterable["docker.ContainerInfo"] | None = None) -> tuple[dict[str, "docker.ContainerInfo"], dict[str, str | None]]:
    """One round of questions: every probe (or those in `only`) in parallel, and the cluster's containers.

    Returns (instance -> container, instance -> None when ready else what is missing);
    an instance whose container is not running answers "container not running". The probes
    from the host start before the engine is asked (they need no listing); those that run in a
    container start once it is listed. `containers`: the cluster's containers when the caller
    has just listed them (not listed again).
    """
    from concurrent.futures import ThreadPoolExecutor

    from devenv.services import base_service

    names: dict[str, str] = {}
    found = probes(profile, ports, names, quick=quick)
    wanted = set(only) if only is not None else set(found)
    ask = [inst for inst in found if inst in wanted]
    later = [inst for inst in ask if base_service(inst) in ENGINE_PROBED]
    with ThreadPoolExecutor(max_workers=max(1, len(ask))) as pool:
        futures = {inst: pool.submit(found[inst]) for inst in ask if inst not in later}
        conts = {ci.service: ci for ci in (docker.containers(cluster) if containers is None else containers)}
        names.update({k: v.name for k, v in conts.items()})
        running = {inst for inst, ci in conts.items() if ci.running}
        futures.update({inst: pool.submit(found[inst]) for inst in later if inst in running})
        return conts, {inst: futures[inst].result() if inst in running else "container not running" for inst in ask}
