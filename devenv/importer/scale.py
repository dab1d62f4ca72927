"""Scale production's absolute sizes to the laptop's budget; percentages stay as they are.

The factor is per node: this profile's NodeManager memory (`resources.yarn_memory`)
over production's (`yarn.nodemanager.resource.memory-mb`, else its
`yarn.scheduler.maximum-allocation-mb`), so a container takes the same share of
a node here as there. Each scaled value is kept where it still runs: a JVM gets
at least what it needs to start, no container is larger than a NodeManager.
Absolute queue resources (`[memory=...,vcores=...]`) are scaled so that root's
children add up to this cluster, as they add up to production's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

from devenv.schema import parse_memory

# The smallest sizes that still run: a MapReduce task or AM JVM, a Spark JVM (Spark refuses < 450 MB), an overhead.
FLOOR_CONTAINER_MB, FLOOR_JVM_MB, FLOOR_OVERHEAD_MB, FLOOR_ALLOCATION_MB = 512, 512, 256, 128
# The largest container must hold a Spark executor of devenv's size (512m + 256m overhead) with room to spare.
FLOOR_MAX_ALLOCATION_MB = 1024
SPARK_OVERHEAD_MB = 256  # devenv's laptop-sized spark.executor.memoryOverhead


@dataclass(frozen=True)
class Budget:
    """What the laptop offers: per NodeManager memory and vcores, how many NodeManagers."""

    yarn_mb: int
    vcores: int
    nodemanagers: int

    @property
    def total_mb(self) -> int:
        return self.yarn_mb * self.nodemanagers


@dataclass(frozen=True)
class Scaled:
    value: Any
    comment: str


def node_memory(props: dict[tuple[str, str], str]) -> tuple[int | None, str]:
    """Production's memory per NodeManager in MB and which key said so."""
    for key in ("yarn.nodemanager.resource.memory-mb", "yarn.scheduler.maximum-allocation-mb"):
        value = props.get(("yarn-site", key))
        if value is not None and value.strip().isdigit() and int(value) > 0:
            return int(value), key
    return None, ""


def factor_for(budget: Budget, prod_node_mb: int | None) -> float:
    """This NodeManager's memory over production's (6 decimals); 1 when production's is unknown."""
    return round(budget.yarn_mb / prod_node_mb, 6) if prod_node_mb else 1.0


def _clamp(v: int, lo: int, hi: int) -> int:
    return max(lo, min(hi, v))


def _int(value: str) -> int | None:
    return int(value) if value.strip().isdigit() else None


def scale(kind: str, name: str, value: str, f: float, budget: Budget, max_alloc: int) -> Scaled | None:
    """The laptop's value for one production size, with the comment saying how; None: leave it to devenv."""
    fn: Callable[..., Scaled | None] = _KINDS[kind]
    return fn(name, value, f, budget, max_alloc)


def _mb(name: str, value: str, f: float, budget: Budget, max_alloc: int) -> Scaled | None:
    v = _int(value)
    if v is None:
        return None
    largest = "maximum" in name
    hi = budget.yarn_mb if largest else max_alloc
    out = _clamp(round(v * f), FLOOR_MAX_ALLOCATION_MB if largest else FLOOR_ALLOCATION_MB, hi)
    return Scaled(out, _how(v, f, out, "MB"))


def _container_mb(name: str, value: str, f: float, budget: Budget, max_alloc: int) -> Scaled | None:
    v = _int(value)
    if v is None:
        return None
    out = _clamp(round(v * f), FLOOR_CONTAINER_MB, max_alloc)
    return Scaled(out, _how(v, f, out, "MB"))


def _task_buffer_mb(name: str, value: str, f: float, budget: Budget, max_alloc: int) -> Scaled | None:
    v = _int(value)
    if v is None:
        return None
    out = _clamp(round(v * f), 16, 128)  # inside the task's heap (devenv's tasks run with -Xmx384m)
    return Scaled(out, _how(v, f, out, "MB"))


