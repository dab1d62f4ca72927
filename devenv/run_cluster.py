"""A cluster owned by one test run: start or reuse it, share it between processes, keep or remove it, reap the dead runs'.

The pytest plugin (`devenv.pytest_plugin`) is the caller; this module holds the
decisions so they are tested without pytest. Ownership: a run that starts a
cluster writes a record (`pytest-runs/<cluster>.json` in this home's state
directory: run id, owner pid, host) before anything starts; it removes the
record when it removes the cluster, or when it keeps it (the cluster is then an
ordinary one, never reaped). A record whose process is gone on this host means
the run was killed: a later run removes that cluster (only this home's, by the
ownership rules `cluster.down` and `cluster_state.leftovers` apply). A cluster
a run attached to (`reuse`) was never its own: it is left as it was.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Mapping

from devenv.errors import DevenvError, UsageError
from devenv.paths import paths

if TYPE_CHECKING:
    from devenv.cluster_info import ClusterInfo
    from devenv.context import Context

log = logging.getLogger("devenv.run_cluster")
KEEP = ("never", "on-failure", "always")
RECORDS = "pytest-runs"


@dataclass(frozen=True)
class RunOptions:
    """The plugin's options, resolved (see `options`)."""

    profile: str | None = None
    name: str | None = None
    reuse: bool = False
    keep: str = "never"
    seed: bool = False
    per_worker: bool = False
    ports: str = "auto"
    wait_timeout: float = 600


def options(*, profile: str | None, name: str | None, reuse: bool | None, keep: str | None, seed: bool = False,
            per_worker: bool = False, ports: str = "auto", wait_timeout: float = 600,
            environ: Mapping[str, str] = os.environ) -> RunOptions:
    """Defaults: reuse unless CI=true; keep a reusable cluster for the next run, else remove it (`never`)."""
    in_ci = environ.get("CI", "").lower() == "true"
    reuse = (not in_ci) if reuse is None else reuse
    if keep is not None and keep not in KEEP:
        raise UsageError(f"--devenv-keep={keep}: choose one of {', '.join(KEEP)}")
    if per_worker and reuse and name:
        raise UsageError("--devenv-per-worker gives each worker its own cluster: it cannot reuse one --devenv-name")
    if per_worker:
        ports = "auto"
    return RunOptions(profile, name, reuse, keep or ("always" if reuse else "never"), seed, per_worker, ports, wait_timeout)


def cluster_name(opts: RunOptions, profile: str, run_id: str, worker: str | None) -> str:
    """--devenv-name, else `pytest-<profile>` when reusing (the next run finds it), else one name per run."""
    base = opts.name or (f"pytest-{profile}" if opts.reuse else f"pytest-{profile}-{run_id[:6]}")
    return f"{base}-{worker}" if opts.per_worker and worker else base


@dataclass(frozen=True)
class Decision:
    action: str                       # start, attach or refuse
    differences: tuple[str, ...] = ()


def decide(state: Mapping[str, Any], *, reuse: bool, profile: str, profile_path: str, lock_digest: str) -> Decision:
    """Start a new cluster, attach to the existing one (`reuse`, same profile and lock), or refuse saying why."""
    if not state:
        return Decision("start")
    if not reuse:
        return Decision("refuse", (f"cluster {state.get('cluster')!r} already exists and reuse is off (CI=true turns it off)",))
    diffs = []
    if state.get("profile") != profile or Path(str(state.get("profile_path"))).resolve() != Path(profile_path).resolve():
        diffs.append(f"profile: the cluster runs {state.get('profile')!r} ({state.get('profile_path')}), this run asks for {profile!r} ({profile_path})")
    have = str(state.get("lock_digest") or "")
    if have != lock_digest:
        diffs.append(f"lock digest: the cluster runs {have[:12] or 'unknown (started by an older devenv)'}, this run's lock is {lock_digest[:12]}")
    return Decision("refuse", tuple(diffs)) if diffs else Decision("attach")


