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
from typing import Any, Callable, Mapping

from devenv import docker
from devenv.services import Port

Probe = Callable[[], "str | None"]


def _http_json(url: str, timeout: float = 2.0) -> Any:
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(url, timeout=timeout) as r:
        return json.loads(r.read().decode("utf-8"))


def _host(p: Port) -> str:
    return "127.0.0.1" if p.bind in ("0.0.0.0", "127.0.0.1") else ("::1" if p.bind == "::" else p.bind)


def _port(ports: list[Port], inst: str, name: str) -> Port:
    return next(p for p in ports if p.service == inst and p.name == name)


def namenode(ports: list[Port], datanodes: int) -> Probe:
    p = _port(ports, "namenode", "http")

    def probe() -> str | None:
        try:
            info = _http_json(f"http://{_host(p)}:{p.host}/jmx?qry=Hadoop:service=NameNode,name=NameNodeInfo")["beans"]
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


def datanode(ports: list[Port], inst: str) -> Probe:
    nn = _port(ports, "namenode", "http")
    data = _port(ports, inst, "data")

    def probe() -> str | None:
        try:
            info = _http_json(f"http://{_host(nn)}:{nn.host}/jmx?qry=Hadoop:service=NameNode,name=NameNodeInfo")["beans"]
            live = json.loads(info[0].get("LiveNodes") or "{}")
        except (OSError, ValueError, KeyError, IndexError):
            return "waiting for the NameNode"
        if any(k.endswith(f":{data.container}") for k in live):
            return None
        return "not registered with the NameNode yet"

    return probe


def resourcemanager(ports: list[Port]) -> Probe:
    p = _port(ports, "resourcemanager", "http")

    def probe() -> str | None:
        try:
            state = _http_json(f"http://{_host(p)}:{p.host}/ws/v1/cluster/info")["clusterInfo"]["state"]
        except (OSError, ValueError, KeyError):
            return "REST API not answering yet"
        return None if state == "STARTED" else f"state {state}"

    return probe


def nodemanager(ports: list[Port], inst: str) -> Probe:
    rm = _port(ports, "resourcemanager", "http")

    def probe() -> str | None:
        try:
            nodes = (_http_json(f"http://{_host(rm)}:{rm.host}/ws/v1/cluster/nodes")["nodes"] or {}).get("node", [])
        except (OSError, ValueError, KeyError, AttributeError):
            return "waiting for the ResourceManager"
        for n in nodes:
            if n.get("nodeHostName") == inst:
                return None if n.get("state") == "RUNNING" else f"state {n.get('state')}"
        return "not registered with the ResourceManager yet"

    return probe


def http_ok(ports: list[Port], inst: str, path: str) -> Probe:
    p = _port(ports, inst, "http")

    def probe() -> str | None:
        try:
            with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(f"http://{_host(p)}:{p.host}{path}", timeout=2) as r:
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


def metastore(ports: list[Port]) -> Probe:
    p = _port(ports, "metastore", "thrift")

    def probe() -> str | None:
        try:
            dbs = thrift_get_all_databases(_host(p), p.host)
        except OSError as e:
            return f"Thrift call not answered yet ({e.__class__.__name__})"
        return None if "default" in dbs else f"answered without the default database: {dbs}"

    return probe


def hiveserver2(ports: list[Port], container: str) -> Probe:
    p = _port(ports, "hiveserver2", "jdbc")

    def probe() -> str | None:
        try:
            socket.create_connection((_host(p), p.host), timeout=2).close()
        except OSError:
            return "JDBC port not open yet"
        try:
            out = docker.exec_in(container, ["beeline", "-u", "jdbc:hive2://localhost:10000/default", "-n", "hadoop",
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


def tcp_open(ports: list[Port], inst: str, name: str) -> Probe:
    p = _port(ports, inst, name)

    def probe() -> str | None:
        try:
            socket.create_connection((_host(p), p.host), timeout=2).close()
        except OSError:
            return "port not open"
        return None

    return probe


def probes(data: Mapping[str, Any], ports: list[Port], containers: Mapping[str, str], *, quick: bool = False) -> dict[str, Probe]:
    """instance -> probe, for every enabled instance; `quick` skips the probes that start a JVM."""
    from devenv.services import instances

    out: dict[str, Probe] = {}
    for inst, svc in instances(data):
        if svc == "namenode":
            out[inst] = namenode(ports, data["topology"]["datanodes"])
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
    return out
