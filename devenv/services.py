"""The cluster's services and the host ports a profile publishes.

Names are valid host names (no underscores): Hadoop and Spark reject others.
Without `[network] port_base` every service keeps its standard port, so the
usual URLs work (http://localhost:9870); with it, host ports are numbered from
the base in the order below. Counted services (datanode, nodemanager) get one
entry per instance.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# service -> [(port name, container port, standard host port, protocol/use)]
PORTS: dict[str, list[tuple[str, int, str]]] = {
    "namenode": [("rpc", 8020, "hdfs"), ("http", 9870, "http")],
    "datanode": [("http", 9864, "http"), ("data", 9866, "tcp")],
    "resourcemanager": [("rpc", 8032, "tcp"), ("http", 8088, "http")],
    "nodemanager": [("http", 8042, "http")],
    "historyserver": [("rpc", 10020, "tcp"), ("http", 19888, "http")],
    "spark-history": [("http", 18080, "http")],
    "metastore-db": [],
    "metastore": [("thrift", 9083, "thrift")],
    "hiveserver2": [("jdbc", 10000, "jdbc"), ("http", 10002, "http")],
}
# A second datanode or nodemanager moves its ports by this much, so each has its own.
INSTANCE_STRIDE = 10
ORDER = tuple(PORTS)


@dataclass(frozen=True)
class Port:
    service: str      # instance name: namenode, datanode-1, ...
    name: str         # rpc, http, ...
    container: int    # port inside the container (equal to the host port for datanodes)
    host: int
    bind: str
    kind: str

    @property
    def url(self) -> str:
        host = "localhost" if self.bind in ("127.0.0.1", "0.0.0.0", "::1", "::") else self.bind
        scheme = {"http": "http", "hdfs": "hdfs", "thrift": "thrift", "jdbc": "jdbc:hive2"}.get(self.kind)
        return f"{scheme}://{host}:{self.host}" if scheme else f"{host}:{self.host}"


def instances(profile_data: Any) -> list[tuple[str, str]]:
    """(instance name, service) in start order, for the enabled services."""
    topo = profile_data["topology"]
    enabled = topo.get("services", {})
    out: list[tuple[str, str]] = []
    for svc in ORDER:
        if not enabled.get(svc, True):
            continue
        count = {"datanode": topo["datanodes"], "nodemanager": topo["nodemanagers"]}.get(svc)
        if count is None:
            out.append((svc, svc))
        else:
            out.extend((f"{svc}-{i + 1}", svc) for i in range(count))
    return out


def ports(profile_data: Any, overrides: dict[tuple[str, str], int] | None = None) -> list[Port]:
    """Every host port the profile publishes; `overrides` maps (instance, port name) to a chosen host port."""
    net = profile_data["network"]
    bind = net.get("bind", "127.0.0.1")
    base = net.get("port_base")
    out: list[Port] = []
    n = 0
    for inst, svc in instances(profile_data):
        idx = int(inst.rsplit("-", 1)[1]) - 1 if inst != svc else 0
        for name, cport, kind in PORTS[svc]:
            # Counted instances listen on distinct ports inside too, so that the
            # addresses they advertise to clients are the same inside and out.
            inside = cport + INSTANCE_STRIDE * idx
            host = base + n if base else inside
            if overrides and (inst, name) in overrides:
                host = overrides[(inst, name)]
            if svc == "datanode":
                # A datanode tells clients its own port (WebHDFS redirects, block
                # transfers): it listens on the host port so that address works outside.
                inside = host
            out.append(Port(inst, name, inside, host, bind, kind))
            n += 1
    return out
