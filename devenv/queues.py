"""The capacity scheduler's queue tree, read from a profile's `[config.capacity-scheduler]`.

Percentages are of the parent queue; a queue's absolute share of the cluster is
the product along its path. Absolute units (`[memory=...,vcores=...]`) are read
as a share of the cluster's memory. Used to check a layout (siblings' capacities
add up to 100) and by `devenv jobs` to say what a queue guarantees.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

PREFIX = "yarn.scheduler.capacity."


@dataclass(frozen=True)
class Queue:
    path: str              # root.etl.daily
    capacity: float        # share of the cluster it is guaranteed, 0..1
    maximum: float         # share of the cluster it may grow to, 0..1
    leaf: bool
    max_allocation_mb: int | None

    @property
    def name(self) -> str:
        return self.path.rsplit(".", 1)[-1]


def _children(cs: Mapping[str, Any], path: str) -> list[str]:
    return [c.strip() for c in str(cs.get(f"{PREFIX}{path}.queues", "")).split(",") if c.strip()]


def _share(value: Any, cluster_mb: int | None) -> float | None:
    text = str(value).strip()
    m = re.fullmatch(r"\[(.*)\]", text)
    if m:
        mem = re.search(r"memory=(\d+)", m.group(1))
        return int(mem.group(1)) / cluster_mb if mem and cluster_mb else None
    try:
        return float(text) / 100
    except ValueError:
        return None


def tree(cs: Mapping[str, Any], cluster_mb: int | None = None) -> dict[str, Queue]:
    """Every queue under root by path; absolute shares of the cluster (absolute units need `cluster_mb`)."""
    out: dict[str, Queue] = {}

    def walk(path: str, parent_cap: float, parent_max: float, absolute_parent: bool) -> None:
        kids = _children(cs, path)
        for kid in kids:
            p = f"{path}.{kid}"
            cap = _share(cs.get(f"{PREFIX}{p}.capacity", 0), cluster_mb) or 0.0
            mx = _share(cs.get(f"{PREFIX}{p}.maximum-capacity", 100 if not absolute_parent else ""), cluster_mb)
            absolute = str(cs.get(f"{PREFIX}{p}.capacity", "")).strip().startswith("[")
            acap = cap if absolute else cap * parent_cap
            amax = (mx if absolute else (mx or 1.0) * parent_max) if mx is not None else parent_max
            mxa = cs.get(f"{PREFIX}{p}.maximum-allocation-mb")
            out[p] = Queue(p, acap, min(amax, 1.0), not _children(cs, p), int(str(mxa)) if mxa is not None and str(mxa).isdigit() else None)
            walk(p, acap, min(amax, 1.0), absolute)
    walk("root", 1.0, 1.0, False)
    return out


def problems(cs: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(property, message) for a percentage layout whose siblings do not add up to 100."""
    out: list[tuple[str, str]] = []

    def walk(path: str) -> None:
        kids = _children(cs, path)
        if not kids:
            return
        values = [str(cs.get(f"{PREFIX}{path}.{k}.capacity", 0)).strip() for k in kids]
        if not any(v.startswith("[") for v in values):
            try:
                total = sum(float(v) for v in values)
            except ValueError:
                bad = next(k for k, v in zip(kids, values) if not re.fullmatch(r"\d+(\.\d+)?", v))
                out.append((f"{PREFIX}{path}.{bad}.capacity", f"queue {path}.{bad} needs a capacity (a percentage of {path})"))
                return
            if abs(total - 100) > 0.01:
                out.append((f"{PREFIX}{path}.queues", f"the capacities of {path}'s queues ({', '.join(kids)}) add up to {total:g}, not 100"))
        for k in kids:
            walk(f"{path}.{k}")
    walk("root")
    return out
