"""The one module that talks to the container engine, through python-on-whales.

Everything else calls these functions; engine errors become DevenvErrors that
say what to do. Unit tests replace this module's functions; integration tests
use the real engine.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Mapping, Sequence

from devenv.errors import DevenvError

if TYPE_CHECKING:
    from python_on_whales import DockerClient

log = logging.getLogger("devenv.docker")

LABEL = "devenv.managed"
NOT_RUNNING_HINT = (
    "start Docker (Docker Desktop on Windows and macOS; `sudo systemctl start docker` on Linux), "
    "then run `devenv doctor` to check the rest"
)

_client: "DockerClient | None" = None


def client() -> "DockerClient":
    global _client
    if _client is None:
        try:
            from python_on_whales import DockerClient
        except ImportError as e:  # pragma: no cover - a broken install
            raise DevenvError(f"python-on-whales is not installed: {e}", hint="reinstall devenv with ./install.sh") from None
        _client = DockerClient()
    return _client


def _translate(e: Exception, doing: str) -> DevenvError:
    """A DevenvError for a failed engine call: the command, its last lines, and a hint."""
    from python_on_whales.client_config import ClientNotFoundError
    from python_on_whales.exceptions import DockerException

    if isinstance(e, ClientNotFoundError):
        return DevenvError(f"{doing}: the `docker` command is not installed", hint="install Docker Engine (Linux) or Docker Desktop (Windows, macOS)")
    if isinstance(e, DockerException):
        text = (e.stderr or e.stdout or "").strip()
        tail = [line for line in text.splitlines() if not line.startswith("{")][-15:]
        lower = text.lower()
        if "cannot connect to the docker daemon" in lower or "is the docker daemon running" in lower or "error during connect" in lower:
            return DevenvError(f"{doing}: the Docker engine is not reachable", hint=NOT_RUNNING_HINT, details=tail[-2:])
        if "permission denied" in lower and "docker.sock" in lower:
            return DevenvError(f"{doing}: no permission to use the Docker engine", hint="add yourself to the docker group (`sudo usermod -aG docker $USER`, then log in again)")
        return DevenvError(f"{doing} failed (exit {e.return_code})", details=tail, hint="the lines above are the engine's own words; the full output is in the debug log")
    return DevenvError(f"{doing} failed: {e}")


def _call(doing: str, fn, *args: Any, **kwargs: Any) -> Any:
    from python_on_whales.client_config import ClientNotFoundError
    from python_on_whales.exceptions import DockerException

    log.debug("%s: %s %s", doing, getattr(fn, "__qualname__", fn), kwargs)
    try:
        return fn(*args, **kwargs)
    except (DockerException, ClientNotFoundError) as e:
        log.debug("engine error: %s", e)
        raise _translate(e, doing) from None


# --- engine --------------------------------------------------------------

@dataclass(frozen=True)
class EngineInfo:
    server_version: str
    memory_bytes: int
    cpus: int
    os_type: str
    architecture: str
    root_dir: str
    context: str


def engine_info() -> EngineInfo:
    info = _call("asking the Docker engine for its info", client().system.info)
    ctx = "default"
    try:
        ctx = next((c.name for c in client().context.list() if c.current), "default")
    except Exception:  # contexts are informational only
        pass
    return EngineInfo(
        server_version=str(info.server_version or ""),
        memory_bytes=int(info.mem_total or 0),
        cpus=int(info.n_cpu or 0),
        os_type=str(info.os_type or ""),
        architecture=str(info.architecture or ""),
        root_dir=str(info.docker_root_dir or ""),
        context=ctx,
    )


def compose_version() -> str | None:
    try:
        return str(client().compose.version())
    except Exception:
        return None


# --- images --------------------------------------------------------------

@dataclass(frozen=True)
class ImageInfo:
    id: str
    tags: tuple[str, ...]
    size: int
    labels: Mapping[str, str]
    created: str


def image_exists(ref: str) -> bool:
    return bool(_call(f"looking up image {ref}", client().image.exists, ref))


def images(label: str = LABEL) -> list[ImageInfo]:
    """devenv's images (those carrying `label`)."""
    found = _call("listing images", client().image.list, filters={"label": label})
    return [
        ImageInfo(i.id, tuple(i.repo_tags or ()), int(i.size or 0), dict(i.config.labels or {}), str(i.created))
        for i in found
    ]


def build(context: Path, tag: str, *, build_args: Mapping[str, str], labels: Mapping[str, str],
          no_cache: bool = False, pull: bool = False) -> Iterator[str]:
    """Build `context` into `tag`, yielding the build's log lines. Never pulls unless `pull`."""
    from python_on_whales.exceptions import DockerException

    log.debug("build %s from %s args=%s", tag, context, dict(build_args))
    try:
        stream = client().buildx.build(
            context, tags=[tag], build_args=dict(build_args), labels=dict(labels),
            cache=not no_cache, pull=pull, load=True, progress="plain", stream_logs=True,
        )
        for line in stream:
            log.debug("build %s: %s", tag, line.rstrip())
            yield line.rstrip("\n")
    except DockerException as e:
        raise _translate(e, f"building {tag}") from None