def _size(floor: int) -> Callable[..., Scaled | None]:
    def fn(name: str, value: str, f: float, budget: Budget, max_alloc: int) -> Scaled | None:
        v = parse_memory(value)
        if v is None:
            return None
        room = max_alloc - (SPARK_OVERHEAD_MB if floor == FLOOR_JVM_MB else FLOOR_JVM_MB)
        out = _clamp(round(v * f), floor, max(floor, room))
        return Scaled(f"{out}m", _how(v, f, out, "MB", shown=value))
    return fn


def _vcores(name: str, value: str, f: float, budget: Budget, max_alloc: int) -> Scaled | None:
    v = _int(value)
    if v is None:
        return None
    out = _clamp(v, 1, budget.vcores)
    why = f"production {v}; capped at this NodeManager's {budget.vcores} vcores" if out != v else f"production {v}: fits as is"
    return Scaled(out, why)


def _executors(name: str, value: str, f: float, budget: Budget, max_alloc: int) -> Scaled | None:
    v = _int(value)
    if v is None:
        return None
    fit = max(1, (budget.total_mb - 1024) // (FLOOR_JVM_MB + SPARK_OVERHEAD_MB))
    out = min(v, fit)
    why = f"production {v}; at most {fit} executor(s) fit this cluster's YARN memory" if out != v else f"production {v}: fits as is"
    return Scaled(out, why)


def _queue_capacity(name: str, value: str, f: float, budget: Budget, max_alloc: int) -> Scaled | None:
    return None  # percentages stay; absolute queue resources are scaled by queue_resources() with the queue factor


def _how(v: int, f: float, out: int, unit: str, *, shown: str | None = None) -> str:
    raw = round(v * f)
    note = "" if raw == out else f" = {raw}, kept at {out} so it runs here"
    return f"production {shown or v}{'' if shown else ' ' + unit} x {f:g}{note}"


_KINDS: dict[str, Callable[..., Scaled | None]] = {
    "mb": _mb, "container-mb": _container_mb, "task-buffer-mb": _task_buffer_mb, "jvm-size": _size(FLOOR_JVM_MB), "overhead-size": _size(FLOOR_OVERHEAD_MB),
    "vcores": _vcores, "executors": _executors, "queue-capacity": _queue_capacity,
}

_ABSOLUTE = re.compile(r"^\s*\[(.*)\]\s*$")


def absolute(value: str) -> dict[str, int] | None:
    """`[memory=102400,vcores=40]` -> {'memory': 102400, 'vcores': 40}; None for a percentage."""
    m = _ABSOLUTE.match(value)
    if not m:
        return None
    out: dict[str, int] = {}
    for part in m.group(1).split(","):
        k, _, v = part.partition("=")
        if v.strip().isdigit():
            out[k.strip()] = int(v.strip())
    return out


def queue_factor(cs: dict[str, str], budget: Budget) -> dict[str, float] | None:
    """Per resource, this cluster over production's when root's children are absolute (they add up to production's cluster)."""
    children = [c.strip() for c in cs.get("yarn.scheduler.capacity.root.queues", "").split(",") if c.strip()]
    totals: dict[str, int] = {}
    for c in children:
        a = absolute(cs.get(f"yarn.scheduler.capacity.root.{c}.capacity", ""))
        if not a or "memory" not in a:
            return None
        for k, v in a.items():
            totals[k] = totals.get(k, 0) + v
    here = {"memory": budget.total_mb, "vcores": budget.vcores * budget.nodemanagers}
    return {k: here[k] / v for k, v in totals.items() if k in here and v} if children else None


def queue_resources(value: str, qf: dict[str, float]) -> Scaled | None:
    """An absolute queue resource scaled resource by resource (at least 1 vcore, 128 MB)."""
    a = absolute(value)
    if a is None:
        return None
    out = {k: max(FLOOR_ALLOCATION_MB if k == "memory" else 1, round(v * qf.get(k, 1.0))) for k, v in a.items()}
    text = "[" + ",".join(f"{k}={v}" for k, v in out.items()) + "]"
    factors = ", ".join(f"{k} x {qf[k]:.6g}" for k in a if k in qf)
    return Scaled(text, f"production {value.strip()}: {factors}")
