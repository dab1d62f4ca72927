"""The cluster's services and the host ports a profile publishes.

Names are valid host names (no underscores): Hadoop and Spark reject others.
Without `[network] port_base` every service keeps its standard port, so the
usual URLs work (http://localhost:9870); with it, host ports are numbered from
the base in the order below. Counted services (datanode, nodemanager) get one
entry per instance.

The endpoint rule lives here too: which host and port a client connects to,
from inside the cluster (the instance's host name and container port) or from
this machine (the published port on the bind address, IPv6 in brackets).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping

if TYPE_CHECKING:
    from devenv.profile import Profile

# service -> [(port name, container port, protocol/use)]
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
    # every web UI under one port (devenv/gateway.py); last, so a port_base numbers the others as before
    "gateway": [("http", 8480, "http")],
}
# The image each service runs (the one table: compose runs it, `devenv build --service` builds it).
# NodeManagers run the Spark image: Spark and Python are on every node, as in production.
SERVICE_IMAGE: dict[str, str] = {
    "namenode": "hadoop", "datanode": "hadoop", "resourcemanager": "hadoop", "nodemanager": "spark",
    "historyserver": "hadoop", "spark-history": "spark", "metastore-db": "postgres", "metastore": "hive",
    "hiveserver2": "hive", "gateway": "gateway",
}
# A second datanode or nodemanager moves its ports by this much, so each has its own.
INSTANCE_STRIDE = 10
ORDER = tuple(PORTS)
SCHEMES = {"http": "http", "hdfs": "hdfs", "thrift": "thrift", "jdbc": "jdbc:hive2"}
# The NameNode's JMX bean with safe mode and the live datanodes (readiness and doctor read it).
NAMENODE_INFO = "/jmx?qry=Hadoop:service=NameNode,name=NameNodeInfo"
# HiveServer2's default database, the path of its JDBC URL.
JDBC_DATABASE = "/default"


def uri_host(host: str) -> str:
    """`host` as it appears in a URL or host:port: IPv6 literals in brackets."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def public_host(bind: str, *, numeric: bool = False) -> str:
    """The host a client on this machine connects to for ports published on `bind`.

    IPv4 loopback or any: `localhost` in configuration and shown URLs, `127.0.0.1`
    with `numeric` (the probes' sockets: no resolver order to depend on). IPv6
    loopback or any: `::1` ("localhost" may resolve to 127.0.0.1 only, where nothing
    listens). Any other address: itself.
    """
    if bind in ("127.0.0.1", "0.0.0.0"):
        return "127.0.0.1" if numeric else "localhost"
    if bind in ("::1", "::"):
        return "::1"
    return bind


@dataclass(frozen=True)
class Port:
    service: str      # instance name: namenode, datanode-1, ...
    name: str         # rpc, http, ...
    container: int    # port inside the container (equal to the host port for datanodes)
    host: int
    bind: str
    kind: str

    def connect_host(self, inside: bool = False, *, numeric: bool = False) -> str:
        """The host a client connects to: the instance's name inside the cluster, else the published address."""
        return self.service if inside else public_host(self.bind, numeric=numeric)

    def connect_port(self, inside: bool = False) -> int:
        return self.container if inside else self.host

    def hostport(self, inside: bool = False, *, numeric: bool = False) -> str:
        """host:port for a client, IPv6 bracketed (`[::1]:9870`)."""
        return f"{uri_host(self.connect_host(inside, numeric=numeric))}:{self.connect_port(inside)}"

    def url_to(self, path: str = "", *, inside: bool = False, numeric: bool = False) -> str:
        """scheme://host:port/path for this port's protocol (host:port alone for plain TCP)."""
        scheme = SCHEMES.get(self.kind)
        where = self.hostport(inside, numeric=numeric)
        return f"{scheme}://{where}{path}" if scheme else where

    @property
    def url(self) -> str:
        """The URL a client on this machine uses."""
        return self.url_to()

    @property
    def publish(self) -> str:
        """The Compose short-syntax port mapping, `bind:host:container` (`[::1]:9870:9870`)."""
        return f"{uri_host(self.bind)}:{self.host}:{self.container}"


class PortPlan(tuple):
    """Every published port of a cluster, in start order; computed once per command."""

    def find(self, inst: str, name: str) -> Port | None:
        return next((p for p in self if p.service == inst and p.name == name), None)

    def get(self, inst: str, name: str) -> Port:
        p = self.find(inst, name)
        if p is None:
            raise KeyError(f"{inst} publishes no {name} port")
        return p

    def of(self, inst: str) -> list[Port]:
        return [p for p in self if p.service == inst]


def instances(profile: "Profile") -> list[tuple[str, str]]:
    """(instance name, service) in start order, for the enabled services."""
    topo = profile.topology
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


def ports(profile: "Profile", overrides: Mapping[tuple[str, str], int] | None = None) -> PortPlan:
    """Every host port the profile publishes; `overrides` maps (instance, port name) to a chosen host port."""
    net = profile.network
    bind = net.get("bind", "127.0.0.1")
    base = net.get("port_base")
    out: list[Port] = []
    n = 0
    for inst, svc in instances(profile):
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
    return PortPlan(out)


def base_service(inst: str) -> str:
    """datanode-2 -> datanode; namenode -> namenode."""
    return inst.rsplit("-", 1)[0] if inst[-1].isdigit() else inst
