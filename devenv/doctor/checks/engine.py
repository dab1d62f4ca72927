"""Doctor checks of the Docker engine: it answers, its versions, its resources, and a test container."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from devenv import labels
from devenv.confine import safe_rmtree
from devenv.doctor.checks.host import gb
from devenv.doctor.checks.net import proxies, sources
from devenv.doctor.model import WAITING_TIMEOUT, Context, Finding, Skip, check, fail, ok, parallel, skip, warn
from devenv.errors import DevenvError

MIN_ENGINE = (20, 10)
MIN_COMPOSE = (2, 17)      # `up --wait` with `--wait-timeout`
MIN_BUILDX = (0, 10)
MIN_CPUS = 2


def version_tuple(text: str | None) -> tuple[int, ...] | None:
    """The first dotted version in `text`: 'Docker Compose version v2.26.1-4' -> (2, 26, 1)."""
    m = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", text or "")
    return tuple(int(g) for g in m.groups() if g is not None) if m else None


def version_text(text: str | None) -> str:
    m = re.search(r"\d+\.\d+(?:\.\d+)?", text or "")
    return m.group(0) if m else ""


def dotted(v: tuple[int, ...]) -> str:
    return ".".join(map(str, v))



@check("engine.reachable", "the Docker engine answers", timeout=WAITING_TIMEOUT)
def engine_reachable(ctx: Context) -> Finding:
    host = ctx.probes.env().get("DOCKER_HOST")
    via = f"DOCKER_HOST={host}" if host else "DOCKER_HOST unset"
    try:
        info = ctx.once("engine_info", ctx.probes.engine_info)
    except DevenvError as e:
        return fail(e.message, found=f"no answer ({via})", required="a running Docker engine", fix=e.hint or "")
    return ok(f"Docker {info.server_version} answers through context {info.context!r} ({via})",
              found=f"Docker {info.server_version}, context {info.context!r}", required="a running Docker engine")


@check("engine.versions", "Engine, Compose v2 and buildx versions", timeout=WAITING_TIMEOUT)
def engine_versions(ctx: Context) -> Finding:
    info, compose, buildx = parallel(ctx.engine, ctx.probes.compose_version, ctx.probes.buildx_version)
    found, problems, fixes = [], [], []
    for name, text, minimum, fix in (
        ("Engine", info.server_version, MIN_ENGINE, "update Docker Engine (Docker Desktop: install the current release)"),
        ("Compose", compose, MIN_COMPOSE, "install the Compose v2 plugin (package docker-compose-plugin; Docker Desktop has it)"),
        ("buildx", buildx, MIN_BUILDX, "install the buildx plugin (package docker-buildx-plugin; Docker Desktop has it)"),
    ):
        v = version_tuple(text)
        if v is None:
            found.append(f"{name} missing")
            problems.append(f"{name} is missing" if not text else f"{name} version unreadable ({text!r})")
            fixes.append(fix)
        else:
            found.append(f"{name} {version_text(text)}")
            if v < minimum:
                problems.append(f"{name} {version_text(text)} is older than {dotted(minimum)}")
                fixes.append(fix)
    required = f"Engine >= {dotted(MIN_ENGINE)}, Compose >= {dotted(MIN_COMPOSE)}, buildx >= {dotted(MIN_BUILDX)}"
    if problems:
        return fail("; ".join(problems), found=", ".join(found), required=required, fix="; ".join(fixes))
    return ok(", ".join(found), found=", ".join(found), required=required)


@check("engine.resources", "memory and CPUs available to Docker", timeout=WAITING_TIMEOUT)
def engine_resources(ctx: Context) -> Finding:
    from devenv.schema import parse_memory

    info = ctx.engine()
    p = ctx.profile
    need_mb = parse_memory(str(p.data["resources"]["total"])) or 0
    need = need_mb * 1024 * 1024
    have = info.memory_bytes
    found = f"{gb(have)}, {info.cpus} CPU{'s' if info.cpus != 1 else ''}"
    required = f"{gb(need)} (resources.total), {MIN_CPUS} CPUs"
    if have < need:
        return fail(f"Docker has {gb(have)}, profile {p.name!r} needs {gb(need)}", found=found, required=required,
                    fix=f"give Docker at least {gb(need)} (Docker Desktop: Settings > Resources > Memory), "
                        "or lower [resources] total and the services' memory in the profile")
    if info.cpus < MIN_CPUS:
        return warn(f"Docker has {info.cpus} CPU; the cluster's JVMs start slowly and YARN jobs crawl with fewer than {MIN_CPUS}",
                    found=found, required=required, fix=f"give Docker {MIN_CPUS} or more CPUs (Docker Desktop: Settings > Resources > CPUs)")
    return ok(f"Docker has {gb(have)} and {info.cpus} CPUs, profile {p.name!r} needs {gb(need)}", found=found, required=required)


# Measured (issue 18, 2 CPUs): the run ends 2.3-2.7 s after doctor starts with a load average of 6
# (engine answers, image listing, then `docker run` of about 1 s); 2.9 s left no room. 6 s is twice the worst.
TEST_CONTAINER_TIMEOUT = 6.0


@check("engine.test-container", "a test container starts, mounts a directory and reaches the sources", timeout=TEST_CONTAINER_TIMEOUT)
def test_container(ctx: Context) -> Finding:
    ctx.engine()
    candidates = []
    try:
        candidates.append(ctx.profile.images["base"])
    except Skip:
        pass
    candidates += [i.tags[0] for i in ctx.images() if i.tags and i.labels.get(labels.MANAGED) == "true"]
    image = next((r for r in candidates if ctx.image(r) is not None), None)
    if image is None:
        return skip("no image to test with is here yet, and doctor never pulls (devenv build fetches the base image)")
    targets = []
    proxy = proxies(ctx).get("https")
    if proxy:
        u = urlsplit(proxy)
        targets.append(("proxy", u.hostname or "", u.port or 3128))
    else:
        for s in sources(ctx):
            u = urlsplit(s.url)
            if u.hostname:
                targets.append((s.name, u.hostname, u.port or (443 if u.scheme == "https" else 80)))
    host_dir = Path(tempfile.mkdtemp(prefix="doctor-", dir=_ensure(ctx.paths.cache)))
    script = "echo ok > /probe/written && echo mounted\n" + "".join(
        f"if timeout 2 bash -c 'exec 3<>/dev/tcp/{h}/{port}' 2>/dev/null; then echo 'reach {n} yes'; else echo 'reach {n} no'; fi\n"
        for n, h, port in targets)
    try:
        out = ctx.probes.run_container(image, ["sh", "-c", script], volumes=[(str(host_dir), "/probe")])
        written = (host_dir / "written").is_file()
    except DevenvError as e:
        return fail(f"a test container from {image} did not run: {e.message}", found="; ".join(e.details[-2:]),
                    required="containers start and mount a directory", fix=e.hint or "see the debug log for the engine's output")
    finally:
        safe_rmtree(host_dir, ctx.paths.cache)
    if "mounted" not in out or not written:
        return fail(f"a container from {image} started but could not write to a mounted directory ({ctx.paths.cache})",
                    found="mount not writable", required="containers write to bind-mounted directories",
                    fix="Docker Desktop: share that drive or folder (Settings > Resources > File sharing); with SELinux, allow container access to it")
    unreached = [n for n, _, _ in targets if f"reach {n} yes" not in out]
    found = f"{image}: started, mounted" + (f", reached {len(targets) - len(unreached)} of {len(targets)}" if targets else "")
    if unreached:
        return warn(f"a container from {image} started and mounted a directory, but could not reach {', '.join(unreached)}",
                    found=found, required="containers reach the artifact sources",
                    fix="give the engine the proxy your network needs (see net.proxy), or use --offline with a filled cache")
    reached = f", and reached {', '.join(n for n, _, _ in targets)}" if targets else ""
    return ok(f"a container from {image} started and wrote to a mounted directory{reached}", found=found, required="containers start, mount, reach the sources")


def _ensure(p: Path) -> str:
    p.mkdir(parents=True, exist_ok=True)
    return str(p)