def remove_images(refs: Sequence[str]) -> None:
    if refs:
        _call("removing images", client().image.remove, list(refs), force=True)


def run(image: str, command: Sequence[str], *, volumes: Sequence[tuple[str, str] | tuple[str, str, str]] = (),
        envs: Mapping[str, str] | None = None, user: str | None = None, entrypoint: str | None = None,
        workdir: str | None = None, network: str | None = None) -> str:
    """Run a one-off container to completion and return its output."""
    return _call(
        f"running {command[0] if command else image} in {image}",
        client().run, image, list(command), volumes=list(volumes), envs=dict(envs or {}), user=user,
        entrypoint=entrypoint, workdir=workdir, remove=True, pull="never", networks=[network] if network else [],
    )


# --- doctor probes -------------------------------------------------------
# Read-only questions `devenv doctor` asks, plus the removals its --fix makes.
# Each returns plain data: no python-on-whales object leaves this module.

@dataclass(frozen=True)
class EngineDetails:
    kernel_version: str
    operating_system: str
    http_proxy: str
    https_proxy: str
    no_proxy: str


def engine_details() -> EngineDetails:
    """Kernel, OS and proxy settings the engine reports (`docker info`)."""
    info = _call("asking the Docker engine for its info", client().system.info)
    return EngineDetails(
        kernel_version=str(info.kernel_version or ""),
        operating_system=str(info.operating_system or ""),
        http_proxy=str(info.http_proxy or ""),
        https_proxy=str(info.https_proxy or ""),
        no_proxy=str(info.no_proxy or ""),
    )


def buildx_version() -> str | None:
    """`docker buildx version` as printed, or None without buildx."""
    try:
        return str(client().buildx.version())
    except Exception:
        return None


def _inspect(kind: str, list_args: Sequence[str]) -> list[dict[str, Any]]:
    """`docker KIND ls ... -q` then one `docker KIND inspect` of them all: two calls however many there are.

    (python-on-whales objects inspect again on nearly every attribute read.)
    """
    import json

    from python_on_whales.utils import run as cli

    cmd = list(client().client_config.docker_cmd)
    ids = _call(f"listing {kind}s", cli, [*cmd, kind, "ls", *list_args]).split()
    if not ids:
        return []
    return json.loads(_call(f"inspecting {kind}s", cli, [*cmd, kind, "inspect", *dict.fromkeys(ids)]) or "[]")


@dataclass(frozen=True)
class ContainerState:
    """A devenv container as the doctor sees it: the image it runs, its labels, its published ports."""

    name: str
    image_ref: str             # what it was started from (tag)
    image_id: str              # the image it actually runs
    labels: Mapping[str, str]
    running: bool
    host_ports: tuple[int, ...]


def managed_containers() -> list[ContainerState]:
    """devenv's containers (label devenv.managed=true), running or not."""
    out = []
    for c in _inspect("container", ["-aq", "--no-trunc", "--filter", f"label={LABEL}=true"]):
        ports = {int(b["HostPort"]) for binds in ((c.get("NetworkSettings") or {}).get("Ports") or {}).values()
                 for b in binds or [] if b.get("HostPort")}
        cfg = c.get("Config") or {}
        out.append(ContainerState(str(c.get("Name", "")).lstrip("/"), str(cfg.get("Image", "")), str(c.get("Image", "")),
                                  dict(cfg.get("Labels") or {}), bool((c.get("State") or {}).get("Running")), tuple(sorted(ports))))
    return out


@dataclass(frozen=True)
class ResourceInfo:
    kind: str                  # container, network or volume
    name: str
    labels: Mapping[str, str]


def managed_networks_and_volumes() -> list[ResourceInfo]:
    """devenv's networks and volumes (label devenv.managed=true)."""
    flt = ["--filter", f"label={LABEL}=true"]
    nets = _inspect("network", ["-q", "--no-trunc", *flt])
    vols = _inspect("volume", ["-q", *flt])
    return [ResourceInfo("network", str(n["Name"]), dict(n.get("Labels") or {})) for n in nets] + [
        ResourceInfo("volume", str(v["Name"]), dict(v.get("Labels") or {})) for v in vols
    ]


@dataclass(frozen=True)
class LocalImage:
    id: str
    tags: tuple[str, ...]
    architecture: str
    labels: Mapping[str, str]


def local_images() -> list[LocalImage]:
    """Every image on the engine with its tags, architecture and labels (two engine calls)."""
    return [LocalImage(str(i["Id"]), tuple(i.get("RepoTags") or ()), str(i.get("Architecture", "")), dict((i.get("Config") or {}).get("Labels") or {}))
            for i in _inspect("image", ["-q", "--no-trunc"])]


# --- compose projects and containers ----------------------------------------

def _project(compose_file: Path, project: str) -> "DockerClient":
    from python_on_whales import DockerClient

    return DockerClient(compose_files=[compose_file], compose_project_name=project)


