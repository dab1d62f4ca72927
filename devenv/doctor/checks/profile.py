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
