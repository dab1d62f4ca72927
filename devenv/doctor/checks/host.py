"""Doctor checks of the host: disk, architecture (emulation), the ports the profile publishes, Windows."""

from __future__ import annotations

from devenv import compat
from devenv import labels
from devenv.doctor.model import WAITING_TIMEOUT, Context, Finding, Skip, check, fail, ok, skip, warn

DISK_DOCKER = (5, 15)      # GB: fail below the first, warn below the second
DISK_CACHE = (2, 5)
GB = 1024**3


def gb(n_bytes: float) -> str:
    return f"{n_bytes / GB:.1f} GB"



def _data_root_is_local(ctx: Context) -> bool:
    host = ctx.probes.env().get("DOCKER_HOST", "")
    if host and not host.startswith(("unix://", "npipe://")):
        return False
    details = ctx.engine_details()
    return ctx.probes.system() == "Linux" and "docker desktop" not in details.operating_system.lower()


@check("host.disk", "free disk at Docker's data root and devenv's cache", timeout=WAITING_TIMEOUT)
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


@check("host.arch", "architecture of host, engine and images (emulation)", timeout=WAITING_TIMEOUT)
def host_arch(ctx: Context) -> Finding:
    info = ctx.engine()
    host, engine = compat.norm_arch(ctx.probes.machine()), compat.norm_arch(info.architecture)
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
        if img.architecture and compat.norm_arch(img.architecture) != engine:
            problems.append(f"{ref} is {compat.norm_arch(img.architecture)} on a {engine} engine: it runs under emulation (QEMU), several times slower, and JVMs crash under it")
    found = f"host {host}, engine {engine}, {checked} local image{'s' if checked != 1 else ''} checked"
    if problems:
        return warn("; ".join(problems), found=found, required=f"{engine} images on a {engine} engine",
                    fix="remove the emulated images (docker image rm REF) and build again with `devenv build --pull`")
    return ok(f"{host} host, {engine} engine; {checked} local image{'s' if checked != 1 else ''} checked, none emulated", found=found, required="native images")


@check("ports.free", "every port the profile publishes is free", timeout=WAITING_TIMEOUT)
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


