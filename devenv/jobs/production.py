"""The production view of a run: what the same application would ask of production's queue, and whether it fits.

The import's factor (`[production] factor`, this NodeManager's memory over
production's) scales a run's peak memory and largest container back up.
Production's cluster size is `[production] cluster_memory_mb`, else
`nodemanagers` x `nodemanager_memory_mb`, else (said so in the answer) this
cluster's NodeManager count at production's node size. Queue shares come from
the profile's capacity-scheduler layout, which the import keeps as in production.
"""

from __future__ import annotations

from typing import Any, Mapping

from devenv import queues, render, schema
from devenv.jobs.report import App


def cluster_mb(profile: Any) -> tuple[float | None, str]:
    """Production's YARN memory in MB, and where the figure comes from."""
    prod: Mapping[str, Any] = profile.data.get("production") or {}
    if not prod.get("factor"):
        return None, ""
    if prod.get("cluster_memory_mb"):
        return float(prod["cluster_memory_mb"]), "production.cluster_memory_mb"
    nms = int(profile.topology["nodemanagers"])
    if prod.get("nodemanagers") and prod.get("nodemanager_memory_mb"):
        return float(prod["nodemanagers"] * prod["nodemanager_memory_mb"]), "production.nodemanagers x nodemanager_memory_mb"
    here = (schema.parse_memory(profile.resources["yarn_memory"]) or 0) * nms
    return here / float(prod["factor"]), f"assumed {nms} NodeManager(s) as here (set production.nodemanagers)"


def find_queue(tree: Mapping[str, queues.Queue], name: str) -> queues.Queue | None:
    """A queue by full path (root.etl.daily) or by leaf name (daily), as the ResourceManager reports it."""
    if name in tree:
        return tree[name]
    leaves = [q for q in tree.values() if q.name == name.rsplit(".", 1)[-1]]
    return leaves[0] if len(leaves) == 1 else None


def view(app: App, profile: Any) -> dict[str, Any]:
    """The production view of one application; empty when the profile was not imported (no [production] table)."""
    prod: Mapping[str, Any] = profile.data.get("production") or {}
    total, basis = cluster_mb(profile)
    if total is None or app.peak_mb is None:
        return {}
    f = float(prod["factor"])
    here_mb = (schema.parse_memory(profile.resources["yarn_memory"]) or 0) * int(profile.topology["nodemanagers"])
    cs = {**render.capacity_defaults(), **profile.config.get("capacity-scheduler", {})}
    q = find_queue(queues.tree(cs, here_mb), app.queue)
    need = round(app.peak_mb / f)
    out: dict[str, Any] = {"factor": f, "peak_mb": need, "basis": basis, "warnings": []}
    largest = round((app.largest_container_mb or 0) / f)
    out["largest_container_mb"] = largest
    limit = prod.get("maximum_allocation_mb")
    if limit and largest > limit:
        out["warnings"].append(f"its largest container would be {largest} MB in production, over yarn.scheduler.maximum-allocation-mb {limit}")
    if q is None:
        out["verdict"] = f"queue {app.queue} is not in the profile's capacity-scheduler layout"
        return out
    guarantee, maximum = round(q.capacity * total), round(q.maximum * total)
    pct = round(100 * need / guarantee) if guarantee else None
    out.update(queue=q.path, guarantee_mb=guarantee, maximum_mb=maximum, percent_of_guarantee=pct)
    if q.max_allocation_mb and largest > q.max_allocation_mb / f:
        out["warnings"].append(f"its largest container would be over queue {q.name}'s maximum-allocation-mb")
    if need > maximum:
        out["fits"] = False
        out["warnings"].append(f"needs {need} MB, over queue {q.name}'s maximum capacity of {maximum} MB: it would wait forever or be cut")
        out["verdict"] = f"needs {pct}% of queue {q.name}'s guarantee; over its maximum"
    else:
        out["fits"] = True
        elastic = "" if need <= guarantee else " only by borrowing beyond the guarantee (up to its maximum)"
        out["verdict"] = f"needs {pct}% of queue {q.name}'s guarantee; fits{elastic}"
    return out
