"""Plain data that leaves `devenv.docker`: what the engine says about itself and devenv's resources.

No engine calls here: these are the typed values `docker.py` returns, and the
parser of one `docker container inspect` entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from devenv import labels as lb


@dataclass(frozen=True)
class EngineInfo:
    """What `docker info` says, asked once per process (see `engine_info`)."""

    server_version: str
    memory_bytes: int
    cpus: int
    os_type: str
    architecture: str
    root_dir: str
    context: str
    kernel_version: str = ""
    operating_system: str = ""
    http_proxy: str = ""
    https_proxy: str = ""
    no_proxy: str = ""


@dataclass(frozen=True)
class ContainerInfo:
    """A devenv container: what it serves, its state, the image it runs and its published ports."""

    id: str
    name: str
    service: str
    cluster: str
    profile: str
    state: str          # running, exited, ...
    exit_code: int
    image: str          # what it was started from (tag)
    started_at: str
    ports: tuple[tuple[str, int, int], ...]  # (bind, host, container)
    image_id: str = ""  # the image it actually runs
    labels: Mapping[str, str] = field(default_factory=dict)

    @property
    def running(self) -> bool:
        return self.state == "running"

    @property
    def image_ref(self) -> str:
        return self.image

    @property
    def host_ports(self) -> tuple[int, ...]:
        return tuple(sorted({hp for _b, hp, _c in self.ports}))


def container_from_inspect(c: Mapping[str, Any]) -> ContainerInfo:
    cfg, st = c.get("Config") or {}, c.get("State") or {}
    lab = dict(cfg.get("Labels") or {})
    ports = tuple((str(b.get("HostIp", "")), int(b["HostPort"]), int(key.split("/")[0]))
                  for key, binds in ((c.get("NetworkSettings") or {}).get("Ports") or {}).items()
                  for b in binds or [] if b.get("HostPort"))
    return ContainerInfo(str(c.get("Id", "")), str(c.get("Name", "")).lstrip("/"), lab.get(lb.SERVICE, ""),
                         lab.get(lb.CLUSTER, ""), lab.get(lb.PROFILE, ""), str(st.get("Status", "")),
                         int(st.get("ExitCode") or 0), str(cfg.get("Image", "")), str(st.get("StartedAt", "")),
                         ports, str(c.get("Image", "")), lab)


@dataclass(frozen=True)
class ResourceInfo:
    kind: str                  # container, network or volume
    name: str
    labels: Mapping[str, str]

    @property
    def cluster(self) -> str:
        return self.labels.get(lb.CLUSTER, "")


@dataclass(frozen=True)
class ImageInfo:
    id: str
    tags: tuple[str, ...]
    size: int
    labels: Mapping[str, str]
    created: str
    architecture: str = ""