def compose_up(compose_file: Path, project: str, services: Sequence[str] | None = None, *, force_recreate: bool = False) -> None:
    """Create and start the project's containers (never builds, never pulls)."""
    c = _project(compose_file, project)
    _call(f"starting {project}", c.compose.up, services=list(services) if services else None, detach=True,
          no_build=True, pull="never", remove_orphans=True, force_recreate=force_recreate, quiet=True)


def compose_down(compose_file: Path, project: str, *, volumes: bool) -> None:
    c = _project(compose_file, project)
    _call(f"stopping {project}", c.compose.down, volumes=volumes, remove_orphans=True, timeout=20, quiet=True)


def compose_restart(compose_file: Path, project: str, services: Sequence[str] | None) -> None:
    c = _project(compose_file, project)
    _call(f"restarting {', '.join(services or ['all services'])}", c.compose.restart, services=list(services) if services else None, timeout=20)


@dataclass(frozen=True)
class ContainerInfo:
    id: str
    name: str
    service: str
    cluster: str
    profile: str
    state: str          # running, exited, ...
    exit_code: int
    image: str
    started_at: str
    ports: tuple[tuple[str, int, int], ...]  # (bind, host, container)


def containers(cluster: str | None = None, *, all: bool = True) -> list[ContainerInfo]:
    """devenv's containers, of one cluster or of all."""
    filters: list[tuple[str, str]] = [("label", f"{LABEL}=true")]
    if cluster:
        filters.append(("label", f"devenv.cluster={cluster}"))
    found = _call("listing containers", client().container.list, all=all, filters=filters)
    out = []
    for c in found:
        lab = c.config.labels or {}
        ports: list[tuple[str, int, int]] = []
        for key, binds in (c.network_settings.ports or {}).items():
            for b in binds or []:
                ports.append((b.get("HostIp", ""), int(b.get("HostPort", 0)), int(key.split("/")[0])))
        out.append(ContainerInfo(
            c.id, c.name, lab.get("devenv.service", ""), lab.get("devenv.cluster", ""), lab.get("devenv.profile", ""),
            str(c.state.status), int(c.state.exit_code or 0), str(c.config.image), str(c.state.started_at), tuple(ports),
        ))
    return out


def exec_in(container: str, command: Sequence[str], *, user: str | None = None, envs: Mapping[str, str] | None = None) -> str:
    """Run a command in a running container and return its output (error if it fails)."""
    return str(_call(f"running {' '.join(command[:3])} in {container}", client().container.execute, container, list(command),
                     user=user, envs=dict(envs or {})) or "")


def exec_interactive(container: str, command: Sequence[str], *, tty: bool, envs: Mapping[str, str] | None = None) -> int:
    """Attach the terminal to a command in a container; returns its exit code."""
    import subprocess

    env_args = [a for k, v in (envs or {}).items() for a in ("-e", f"{k}={v}")]
    args = [*client().client_config.docker_cmd, "exec", "-i", *(["-t"] if tty else []), *env_args, container, *command]
    return subprocess.call(args)


def logs(container: str, *, tail: int | None = None) -> str:
    return str(_call(f"reading the logs of {container}", client().container.logs, container, tail=tail, timestamps=False) or "")


def follow_logs(containers_: Sequence[str]) -> int:
    """Stream the logs of containers until interrupted."""
    import subprocess

    procs = [subprocess.Popen([*client().client_config.docker_cmd, "logs", "-f", "--tail", "50", c]) for c in containers_]
    try:
        return max(p.wait() for p in procs)
    finally:
        for p in procs:
            p.terminate()


def inspect_json(container: str) -> str:
    import json

    c = _call(f"inspecting {container}", client().container.inspect, container)
    return json.dumps(c.model_dump(mode="json") if hasattr(c, "model_dump") else str(c), indent=1, default=str)


def volumes(label_filters: Sequence[str]) -> list[tuple[str, dict[str, str]]]:
    found = _call("listing volumes", client().volume.list, filters=[("label", f) for f in label_filters])
    return [(v.name, dict(v.labels or {})) for v in found]


def networks(label_filters: Sequence[str]) -> list[tuple[str, dict[str, str]]]:
    found = _call("listing networks", client().network.list, filters=[("label", f) for f in label_filters])
    return [(n.name, dict(n.labels or {})) for n in found]


def remove(containers_: Sequence[str] = (), volumes_: Sequence[str] = (), networks_: Sequence[str] = ()) -> None:
    if containers_:
        _call("removing containers", client().container.remove, list(containers_), force=True, volumes=False)
    if volumes_:
        _call("removing volumes", client().volume.remove, list(volumes_))
    if networks_:
        _call("removing networks", client().network.remove, list(networks_))


# --- seed ----------------------------------------------------------------------

def copy_to(container: str, source: Path, dest: str) -> None:
    """Copy a host file or directory into a running container (`docker cp`)."""
    _call(f"copying {source.name} into {container}", client().copy, str(source), (container, dest))
