"""Doctor checks of the profile, the Docker engine, the host, its ports, Windows and the cache."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from devenv.doctor import Context, Finding, SafeFix, Skip, check, fail, ok, skip, warn
from devenv import labels
from devenv.errors import DevenvError

MIN_ENGINE = (20, 10)
MIN_COMPOSE = (2, 17)      # `up --wait` with `--wait-timeout`
MIN_BUILDX = (0, 10)
MIN_CPUS = 2
DISK_DOCKER = (5, 15)      # GB: fail below the first, warn below the second
DISK_CACHE = (2, 5)
GB = 1024**3


def version_tuple(text: str | None) -> tuple[int, ...] | None:
    """The first dotted version in `text`: 'Docker Compose version v2.26.1-4' -> (2, 26, 1)."""
    m = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", text or "")
    return tuple(int(g) for g in m.groups() if g is not None) if m else None


def version_text(text: str | None) -> str:
    m = re.search(r"\d+\.\d+(?:\.\d+)?", text or "")
    return m.group(0) if m else ""


def dotted(v: tuple[int, ...]) -> str:
    return ".".join(map(str, v))


def gb(n_bytes: float) -> str:
    return f"{n_bytes / GB:.1f} GB"


def norm_arch(a: str) -> str:
    a = a.lower()
    return {"x86_64": "amd64", "x64": "amd64", "aarch64": "arm64", "arm64/v8": "arm64"}.get(a, a)


@check("profile.valid", "the profile and the user config are valid")
def profile_valid(ctx: Context) -> Finding:
    if ctx.profile_error is not None:
        e = ctx.profile_error
        return fail(e.message, found="; ".join(e.details[:3]) + (f" (+{len(e.details) - 3} more)" if len(e.details) > 3 else ""),
                    fix=(e.hint or "") + "; `devenv profile validate` lists every problem")
    p = ctx.profile
    return ok(f"profile {p.name!r} is valid ({p.path})", found=" <- ".join(p.chain))


@check("engine.reachable", "the Docker engine answers")
def engine_reachable(ctx: Context) -> Finding:
    host = ctx.probes.env().get("DOCKER_HOST")
    via = f"DOCKER_HOST={host}" if host else "DOCKER_HOST unset"
    try:
        info = ctx.once("engine_info", ctx.probes.engine_info)
    except DevenvError as e:
        return fail(e.message, found=f"no answer ({via})", required="a running Docker engine", fix=e.hint or "")
    return ok(f"Docker {info.server_version} answers through context {info.context!r} ({via})",
              found=f"Docker {info.server_version}, context {info.context!r}", required="a running Docker engine")


@check("engine.versions", "Engine, Compose v2 and buildx versions")
def engine_versions(ctx: Context) -> Finding:
    from devenv.doctor import parallel

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


@check("engine.resources", "memory and CPUs available to Docker")
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


def _data_root_is_local(ctx: Context) -> bool:
    host = ctx.probes.env().get("DOCKER_HOST", "")
    if host and not host.startswith(("unix://", "npipe://")):
        return False
    details = ctx.engine_details()
    return ctx.probes.system() == "Linux" and "docker desktop" not in details.operating_system.lower()


@check("host.disk", "free disk at Docker's data root and devenv's cache")
def host_disk(ctx: Context) -> Finding:
    info = ctx.engine()
    states, lines, found = [], [], []
    places = [("devenv's cache", str(ctx.paths.cache), DISK_CACHE, "free space there, or move the cache (DEVENV_HOME)")]
    if _data_root_is_local(ctx):
        places.insert(0, ("Docker's data root", info.root_dir, DISK_DOCKER, "free space there, or `docker system prune` unused images and build cache"))
    else:
        lines.append(f"Docker's data root {info.root_dir} is inside the engine's VM or remote host: not measured here")
    for what, path, (low, enough), fix in places:
        free = ctx.probes.disk_free(path)
        if free is None:
            lines.append(f"{what} {path}: not on this machine")
            continue
        found.append(f"{what}: {gb(free)} free")
        if free < low * GB:
            states.append(("fail", f"{what} ({path}) has {gb(free)} free; devenv needs {enough} GB", fix))
        elif free < enough * GB:
            states.append(("warn", f"{what} ({path}) has {gb(free)} free; images and data grow to about {enough} GB", fix))
        else:
            lines.append(f"{what} ({path}) has {gb(free)} free")
    required = f"{DISK_DOCKER[1]} GB at Docker's data root, {DISK_CACHE[1]} GB for the cache"
    bad = [s for s in states if s[0] == "fail"] or states
    if bad:
        return Finding(bad[0][0], "; ".join(s[1] for s in states), found=", ".join(found), required=required, fix="; ".join(dict.fromkeys(s[2] for s in states)))
    return ok("; ".join(lines), found=", ".join(found), required=required)


@check("host.arch", "architecture of host, engine and images (emulation)")
def host_arch(ctx: Context) -> Finding:
    info = ctx.engine()
    host, engine = norm_arch(ctx.probes.machine()), norm_arch(info.architecture)
    problems = []
    if host != engine:
        problems.append(f"the engine runs {engine} on this {host} machine: every container is emulated")
    refs = []
    try:
        images = ctx.profile.images
        refs += [images[k] for k in ("base", "db_base") if images.get(k)]
    except Skip:
        pass
    refs += [i.tags[0] for i in ctx.images() if i.tags and i.labels.get(labels.MANAGED) == "true"]
    checked = 0
    for ref in dict.fromkeys(refs):
        img = ctx.image(ref)
        if img is None:
            continue
        checked += 1
        if img.architecture and norm_arch(img.architecture) != engine:
            problems.append(f"{ref} is {norm_arch(img.architecture)} on a {engine} engine: it runs under emulation (QEMU), several times slower, and JVMs crash under it")
    found = f"host {host}, engine {engine}, {checked} local image{'s' if checked != 1 else ''} checked"
    if problems:
        return warn("; ".join(problems), found=found, required=f"{engine} images on a {engine} engine",
                    fix="remove the emulated images (docker image rm REF) and build again with `devenv build --pull`")
    return ok(f"{host} host, {engine} engine; {checked} local image{'s' if checked != 1 else ''} checked, none emulated", found=found, required="native images")


@check("ports.free", "every port the profile publishes is free")
def ports_free(ctx: Context) -> Finding:
    from devenv import services

    ports = services.ports(ctx.profile)
    busy_devenv, busy_other = [], []
    published: dict[int, tuple[str, str]] | None = None
    for p in ports:
        why = ctx.probes.bind_port(p.bind, p.host)
        if why is None:
            continue
        if published is None:
            try:
                published = {port: (c.labels.get(labels.CLUSTER, "?"), c.name) for c in ctx.containers() for port in c.host_ports}
            except Skip:
                published = {}
        what = f"{p.host} ({p.service} {p.name})"
        if p.host in published:
            cluster, name = published[p.host]
            busy_devenv.append(f"{what} is published by devenv cluster {cluster!r} (container {name})")
        else:
            owner = ctx.probes.port_owner(p.host)
            busy_other.append(f"{what} is in use by {owner}" if owner else f"{what} is in use (the OS does not say by whom: {why})")
    bind = ports[0].bind if ports else "127.0.0.1"
    required = f"{len(ports)} free ports on {bind}"
    if busy_other:
        return fail("; ".join(busy_other + busy_devenv), found=f"{len(busy_other) + len(busy_devenv)} busy", required=required,
                    fix="stop the program holding the port, or set [network] port_base in the profile to move every port (e.g. port_base = 20000)")
    if busy_devenv:
        return warn("; ".join(busy_devenv), found=f"{len(busy_devenv)} held by devenv", required=required,
                    fix="if that is this cluster, nothing to do; otherwise `devenv down` it, or set [network] port_base in this profile")
    return ok(f"all {len(ports)} ports are free on {bind} ({', '.join(str(p.host) for p in ports)})", found=f"{len(ports)} free", required=required)


@check("engine.test-container", "a test container starts, mounts a directory and reaches the sources", timeout=2.9)
def test_container(ctx: Context) -> Finding:
    from devenv.doctor_net import proxies, sources

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
        from urllib.parse import urlsplit

        u = urlsplit(proxy)
        targets.append(("proxy", u.hostname or "", u.port or 3128))
    else:
        from urllib.parse import urlsplit

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
        import shutil

        shutil.rmtree(host_dir, ignore_errors=True)
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


@check("windows.wsl2", "Docker Desktop uses the WSL 2 backend")
def windows_wsl2(ctx: Context) -> Finding:
    if ctx.probes.system() != "Windows":
        return skip("not Windows")
    info, details = ctx.engine(), ctx.engine_details()
    if info.os_type.lower() == "windows":
        return fail("the engine runs Windows containers; the cluster's images are Linux images", found="Windows containers",
                    required="Linux containers on WSL 2", fix="Docker Desktop: right-click the tray icon > Switch to Linux containers")
    if "wsl2" in details.kernel_version.lower():
        return ok(f"Docker Desktop runs on WSL 2 (kernel {details.kernel_version})", found=details.kernel_version, required="WSL 2")
    return fail(f"Docker Desktop does not run on WSL 2 (kernel {details.kernel_version}): Hyper-V file sharing is slow and loses file events",
                found=details.kernel_version, required="WSL 2", fix="Docker Desktop: Settings > General > Use the WSL 2 based engine")


@check("windows.autocrlf", "line endings of the image scripts (git core.autocrlf)")
def windows_autocrlf(ctx: Context) -> Finding:
    from devenv.paths import resource_dir

    root = resource_dir("images")
    bad = ctx.probes.crlf_scripts(root)
    fix = "run `git config --global core.autocrlf input`, then clone devenv again"
    if bad:
        return fail(f"{len(bad)} image script{'s' if len(bad) != 1 else ''} have Windows line endings (CRLF): {', '.join(bad)}; "
                    "in a Linux container their #! line fails ('bad interpreter')", found="CRLF", required="LF line endings", fix=fix)
    if ctx.probes.system() != "Windows":
        return skip("not Windows; the image scripts have LF line endings")
    done = ctx.probes.command(["git", "-C", str(root), "config", "--get", "core.autocrlf"])
    value = done.output.strip() if done and done.rc == 0 else "unset"
    if value.lower() == "true":
        return warn("git core.autocrlf is true: files you check out or add later get CRLF line endings and break in containers",
                    found=f"core.autocrlf={value}", required="core.autocrlf=input or false", fix=fix)
    return ok(f"the image scripts have LF line endings (core.autocrlf={value})", found=f"core.autocrlf={value}", required="LF line endings")


@check("cache.offline", "devenv's cache exists and holds what --offline needs")
def cache_offline(ctx: Context) -> Finding:
    from devenv import artifacts, lock

    dirs = [str(artifacts.maven_dir()), str(artifacts.pypi_dir())]
    absent = [d for d in dirs if not ctx.probes.is_dir(d)]
    p = ctx.profile
    lock_file = lock.lock_path(p.path) if p.path else None
    has_lock = lock_file is not None and ctx.probes.is_file(str(lock_file))
    if absent:
        def create() -> None:
            for d in absent:
                ctx.probes.mkdir(d)

        return warn(f"devenv's cache directories do not exist yet: {', '.join(absent)}", found="missing",
                    required="the cache directories, filled by devenv fetch",
                    fix="devenv doctor --fix creates them; devenv fetch then fills them" if has_lock else "devenv doctor --fix creates them",
                    safe_fix=SafeFix(f"create the cache directories {', '.join(absent)}", create))
    if not has_lock:
        return skip(f"profile {p.name!r} has no lock file ({lock_file}); `devenv lock` writes one, then `devenv fetch` fills the cache for --offline")
    total, gone = ctx.probes.cache_missing(str(lock_file))
    required = f"all {total} artifacts of {lock_file.name}"
    if gone:
        shown = ", ".join(gone[:3]) + (f" and {len(gone) - 3} more" if len(gone) > 3 else "")
        return warn(f"{len(gone)} of {total} locked artifacts are not in the cache ({shown}): --offline would stop before building",
                    found=f"{total - len(gone)} of {total} cached", required=required,
                    fix="devenv fetch (where the repositories answer), or copy a filled cache directory here")
    return ok(f"all {total} locked artifacts of profile {p.name!r} are in the cache (sizes match; checksums are checked when used)",
              found=f"{total} of {total} cached", required=required)
