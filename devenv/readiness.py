"""Is each service really ready? Probes that ask the services themselves.

HDFS: out of safe mode with every datanode live (NameNode JMX). YARN: every
NodeManager RUNNING (ResourceManager REST). Metastore: a real Thrift call
(get_all_databases) answered. HiveServer2: a JDBC query through Beeline.
The web and RPC probes run from the host against the published ports, which
also proves host access; probes return None when ready, else what is missing.
"""

from __future__ import annotations

import json
import socket
import struct
import urllib.request
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

from devenv import docker
from devenv.services import JDBC_DATABASE, NAMENODE_INFO, PortPlan

if TYPE_CHECKING:
    from devenv.profile import Profile

Probe = Callable[[], "str | None"]


def _open(url: str, timeout: float) -> Any:
    """GET `url` without any proxy (every endpoint is local)."""
    req = urllib.request.Request(url, headers={"Accept": "application/json"})
    return urllib.request.build_opener(urllib.request.ProxyHandler({})).open(req, timeout=timeout)


def http_json(url: str, timeout: float = 2.0) -> Any:
    """A daemon's JSON answer (the probes and `devenv doctor` use this one helper)."""
    with _open(url, timeout) as r:
        return json.loads(r.read().decode("utf-8"))


def namenode(ports: PortPlan, datanodes: int) -> Probe:
    url = ports.get("namenode", "http").url_to(NAMENODE_INFO, numeric=True)

    def probe() -> str | None:
        try:
            info = http_json(url)["beans"]
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


def datanode(ports: PortPlan, inst: str) -> Probe:
    url = ports.get("namenode", "http").url_to(NAMENODE_INFO, numeric=True)
    data = ports.get(inst, "data")

    def probe() -> str | None:
        try:
            info = http_json(url)["beans"]
            live = json.loads(info[0].get("LiveNodes") or "{}")
        except (OSError, ValueError, KeyError, IndexError):
            return "waiting for the NameNode"
        if any(k.endswith(f":{data.container}") for k in live):
            return None
        return "not registered with the NameNode yet"

    return probe


def resourcemanager(ports: PortPlan) -> Probe:
    url = ports.get("resourcemanager", "http").url_to("/ws/v1/cluster/info", numeric=True)

    def probe() -> str | None:
        try:
            state = http_json(url)["clusterInfo"]["state"]
        except (OSError, ValueError, KeyError):
            return "REST API not answering yet"
        return None if state == "STARTED" else f"state {state}"

    return probe


def nodemanager(ports: PortPlan, inst: str) -> Probe:
    url = ports.get("resourcemanager", "http").url_to("/ws/v1/cluster/nodes", numeric=True)

    def probe() -> str | None:
        try:
            nodes = (http_json(url)["nodes"] or {}).get("node", [])
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
            with _open(url, 2) as r:
                return None if r.status == 200 else f"HTTP {r.status}"
        except OSError:
            return "web UI not answering yet"

    return probe


def thrift_get_all_databases(host: str, port: int, timeout: float = 5.0) -> list[str]:
    """One real metastore call over Thrift's binary protocol (unframed, as the metastore serves by default)."""
    name = b"get_all_databases"
    msg = struct.pack("!iI", -2147418112 | 1, len(name)) + name + struct.pack("!i", 1) + b"\x00"  # CALL, seqid 1, empty args
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(msg)
        f = s.makefile("rb")

        def read(n: int) -> bytes:
            b = f.read(n)
            if len(b) != n:
                raise OSError("connection closed by the metastore")
            return b

        (version,) = struct.unpack("!i", read(4))
        mtype = version & 0xFF
        (nlen,) = struct.unpack("!i", read(4))
        read(nlen + 4)  # name, seqid
        if mtype != 2:  # REPLY; 3 = EXCEPTION
            raise OSError(f"the metastore answered with a Thrift exception (message type {mtype})")
        (ftype,) = struct.unpack("!b", read(1))
        if ftype != 15:  # field 0 (success): list<string>
            raise OSError("the metastore answered get_all_databases with an error")
        read(2)  # field id
        _etype, size = struct.unpack("!bi", read(5))
        out = []
        for _ in range(size):
            (slen,) = struct.unpack("!i", read(4))
            out.append(read(slen).decode("utf-8"))
        return out


