"""Doctor checks of the profile itself and of the cache it needs for `--offline`."""

from __future__ import annotations

from devenv.doctor.model import Context, Finding, SafeFix, check, fail, ok, skip, warn


@check("profile.valid", "the profile and the user config are valid")
def profile_valid(ctx: Context) -> Finding:
    if ctx.profile_error is not None:
        e = ctx.profile_error
        return fail(e.message, found="; ".join(e.details[:3]) + (f" (+{len(e.details) - 3} more)" if len(e.details) > 3 else ""),
                    fix=(e.hint or "") + "; `devenv profile validate` lists every problem")
    p = ctx.profile
    return ok(f"profile {p.name!r} is valid ({p.path})", found=" <- ".join(p.chain))


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


@check("cache.runnable-offline", "this machine can run the profile with no network: its images are here and its cache is complete")
def cache_runnable_offline(ctx: Context) -> Finding:
    """After `devenv bundle import` (or a build and fetch): the profile's images by tag, every locked artifact, the generator."""
    from devenv import artifacts, images, lock, sources
    from devenv.seed import tpch

    p = ctx.profile
    lock_file = lock.lock_path(p.path) if p.path else None
    if lock_file is None or not ctx.probes.is_file(str(lock_file)):
        return skip(f"profile {p.name!r} has no lock file, so nothing pins what an offline machine needs")
    info = ctx.engine()
    tags = [pl.tag for pl in images.plan(p, lock.read(lock_file), images.CLUSTER_IMAGES,
                                         sources.ca_bundle_text(sources.ca_files(ctx.user_config)))]
    here = {t for i in ctx.images() for t in i.tags}
    absent = [t for t in tags if t not in here]
    total, gone = ctx.probes.cache_missing(str(lock_file))
    wheel = tpch.wheel_for(info.architecture or "x86_64")
    if not ctx.probes.is_file(str(artifacts.cached_path(wheel))):
        gone = [*gone, wheel.coords]
    required = f"{len(tags)} images ({', '.join(tags)}), {total} locked artifacts and {wheel.filename}"
    found = f"{len(tags) - len(absent)} of {len(tags)} images, {total + 1 - len(gone)} of {total + 1} files"
    if absent or gone:
        missing = [*(f"image {t}" for t in absent), *gone]
        shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        return warn(f"profile {p.name!r} cannot run offline here: {len(missing)} missing ({shown})", found=found, required=required,
                    fix="devenv bundle import FILE (a bundle from `devenv bundle export` on a machine that has them), "
                        "or devenv build and devenv fetch where the network answers")
    return ok(f"profile {p.name!r} can run with no network: its {len(tags)} images are here, its {total} locked artifacts "
              f"and the TPC-H generator are cached", found=found, required=required)
