"""The doctor's model: findings, the check registry, and the Context checks read.

A check is a function `fn(ctx) -> Finding` registered with `@check(id, title)`
under a stable id; its category is the id's first part. It asks the world only
through `ctx.probes` (see `devenv.doctor.probes`), one injectable object.
This module imports no check: `devenv.doctor.checks` imports the category
modules, and the runner (`devenv.doctor.core`) imports `checks`.

The threads are daemon threads, not a ThreadPoolExecutor: the executor's
workers are joined when the interpreter exits, so one hung probe would hold
`devenv doctor` past every timeout it reported.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Mapping

from devenv import labels
from devenv.errors import DevenvError

if TYPE_CHECKING:
    from devenv.doctor.probes import Probes
    from devenv.paths import Paths
    from devenv.profile import Profile

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
# Checks that wait for the engine's shared answers or the network. Measured (issue 18, 2 CPUs): with a
# cluster up and a load average of 6 they end 1.1-2.1 s after the run starts, ~1.5 s of it the shared
# answers (python-on-whales import, `docker info`, listings); 2.5 s cut that close and net.sources and
# the test container were seen in error. 5 s is over twice the slowest seen: only a hung probe reaches it.
WAITING_TIMEOUT = 5.0
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


# --- the context checks share ------------------------------------------------

class Context:
    """What checks read: the profile, the user config, the paths, and memoised probes."""

    def __init__(self, probes: "Probes", paths: "Paths", profile: "Profile | None" = None,
                 user_config: Mapping[str, Any] | None = None, profile_error: DevenvError | None = None):
        self._waits: dict[str, str] = {}  # thread name -> what it waits for now
        self.probes: Any = _Traced(probes, self.waiting)
        self.paths = paths
        self._profile = profile
        self.user_config: Mapping[str, Any] = user_config or {}
        self.profile_error = profile_error
        self._memo: dict[str, tuple[bool, Any]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    @contextmanager
    def waiting(self, what: str) -> Iterator[None]:
        """Say what this check's thread waits for meanwhile (a timeout names it: `waiting_for`)."""
        me = threading.current_thread().name
        before = self._waits.get(me)
        self._waits[me] = what
        try:
            yield
        finally:
            if before is None:
                self._waits.pop(me, None)
            else:
                self._waits[me] = before

    def waiting_for(self, thread: str) -> str | None:
        """What the check running in `thread` waits for now, if it says."""
        return self._waits.get(thread)

    def once(self, key: str, fn: Callable[[], Any]) -> Any:
        """`fn()` computed once per run however many checks ask; its exception is re-raised to each."""
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with self.waiting(WAITS.get(key, key)), lock:
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

    @property
    def profile_name(self) -> str | None:
        """The profile's name, or None when it could not be read."""
        return self._profile.name if self._profile is not None else None

    def forget(self) -> None:
        """Drop every memoised probe answer (after `--fix` changed the world)."""
        with self._guard:
            self._memo.clear()

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
            by_name.setdefault(c.labels.get(labels.CLUSTER, ""), []).append(c)
        name = self.profile.name
        if name in by_name:
            return name, by_name[name]
        mine = [n for n, cs in by_name.items() if any(c.labels.get(labels.PROFILE) == name for c in cs)]
        if mine:
            return mine[0], by_name[mine[0]]
        raise Skip(f"no cluster of profile {name!r} is running (running: {', '.join(sorted(by_name))}); devenv up starts one")


# what a shared answer (`Context.once` key) or a probe waits for, in a timeout's words
WAITS = {"engine_info": "the engine's `docker info`", "engine_details": "the engine's details", "containers": "the engine's container listing",
         "images": "the engine's image listing", "sources": "the artifact sources' addresses (Maven's and pip's own configuration)",
         "run_container": "a test container from {0} to run", "http_json": "{0} to answer", "http_status": "{0} to answer",
         "tls_handshake": "a TLS handshake with {0}", "exec_in": "a command in container {0}", "command": "the command {0}"}


class _Traced:
    """The probes, each call saying what its thread waits for (`Context.waiting`) while it runs."""

    def __init__(self, probes: Any, waiting: Callable[[str], Any]):
        self._probes, self._waiting = probes, waiting

    def __getattr__(self, name: str) -> Any:
        fn = getattr(self._probes, name)
        if not callable(fn):
            return fn

        def traced(*args: Any, **kw: Any) -> Any:
            first = str(args[0])[:80] if args and isinstance(args[0], (str, list, tuple)) else ""
            with self._waiting(WAITS.get(name, name + (" {0}" if first else "")).format(first)):
                return fn(*args, **kw)

        return traced


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

