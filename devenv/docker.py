"""The one module that talks to the container engine, through python-on-whales.

Everything else calls these functions; engine errors become DevenvErrors that
say what to do. Unit tests replace this module's functions; integration tests
use the real engine.
"""

from __future__ import annotations

import functools
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Mapping, Sequence

from devenv import labels as lb
from devenv import redact
from devenv.engine_types import ContainerInfo, EngineInfo, ImageInfo, ResourceInfo, container_from_inspect
from devenv.errors import DevenvError

if TYPE_CHECKING:
    from datetime import datetime

    from python_on_whales import DockerClient

log = logging.getLogger("devenv.docker")
redact.install(log)

LABEL = lb.MANAGED
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


# Engine errors that say nothing about the request: the same call usually succeeds a moment later.
TRANSIENT = ("connection reset by peer", "read init-p", "i/o timeout", "tls handshake timeout", "502 bad gateway",
             "503 service unavailable", "error response from daemon: 502", "error response from daemon: 503")
RETRIES = 3
BACKOFF = 0.5  # seconds, doubled after each retry
_sleep = time.sleep


def _transient(e: Exception) -> bool:
    text = f"{getattr(e, 'stderr', '') or ''} {getattr(e, 'stdout', '') or ''}".lower()
    return any(t in text for t in TRANSIENT)


def _call(doing: str, fn, *args: Any, idempotent: bool = False, **kwargs: Any) -> Any:
    """Call python-on-whales; engine errors become DevenvErrors. An `idempotent` call (a read, a read-only probe)
    is retried a few times, with backoff, when the engine's error is a known transient one."""
    from python_on_whales.client_config import ClientNotFoundError
    from python_on_whales.exceptions import DockerException

    log.debug("%s: %s %s", doing, getattr(fn, "__qualname__", fn), kwargs)
    for attempt in range(RETRIES + 1):
        try:
            return fn(*args, **kwargs)
        except (DockerException, ClientNotFoundError) as e:
            log.debug("engine error: %s", e)
            if idempotent and attempt < RETRIES and _transient(e):
                log.debug("transient engine error; retry %d of %d", attempt + 1, RETRIES)
                _sleep(BACKOFF * 2 ** attempt)
                continue
            err = _translate(e, doing)
            if idempotent and attempt and _transient(e):
                err.message += f" (a transient engine error: retried {attempt} times)"
                err.hint = "the engine kept failing the same way; check it with `docker info` and `devenv doctor`, then run the command again"
            raise err from None
    raise AssertionError("unreachable")


# --- engine --------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def engine_info() -> EngineInfo:
    """The engine's version, resources, kernel, OS and proxy settings: one `docker info`, cached (errors are not)."""
    info = _call("asking the Docker engine for its info", client().system.info, idempotent=True)
    ctx = "default"
    try:
        ctx = client().context.inspect().name or "default"  # the current one: one call
    except Exception:  # contexts are informational only
        pass
    text = lambda v: str(v or "")  # noqa: E731
    return EngineInfo(
        server_version=text(info.server_version), memory_bytes=int(info.mem_total or 0), cpus=int(info.n_cpu or 0),
        os_type=text(info.os_type), architecture=text(info.architecture), root_dir=text(info.docker_root_dir),
        context=ctx, kernel_version=text(info.kernel_version), operating_system=text(info.operating_system),
        http_proxy=text(info.http_proxy), https_proxy=text(info.https_proxy), no_proxy=text(info.no_proxy),
    )


def compose_version() -> str | None:
    try:
        return str(client().compose.version())
    except Exception:
        return None


def buildx_version() -> str | None:
    """`docker buildx version` as printed, or None without buildx."""
    try:
        return str(client().buildx.version())
    except Exception:
        return None


# --- devenv's resources: one listing ---------------------------------------------
# Each kind is listed with `ls -q` and read with ONE bulk `inspect` (python-on-whales
# objects inspect again on nearly every attribute read). Plain data leaves this module.

