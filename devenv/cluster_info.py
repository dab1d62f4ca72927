"""What a test needs to reach a running cluster: a frozen `ClusterInfo` (the pytest plugin's fixture value).

Everything in it is plain data read once (URLs from the port plan, the client
configuration's directory), so it can be written to a file and read back by
another process (pytest-xdist workers share one cluster that way). `exec` and
`logs` ask the engine when they are called.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from devenv.errors import DevenvError

if TYPE_CHECKING:
    from devenv.cluster_state import Cluster
    from devenv.services import PortPlan

WEBHDFS = "/webhdfs/v1"


@dataclass(frozen=True)
class ClusterInfo:
    """A running cluster as a test sees it; every URL is the one a client on this machine uses."""

    name: str
    profile: str
    lock_digest: str                    # sha256 of the lock the cluster's images were built from
    hdfs_uri: str                       # hdfs://localhost:8020 (the client config also knows hdfs://devenv)
    webhdfs_url: str                    # http://localhost:9870/webhdfs/v1
    resourcemanager_url: str            # http://localhost:8088
    hiveserver2_jdbc_url: str | None    # jdbc:hive2://localhost:10000/default (None without hiveserver2)
    hiveserver2_host: str | None
    hiveserver2_port: int | None
    metastore_uri: str                  # thrift://localhost:9083
    ui_urls: Mapping[str, str]          # instance -> its web UI
    conf_dir: Path                      # the client configuration: hadoop/ and spark/ under it
    services: tuple[str, ...]           # every instance: namenode, datanode-1, ...
    client_env: Mapping[str, str] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        """The variables host tools (hdfs, pyspark, beeline, Spark's Hive client) need: HADOOP_CONF_DIR, SPARK_CONF_DIR, ..."""
        return dict(self.client_env)

    def _container(self, service: str) -> str:
        from devenv import docker

        conts = {ci.service: ci for ci in docker.containers(self.name)}
        ci = conts.get(service)
        if ci is None or not ci.running:
            raise DevenvError(f"cluster {self.name!r} has no running service {service!r}", hint=f"services: {', '.join(sorted(conts)) or 'none'}")
        return ci.name

    def exec(self, service: str, *cmd: str, user: str | None = None) -> str:
        """Run a command in `service` and return its output (a DevenvError with its output if it fails)."""
        from devenv import docker

        return docker.exec_in(self._container(service), list(cmd), user=user)

    def logs(self, service: str, since: datetime | float | None = None) -> str:
        """`service`'s log; only the lines written at or after `since` (a datetime, or seconds since the epoch)."""
        from devenv import docker

        when = datetime.fromtimestamp(since, tz=timezone.utc) if isinstance(since, (int, float)) else since
        return docker.logs(self._container(service), since=when)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON data (the xdist info file); `from_json` reads it back."""
        data = dataclasses.asdict(self)
        data["conf_dir"] = str(self.conf_dir)
        data["services"] = list(self.services)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "ClusterInfo":
        """The ClusterInfo `to_json` wrote (keys it does not know are ignored)."""
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        return cls(**{**values, "conf_dir": Path(values["conf_dir"]), "services": tuple(values["services"]),
                      "ui_urls": dict(values["ui_urls"]), "client_env": dict(values.get("client_env") or {})})


def describe(c: "Cluster", plan: "PortPlan", *, profile: str, lock_digest: str, services: list[str]) -> ClusterInfo:
    """The ClusterInfo of cluster `c` with port plan `plan` (the cluster's client configuration must be written)."""
    from devenv.cluster_state import client_env
    from devenv.services import JDBC_DATABASE

    hs2 = plan.find("hiveserver2", "jdbc")
    return ClusterInfo(
        name=c.name, profile=profile, lock_digest=lock_digest,
        hdfs_uri=plan.get("namenode", "rpc").url_to(),
        webhdfs_url=plan.get("namenode", "http").url_to(WEBHDFS),
        resourcemanager_url=plan.get("resourcemanager", "http").url_to(),
        hiveserver2_jdbc_url=hs2.url_to(JDBC_DATABASE) if hs2 else None,
        hiveserver2_host=hs2.connect_host() if hs2 else None,
        hiveserver2_port=hs2.connect_port() if hs2 else None,
        metastore_uri=plan.get("metastore", "thrift").url_to(),
        ui_urls={p.service: p.url_to() for p in plan if p.kind == "http"},
        conf_dir=c.dir / "client",
        services=tuple(services),
        client_env=client_env(c),
    )