def metastore(ports: PortPlan) -> Probe:
    p = ports.get("metastore", "thrift")

    def probe() -> str | None:
        try:
            dbs = thrift_get_all_databases(p.connect_host(numeric=True), p.connect_port())
        except OSError as e:
            return f"Thrift call not answered yet ({e.__class__.__name__})"
        return None if "default" in dbs else f"answered without the default database: {dbs}"

    return probe


def hiveserver2(ports: PortPlan, container: str) -> Probe:
    p = ports.get("hiveserver2", "jdbc")
    jdbc = p.url_to(JDBC_DATABASE, inside=True)  # beeline runs in the container, like a client in the cluster

    def probe() -> str | None:
        try:
            socket.create_connection((p.connect_host(numeric=True), p.connect_port()), timeout=2).close()
        except OSError:
            return "JDBC port not open yet"
        try:
            out = docker.exec_in(container, ["beeline", "-u", jdbc, "-n", "hadoop",
                                             "--silent=true", "--outputformat=csv2", "-e", "SELECT 1 AS ready"])
        except Exception as e:  # noqa: BLE001 - any failure means not ready yet
            return f"JDBC query failed: {str(e).splitlines()[0][:120]}"
        return None if "ready" in out else "JDBC query gave no answer"

    return probe


def postgres(container: str) -> Probe:
    def probe() -> str | None:
        try:
            docker.exec_in(container, ["pg_isready", "-q", "-h", "127.0.0.1", "-U", "hive", "-d", "metastore"])
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


def probes(profile: "Profile", ports: PortPlan, containers: Mapping[str, str], *, quick: bool = False) -> dict[str, Probe]:
    """instance -> probe, for every enabled instance; `quick` skips the probes that start a JVM."""
    from devenv.services import instances

    out: dict[str, Probe] = {}
    for inst, svc in instances(profile):
        if svc == "namenode":
            out[inst] = namenode(ports, profile.topology["datanodes"])
        elif svc == "datanode":
            out[inst] = datanode(ports, inst)
        elif svc == "resourcemanager":
            out[inst] = resourcemanager(ports)
        elif svc == "nodemanager":
            out[inst] = nodemanager(ports, inst)
        elif svc == "historyserver":
            out[inst] = http_ok(ports, inst, "/ws/v1/history/info")
        elif svc == "spark-history":
            out[inst] = http_ok(ports, inst, "/api/v1/version")
        elif svc == "metastore":
            out[inst] = metastore(ports)
        elif svc == "hiveserver2":
            out[inst] = tcp_open(ports, inst, "jdbc") if quick else hiveserver2(ports, containers.get(inst, inst))
        elif svc == "metastore-db":
            out[inst] = postgres(containers.get(inst, inst))
        elif svc == "gateway":
            out[inst] = http_ok(ports, inst, "/healthz")
    return out


def check(profile: "Profile", ports: PortPlan, cluster: str, *, quick: bool = False,
          only: Iterable[str] | None = None,
          containers: Iterable["docker.ContainerInfo"] | None = None) -> tuple[dict[str, "docker.ContainerInfo"], dict[str, str | None]]:
    """One round of questions: the cluster's containers, then every probe (or those in `only`) in parallel.

    Returns (instance -> container, instance -> None when ready else what is missing);
    an instance whose container is not running answers "container not running". `containers`: the
    cluster's containers when the caller has just listed them (not listed again).
    """
    from concurrent.futures import ThreadPoolExecutor

    conts = {ci.service: ci for ci in (docker.containers(cluster) if containers is None else containers)}
    found = probes(profile, ports, {k: v.name for k, v in conts.items()}, quick=quick)
    wanted = set(only) if only is not None else set(found)
    ask = [inst for inst in found if inst in wanted]

    def answer(inst: str) -> str | None:
        return found[inst]() if inst in conts and conts[inst].running else "container not running"

    with ThreadPoolExecutor(max_workers=max(1, len(ask))) as pool:
        return conts, dict(zip(ask, pool.map(answer, ask)))