def _inspect(kind: str, list_args: Sequence[str]) -> list[dict[str, Any]]:
    """`docker KIND ls ... -q` then one `docker KIND inspect` of them all: two calls however many there are."""
    import json

    from python_on_whales.exceptions import DockerException
    from python_on_whales.utils import run as cli

    cmd = list(client().client_config.docker_cmd)
    ids = _call(f"listing {kind}s", cli, [*cmd, kind, "ls", *list_args], idempotent=True).split()
    if not ids:
        return []
    log.debug("inspecting %s %ss", len(ids), kind)
    try:
        text = cli([*cmd, kind, "inspect", *dict.fromkeys(ids)])
    except DockerException as e:
        # one engine has many users: what another removed between `ls` and `inspect` is gone; the rest is printed
        if "no such" not in (e.stderr or "").lower() or not (e.stdout or "").strip():
            raise _translate(e, f"inspecting {kind}s") from None
        log.debug("gone since listed: %s", (e.stderr or "").strip())
        text = e.stdout
    return json.loads(text or "[]")


def _filters(cluster: str | None) -> list[str]:
    flt = ["--filter", f"label={LABEL}=true"]
    return flt + (["--filter", f"label={lb.CLUSTER}={cluster}"] if cluster else [])


def containers(cluster: str | None = None, *, all: bool = True) -> list[ContainerInfo]:
    """devenv's containers, of one cluster or of all; with `all`, stopped ones too."""
    found = _inspect("container", [*(["-a"] if all else []), "-q", "--no-trunc", *_filters(cluster)])
    return [container_from_inspect(c) for c in found]


def volumes(cluster: str | None = None) -> list[ResourceInfo]:
    """devenv's volumes, of one cluster or of all."""
    return [ResourceInfo("volume", str(v["Name"]), dict(v.get("Labels") or {})) for v in _inspect("volume", ["-q", *_filters(cluster)])]


def networks(cluster: str | None = None) -> list[ResourceInfo]:
    """devenv's networks, of one cluster or of all."""
    found = _inspect("network", ["-q", "--no-trunc", *_filters(cluster)])
    return [ResourceInfo("network", str(n["Name"]), dict(n.get("Labels") or {})) for n in found]


def cluster_resources(cluster: str) -> tuple[list[ContainerInfo], list[ResourceInfo], list[ResourceInfo]]:
    """The cluster's containers, volumes and networks: the three listings at once (each waits on the engine)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=3) as pool:
        found = pool.submit(containers, cluster), pool.submit(volumes, cluster), pool.submit(networks, cluster)
        return found[0].result(), found[1].result(), found[2].result()


def network_gateway(name: str) -> str | None:
    """A network's IPv4 gateway: this host's address on that network (None if the network does not exist). One engine call."""
    def inspect_or_none(n: str) -> Any:
        from python_on_whales.exceptions import NoSuchNetwork

        try:
            return client().network.inspect(n)
        except NoSuchNetwork:
            return None

    net = _call(f"inspecting network {name}", inspect_or_none, name, idempotent=True)
    return next((str(c["Gateway"]) for c in ((net.ipam.config if net else None) or [])
                 if c.get("Gateway") and ":" not in str(c["Gateway"])), None)


def images(*, managed: bool = True) -> list[ImageInfo]:
    """devenv's images (labelled), or with `managed=False` every image on the engine."""
    found = _inspect("image", ["-q", "--no-trunc", *(["--filter", f"label={LABEL}=true"] if managed else [])])
    return [ImageInfo(str(i["Id"]), tuple(i.get("RepoTags") or ()), int(i.get("Size") or 0),
                      dict((i.get("Config") or {}).get("Labels") or {}), str(i.get("Created", "")), str(i.get("Architecture", "")))
            for i in found]


def image_exists(ref: str) -> bool:
    return bool(_call(f"looking up image {ref}", client().image.exists, ref, idempotent=True))


def build(context: Path, tag: str, *, build_args: Mapping[str, str], labels: Mapping[str, str],
          no_cache: bool = False, pull: bool = False, platform: str | None = None) -> Iterator[str]:
    """Build `context` into `tag`, yielding the build's log lines. Never pulls unless `pull`.

    A build argument whose value carries credentials (a proxy `user:pass@`) goes as a bare
    `--build-arg NAME`, which the Docker CLI fills from its own environment: the secret is in
    no command line (`ps` shows every one) and no log.
    """
    from python_on_whales.components.buildx.cli_wrapper import stream_buildx_logs
    from python_on_whales.exceptions import DockerException

    secret = {k: v for k, v in build_args.items() if redact.redact(v) != v}
    args = [a for k, v in build_args.items() for a in ("--build-arg", k if k in secret else f"{k}={v}")]
    args += [a for k, v in labels.items() for a in ("--label", f"{k}={v}")] + ["--no-cache"] * no_cache + ["--pull"] * pull
    args += ["--platform", platform] if platform else []
    cmd = [*client().client_config.docker_cmd, "buildx", "build", "--progress", "plain", "--load", "--tag", tag, *args, str(context)]
    log.debug("build %s: %s", tag, redact.redact(" ".join(cmd[1:])))
    try:
        for line in stream_buildx_logs(cmd, env=secret or None):
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


