"""`devenv doctor`: named checks of the workstation, the engine and a running cluster.

A check is a function `fn(ctx) -> Finding` registered with a stable id and a
category. It asks the world only through `ctx.probes` (see `doctor_probes`),
so unit tests hand it fakes. `run_checks` runs the selected checks at once,
each against its own deadline; a check that overruns or raises is reported as
`error` rather than taking the run down.

The threads are daemon threads, not a ThreadPoolExecutor: the executor's
workers are joined when the interpreter exits, so one hung probe would hold
`devenv doctor` past every timeout it reported.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Sequence

from devenv.errors import DevenvError, UsageError

if TYPE_CHECKING:
    from devenv.doctor_probes import Probes
    from devenv.paths import Paths
    from devenv.profile import Profile

log = logging.getLogger("devenv.doctor")

SCHEMA = 1
STATES = ("ok", "warn", "fail", "skip", "error")
CATEGORIES = {
    "profile": "Profile",
    "engine": "Docker engine",
    "host": "Host",
    "ports": "Ports",
    "net": "Network and artifact sources",
    "windows": "Windows",
    "cache": "Cache",
    "parity": "Parity of host tools with the profile",
    "cluster": "Running cluster",
}
DEFAULT_TIMEOUT = 2.5
NO_CLUSTER = "no cluster is running (devenv up starts one)"


@dataclass(frozen=True)
class SafeFix:
    """A fix `--fix` may apply without asking what the user meant: it loses nothing."""

    description: str
    apply: Callable[[], None] = field(compare=False, repr=False)


@dataclass(frozen=True)
class Finding:
    state: str
    message: str
    found: str = ""
    required: str = ""
    fix: str = ""
    safe_fix: SafeFix | None = None


def ok(message: str, **kw: Any) -> Finding:
    return Finding("ok", message, **kw)


def warn(message: str, **kw: Any) -> Finding:
    return Finding("warn", message, **kw)


def fail(message: str, **kw: Any) -> Finding:
    return Finding("fail", message, **kw)


def skip(message: str, **kw: Any) -> Finding:
    return Finding("skip", message, **kw)


class Skip(Exception):
    """Raised inside a check when something it depends on is missing: the check is skipped."""


def worst(findings: Iterable[Finding]) -> str:
    rank = {"ok": 0, "skip": 1, "warn": 2, "error": 3, "fail": 4}
    return max((f.state for f in findings), key=rank.__getitem__, default="ok")


@dataclass(frozen=True)
class Check:
    id: str
    category: str
    title: str
    fn: Callable[["Context"], Finding] = field(repr=False)
    timeout: float = DEFAULT_TIMEOUT


REGISTRY: dict[str, Check] = {}


def check(id: str, title: str, *, timeout: float = DEFAULT_TIMEOUT) -> Callable[[Callable[["Context"], Finding]], Callable[["Context"], Finding]]:
    """Register a check; its category is the part of the id before the first dot."""

    def register(fn: Callable[["Context"], Finding]) -> Callable[["Context"], Finding]:
        category = id.split(".", 1)[0]
        assert category in CATEGORIES, id
        REGISTRY[id] = Check(id, category, title, fn, timeout)
        return fn

    return register


def all_checks() -> list[Check]:
    """Every check, grouped by category in display order."""
    from devenv import doctor_checks, doctor_cluster, doctor_net, doctor_parity  # noqa: F401  (they register)

    order = list(CATEGORIES)
    return sorted(REGISTRY.values(), key=lambda c: order.index(c.category))


def select(ids: Sequence[str]) -> list[Check]:
    """The checks named by `--check` (an id, or a category for all its checks), in display order."""
    checks = all_checks()
    if not ids:
        return checks
    chosen: set[str] = set()
    for wanted in ids:
        hit = [c.id for c in checks if c.id == wanted or c.category == wanted]
        if not hit:
            import difflib

            close = difflib.get_close_matches(wanted, [c.id for c in checks], n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise UsageError(f"no check named {wanted!r}", hint=f"{hint}see devenv doctor --list-checks")
        chosen.update(hit)
    return [c for c in checks if c.id in chosen]


# --- the context checks share ------------------------------------------------

class Context:
    """What checks read: the profile, the user config, the paths, and memoised probes."""

    def __init__(self, probes: "Probes", paths: "Paths", profile: "Profile | None" = None,
                 user_config: Mapping[str, Any] | None = None, profile_error: DevenvError | None = None):
        self.probes = probes
        self.paths = paths
        self._profile = profile
        self.user_config: Mapping[str, Any] = user_config or {}
        self.profile_error = profile_error
        self._memo: dict[str, tuple[bool, Any]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def once(self, key: str, fn: Callable[[], Any]) -> Any:
        """`fn()` computed once per run however many checks ask; its exception is re-raised to each."""
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._memo:
                try:
                    self._memo[key] = (True, fn())
                except Exception as e:  # shared with every check that asks
                    self._memo[key] = (False, e)
        good, value = self._memo[key]
        if not good:
            raise value
        return value

    @property
    def profile(self) -> "Profile":
        if self._profile is None:
            raise Skip("the profile could not be read (see profile.valid)")
        return self._profile

    def engine(self) -> Any:
        """The engine's info, or Skip when it does not answer (engine.reachable says why)."""
        try:
            return self.once("engine_info", self.probes.engine_info)
        except DevenvError:
            raise Skip("the Docker engine is not reachable (see engine.reachable)") from None

    def engine_details(self) -> Any:
        self.engine()
        return self.once("engine_details", self.probes.engine_details)

    def containers(self) -> list[Any]:
        self.engine()
        return self.once("containers", self.probes.managed_containers)

    def images(self) -> list[Any]:
        """Every local image (tags, id, architecture, labels), listed once per run."""
        self.engine()
        return self.once("images", self.probes.local_images)

    def image(self, ref: str) -> Any | None:
        """The local image `ref` names, or None: doctor never pulls."""
        ref = ref if ":" in ref.rsplit("/", 1)[-1] else f"{ref}:latest"
        return next((i for i in self.images() if ref in i.tags or i.id == ref), None)

    def cluster(self) -> tuple[str, list[Any]]:
        """(cluster name, its running containers) for the profile in use, or Skip."""
        running = [c for c in self.containers() if c.running]
        if not running:
            raise Skip(NO_CLUSTER)
        by_name: dict[str, list[Any]] = {}
        for c in running:
            by_name.setdefault(c.labels.get("devenv.cluster", ""), []).append(c)
        name = self.profile.name
        if name in by_name:
            return name, by_name[name]
        mine = [n for n, cs in by_name.items() if any(c.labels.get("devenv.profile") == name for c in cs)]
        if mine:
            return mine[0], by_name[mine[0]]
        raise Skip(f"no cluster of profile {name!r} is running (running: {', '.join(sorted(by_name))}); devenv up starts one")