# --- ownership records and the reaper -----------------------------------------------

def record_file(name: str) -> Path:
    """Where the ownership record of cluster `name` lives (this home's state directory)."""
    return paths().state / RECORDS / f"{name}.json"


def claim(name: str, run_id: str, pid: int) -> None:
    """Record that run `run_id` (process `pid` on this host) owns cluster `name`, before it starts."""
    from devenv import fsutil

    f = record_file(name)
    f.parent.mkdir(parents=True, exist_ok=True)
    fsutil.atomic_write(f, json.dumps({"cluster": name, "run": run_id, "pid": pid, "host": socket.gethostname(),
                                       "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}))


def release(name: str) -> None:
    """Forget the owner: the cluster stays as an ordinary one (kept), or is gone."""
    record_file(name).unlink(missing_ok=True)


def records() -> dict[str, dict[str, Any]]:
    """Every ownership record of this home; unreadable ones count as empty (their owner is unknown)."""
    root = paths().state / RECORDS
    out: dict[str, dict[str, Any]] = {}
    for f in sorted(root.glob("*.json")) if root.is_dir() else []:
        try:
            data = json.loads(f.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}
        out[f.stem] = data if isinstance(data, dict) else {}
    return out


def alive(pid: int) -> bool:
    """Whether process `pid` exists on this machine (never signals it)."""
    if pid <= 0:
        return False
    if sys.platform == "win32":  # os.kill would terminate it there
        import ctypes

        handle = ctypes.windll.kernel32.OpenProcess(0x1000, False, pid)  # type: ignore[attr-defined]  # QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        ctypes.windll.kernel32.CloseHandle(handle)  # type: ignore[attr-defined]
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def dead_runs(found: Mapping[str, Mapping[str, Any]], *, host: str, is_alive: Callable[[int], bool], this_run: str) -> list[str]:
    """The clusters whose owning run's process is gone: recorded on this host, not this run, pid not alive."""
    out = []
    for name, rec in found.items():
        if rec.get("run") == this_run or rec.get("host") != host:
            continue
        pid = rec.get("pid")
        if isinstance(pid, int) and not is_alive(pid):
            out.append(name)
    return out


def reap(this_run: str) -> list[str]:
    """Remove the clusters of runs that died (Ctrl-C twice, a killed CI job): their containers, volumes, network, state."""
    from devenv import cluster

    gone = dead_runs(records(), host=socket.gethostname(), is_alive=alive, this_run=this_run)
    reaped = []
    for name in gone:
        try:
            if cluster.Cluster(name).dir.exists():
                cluster.down(name, volumes=True)
            else:  # killed before its files were written: whatever the engine has of it (this home's only)
                cluster.remove_resources([r for r in cluster.leftovers() if r.cluster == name])
        except DevenvError as e:  # another process reaping it at the same moment, or a name another home holds now
            log.warning("could not reap cluster %s of a run that is gone: %s", name, e.message)
            continue
        release(name)
        reaped.append(name)
    return reaped


# --- start, attach, finish ------------------------------------------------------------

def load_context(ref: str | None, ui: Any) -> "Context":
    """The profile's Context, checked as `devenv up` checks it: allowed bind, trusted profile (CI=true: DEVENV_TRUST=1)."""
    from devenv import exposure, trust
    from devenv.context import Context

    ctx = Context.load(ref, ui)
    exposure.check_bind(ctx.profile, ctx.user_config)
    trust.ensure(ctx.profile, ui)
    return ctx


def acquire(opts: RunOptions, *, run_id: str, owner_pid: int, worker: str | None, ui: Any) -> tuple["ClusterInfo", bool]:
    """Reap dead runs' clusters, then start (owning it) or attach to the cluster; (its info, whether this run owns it)."""
    from devenv import cluster, seed
    from devenv.cluster_info import describe
    from devenv.services import instances

    ctx = load_context(opts.profile, ui)
    reap(run_id)
    name = cluster_name(opts, ctx.profile.name, run_id, worker)
    lock_digest = ctx.lock_digest()
    d = decide(cluster.Cluster(name).state(), reuse=opts.reuse, profile=ctx.profile.name, profile_path=str(ctx.profile.path),
               lock_digest=lock_digest)
    if d.action == "refuse":
        raise DevenvError(f"cannot use cluster {name!r} for this test run", details=list(d.differences),
                          hint=f"remove it (devenv down --name {name} --volumes), or choose another --devenv-name")
    owned = d.action == "start"
    if owned:
        claim(name, run_id, owner_pid)
    try:
        result = cluster.up(ctx, name, ports_mode=opts.ports, wait_timeout=opts.wait_timeout)
        if opts.seed:
            seed.seed(ctx, name, on_event=lambda kind, data: None)
    except DevenvError:
        if owned:  # a cluster that did not start is kept only for inspection (--devenv-keep on-failure or always)
            finish(name, owned=True, keep=opts.keep, failed=True)
        raise
    info = describe(result.cluster, result.ports, profile=ctx.profile.name, lock_digest=lock_digest,
                    services=[i for i, _ in instances(ctx.profile)])
    return info, owned


def finish(name: str, *, owned: bool, keep: str, failed: bool) -> str:
    """At the end of the run: remove an owned cluster unless kept (`always`, or `on-failure` with a failure); what happened."""
    from devenv import cluster

    if not owned:
        return f"left cluster {name!r} as it was (this run attached to it)"
    if keep == "always" or (keep == "on-failure" and failed):
        release(name)
        return f"kept cluster {name!r}: attach with --devenv-name {name} --devenv-reuse, remove with devenv down --name {name} --volumes"
    cluster.down(name, volumes=True)
    release(name)
    return f"removed cluster {name!r}"


# --- one cluster shared by pytest-xdist workers -----------------------------------------

INFO_FILE = "devenv-cluster.json"


def shared(root: Path, start: Callable[[], tuple["ClusterInfo", bool]], *, wait: float, keep: str = "never") -> "ClusterInfo":
    """The first process to get here starts the cluster and writes `root/INFO_FILE`; the others wait for it and read it.

    The recipe of pytest-xdist's docs (a file lock and an info file in the run's shared temporary directory).
    The record says whether this run owns the cluster and what to keep, for the controller's teardown (`shared_record`).
    """
    from devenv.cluster_info import ClusterInfo

    info_file = root / INFO_FILE
    with _file_lock(root / "devenv-cluster.lock", wait):
        if info_file.is_file():
            data = json.loads(info_file.read_text(encoding="utf-8"))
            if "error" in data:
                raise DevenvError(f"the cluster for this run failed to start in another worker: {data['error']}")
            return ClusterInfo.from_json(data["info"])
        try:
            info, owned = start()
        except DevenvError as e:
            info_file.write_text(json.dumps({"error": e.message}), encoding="utf-8")
            raise
        info_file.write_text(json.dumps({"info": info.to_json(), "owned": owned, "keep": keep}), encoding="utf-8")
        return info


def shared_record(root: Path) -> dict[str, Any] | None:
    """What the shared info file says (for the controller's teardown), or None when no worker started a cluster."""
    f = root / INFO_FILE
    if not f.is_file():
        return None
    data = json.loads(f.read_text(encoding="utf-8"))
    return data if "info" in data else None


@contextlib.contextmanager
def _file_lock(path: Path, wait: float) -> Iterator[None]:
    """Hold an OS lock on `path` (waiting up to `wait` seconds); the kernel frees it if the holder dies."""
    from devenv.cluster_lock import try_lock

    deadline = time.monotonic() + wait
    with open(path, "a+b") as f:
        while not try_lock(f):
            if time.monotonic() > deadline:
                raise DevenvError(f"waited {wait:.0f} s for another worker to start this run's cluster ({path})")
            time.sleep(0.2)
        yield  # closing the file releases the lock