def compose_stop(compose_file: Path, project: str) -> None:
    """Stop the project's containers, keeping them (and their volumes) for a later `compose_up`."""
    c = _project(compose_file, project)
    _call(f"stopping {project}", c.compose.stop, timeout=20)


def compose_restart(compose_file: Path, project: str, services: Sequence[str] | None) -> None:
    c = _project(compose_file, project)
    _call(f"restarting {', '.join(services or ['all services'])}", c.compose.restart, services=list(services) if services else None, timeout=20)


def exec_in(container: str, command: Sequence[str], *, user: str | None = None, envs: Mapping[str, str] | None = None,
            idempotent: bool = False) -> str:
    """Run a command in a running container and return its output (error if it fails).

    `idempotent`: the command only reads (a probe), so a transient engine error is retried."""
    return str(_call(f"running {' '.join(command[:3])} in {container}", client().container.execute, container, list(command),
                     user=user, envs=dict(envs or {}), idempotent=idempotent) or "")


def _attached(argvs: Sequence[Sequence[str]]) -> int:
    """Run `docker ARGS...` commands attached to this terminal (the one place a TTY needs a raw process)."""
    import subprocess

    cmd = list(client().client_config.docker_cmd)
    procs = [subprocess.Popen([*cmd, *a]) for a in argvs]
    try:
        return max((p.wait() for p in procs), default=0)
    finally:
        for p in procs:
            p.terminate()


def exec_interactive(container: str, command: Sequence[str], *, tty: bool, envs: Mapping[str, str] | None = None) -> int:
    """Attach the terminal to a command in a container (with extra environment); returns its exit code."""
    env_args = [a for k, v in (envs or {}).items() for a in ("-e", f"{k}={v}")]
    return _attached([["exec", "-i", *(["-t"] if tty else []), *env_args, container, *command]])


def logs(container: str, *, tail: int | None = None, since: "datetime | None" = None) -> str:
    """A container's log (its last `tail` lines; only the lines written at or after `since`)."""
    return str(_call(f"reading the logs of {container}", client().container.logs, container, tail=tail, since=since, timestamps=False,
                     idempotent=True) or "")


def follow_logs(containers_: Sequence[str]) -> int:
    """Stream the logs of containers until interrupted."""
    return _attached([["logs", "-f", "--tail", "50", c] for c in containers_])


def inspect_json(container: str) -> str:
    import json

    c = _call(f"inspecting {container}", client().container.inspect, container, idempotent=True)
    return json.dumps(c.model_dump(mode="json") if hasattr(c, "model_dump") else str(c), indent=1, default=str)


def remove(containers_: Sequence[str] = (), volumes_: Sequence[str] = (), networks_: Sequence[str] = ()) -> None:
    if containers_:
        _call("removing containers", client().container.remove, list(containers_), force=True, volumes=False)
    if volumes_:
        _call("removing volumes", client().volume.remove, list(volumes_))
    if networks_:
        _call("removing networks", client().network.remove, list(networks_))


def copy_to(container: str, source: Path, dest: str) -> None:
    """Copy a host file or directory into a running container (`docker cp`)."""
    _call(f"copying {source.name} into {container}", client().copy, str(source), (container, dest))


# --- image archives (bundles) -------------------------------------------------

def save_images(refs: Sequence[str], dest: Path) -> None:
    """`docker save` the images `refs` into one tar file `dest` (layers they share are written once)."""
    _call(f"saving {len(refs)} images", client().image.save, list(refs), output=dest)


def load_images(source: Path) -> list[str]:
    """`docker load` a tar file written by `docker save`; returns the image names it loaded."""
    return [str(t) for t in _call(f"loading images from {source.name}", client().image.load, source, quiet=True) or []]