# --- running ------------------------------------------------------------------

@dataclass(frozen=True)
class Result:
    check: Check
    finding: Finding
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        f = self.finding
        return {
            "id": self.check.id, "category": self.check.category, "title": self.check.title,
            "state": f.state, "message": f.message, "found": f.found, "required": f.required,
            "fix": f.fix, "safe_fix": f.safe_fix.description if f.safe_fix else None,
            "seconds": round(self.seconds, 3),
        }


def _run_one(c: Check, ctx: Context) -> Finding:
    try:
        return c.fn(ctx)
    except Skip as e:
        return skip(str(e))
    except TimeoutError as e:
        return Finding("error", f"timed out: {e}", fix=f"run it alone with -v (devenv doctor --check {c.id})")
    except DevenvError as e:
        return Finding("error", f"{c.id} could not run: {e.message}", fix=e.hint or "")
    except Exception as e:  # a bug in a check must not hide the others
        log.exception("check %s", c.id)
        return Finding("error", f"{c.id} could not run: {type(e).__name__}: {e}", fix="this is a bug in devenv; the traceback is in the debug log")


def submit(fn: Callable[[], Any], name: str = "doctor") -> "Future[Any]":
    """Run `fn` in a daemon thread; the Future holds its result or exception."""
    fut: Future[Any] = Future()

    def body() -> None:
        try:
            fut.set_result(fn())
        except BaseException as e:  # handed to whoever waits
            fut.set_exception(e)

    threading.Thread(target=body, name=name, daemon=True).start()
    return fut


def parallel(*fns: Callable[[], Any]) -> list[Any]:
    """Call `fns` at once and return their results in order (the first exception is raised)."""
    return [f.result() for f in [submit(fn) for fn in fns]]


def run_checks(checks: Sequence[Check], ctx: Context) -> list[Result]:
    """Run `checks` concurrently, each bounded by its own timeout; results in the order given."""
    if not checks:
        return []
    start = time.perf_counter()
    futures = [(c, submit(lambda c=c: (_run_one(c, ctx), time.perf_counter()), f"doctor-{c.id}")) for c in checks]
    results = []
    for c, fut in futures:
        try:
            finding, end = fut.result(timeout=max(0.0, c.timeout - (time.perf_counter() - start)))
        except FutureTimeout:
            finding, end = Finding("error", f"timed out after {c.timeout:g} s", fix="run it alone with -v (devenv doctor --check " + c.id + "); the debug log shows where it waited"), time.perf_counter()
        results.append(Result(c, finding, end - start))
        log.debug("check %s: %s %s (%.3f s)", c.id, finding.state, finding.message, end - start)
    return results


def summary(results: Sequence[Result], *, strict: bool) -> dict[str, Any]:
    counts = {s: sum(r.finding.state == s for r in results) for s in STATES}
    failing = counts["fail"] + (counts["warn"] + counts["error"] if strict else 0)
    return {**counts, "strict": strict, "exit_code": 1 if failing else 0}


def to_json(results: Sequence[Result], *, profile: str | None, strict: bool, seconds: float) -> dict[str, Any]:
    """The `--json` document; `schema` changes only when a field changes meaning or goes away."""
    return {
        "schema": SCHEMA,
        "profile": profile,
        "checks": [r.to_dict() for r in results],
        "summary": {**summary(results, strict=strict), "seconds": round(seconds, 3)},
    }
