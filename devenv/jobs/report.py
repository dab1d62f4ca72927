"""One `App` per YARN application: the ResourceManager's accounting plus the history servers' detail.

Peak memory is the most the application held at once: its ApplicationMaster
plus the largest overlap of its task containers (MapReduce, from the JobHistory
server's task times) or executors (Spark, from the history server's executor
add/remove times), each at the container size it asked for.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Iterable

from devenv.jobs.rest import Endpoints, get
from devenv.schema import parse_memory


@dataclass
class App:
    id: str
    name: str
    queue: str
    user: str
    type: str
    state: str
    final_status: str
    elapsed_s: float
    wait_s: float               # submitted -> ApplicationMaster launched: time spent waiting for resources
    attempts: int
    memory_seconds: int         # MB-seconds, as YARN accounts them
    vcore_seconds: int
    containers: int | None = None
    peak_mb: int | None = None
    largest_container_mb: int | None = None
    executors: int | None = None
    executor_memory_mb: int | None = None
    production: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def apps(ep: Endpoints, last: int | None = None) -> list[App]:
    """The newest `last` applications, newest first, each with its detail."""
    found = ((get(ep.rm, "/ws/v1/cluster/apps", what="the ResourceManager") or {}).get("apps") or {}).get("app") or []
    found.sort(key=lambda a: a.get("startedTime", 0), reverse=True)
    return [detail(ep, a) for a in found[:last]]


def one(ep: Endpoints, app_id: str) -> App:
    """One application by id (`application_...`)."""
    from devenv.errors import DevenvError

    if not re.fullmatch(r"application_\d+_\d+", app_id):
        raise DevenvError(f"{app_id!r} is not an application id", hint="ids look like application_1732754400000_0001; see devenv jobs")
    a = get(ep.rm, f"/ws/v1/cluster/apps/{app_id}", what="the ResourceManager", missing_ok=True)
    if not a:
        raise DevenvError(f"the ResourceManager knows no application {app_id}", hint="see devenv jobs")
    return detail(ep, a["app"])


def detail(ep: Endpoints, a: dict[str, Any]) -> App:
    """An `App` from the ResourceManager's record `a`, with the history server's detail for its type."""
    started, launched = a.get("startedTime", 0), a.get("launchTime", 0)
    attempts = (get(ep.rm, f"/ws/v1/cluster/apps/{a['id']}/appattempts", what="the ResourceManager", missing_ok=True) or {})
    app = App(
        id=a["id"], name=a.get("name", ""), queue=a.get("queue", ""), user=a.get("user", ""), type=a.get("applicationType", ""),
        state=a.get("state", ""), final_status=a.get("finalStatus", ""), elapsed_s=round(a.get("elapsedTime", 0) / 1000, 1),
        wait_s=round(max(0, launched - started) / 1000, 1) if launched else 0.0,
        attempts=len((attempts.get("appAttempts") or {}).get("appAttempt") or []),
        memory_seconds=int(a.get("memorySeconds", 0)), vcore_seconds=int(a.get("vcoreSeconds", 0)),
    )
    if app.type == "MAPREDUCE":
        _mapreduce(ep, app)
    elif app.type == "SPARK":
        _spark(ep, app)
    return app


def peak(intervals: Iterable[tuple[float, float, int]]) -> int:
    """The largest sum of sizes over intervals (start, end, size) that overlap at one moment."""
    events = sorted([(s, m) for s, _e, m in intervals] + [(e, -m) for _s, e, m in intervals], key=lambda x: (x[0], x[1]))
    best = now = 0
    for _t, delta in events:
        now += delta
        best = max(best, now)
    return best


def _conf(props: Iterable[Any], key: str, default: str) -> str:
    return next((str(v) for k, v in props if k == key), default)


def _mapreduce(ep: Endpoints, app: App) -> None:
    job = app.id.replace("application_", "job_")
    base = f"/ws/v1/history/mapreduce/jobs/{job}"
    tasks = ((get(ep.jhs, f"{base}/tasks", what="the MapReduce history server", missing_ok=True) or {}).get("tasks") or {}).get("task") or []
    conf = ((get(ep.jhs, f"{base}/conf", what="the MapReduce history server", missing_ok=True) or {}).get("conf") or {}).get("property") or []
    props = [(p.get("name"), p.get("value")) for p in conf]
    size = {"MAP": int(_conf(props, "mapreduce.map.memory.mb", "1024")), "REDUCE": int(_conf(props, "mapreduce.reduce.memory.mb", "1024"))}
    am = int(_conf(props, "yarn.app.mapreduce.am.resource.mb", "1536"))
    if not tasks:
        return
    spans = [(t["startTime"], t["finishTime"] or t["startTime"], size.get(t["type"], 0)) for t in tasks if t.get("startTime", 0) > 0]
    app.containers = len(tasks) + 1
    app.peak_mb = am + peak(spans)
    app.largest_container_mb = max([am, *size.values()])


def _spark_time(value: str | None) -> float:
    if not value:
        return float("inf")
    return datetime.strptime(value.replace("GMT", "+0000"), "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()


def _overhead(props: list[Any], key: str, mem: int) -> int:
    given = _conf(props, key, "")
    return parse_memory(given) or 0 if given else max(384, mem // 10)


def _spark(ep: Endpoints, app: App) -> None:
    base = f"/api/v1/applications/{app.id}"
    env = get(ep.shs, f"{base}/environment", what="the Spark history server", missing_ok=True)
    execs = get(ep.shs, f"{base}/allexecutors", what="the Spark history server", missing_ok=True)
    if not env or execs is None:
        return
    props = [tuple(p) for p in env.get("sparkProperties") or []]
    mem = parse_memory(_conf(props, "spark.executor.memory", "1g")) or 1024
    container = mem + _overhead(props, "spark.executor.memoryOverhead", mem)
    if _conf(props, "spark.submit.deployMode", "client") == "cluster":
        am_mem = parse_memory(_conf(props, "spark.driver.memory", "1g")) or 1024
        am = am_mem + _overhead(props, "spark.driver.memoryOverhead", am_mem)
    else:
        am_mem = parse_memory(_conf(props, "spark.yarn.am.memory", "512m")) or 512
        am = am_mem + _overhead(props, "spark.yarn.am.memoryOverhead", am_mem)
    workers = [e for e in execs if e.get("id") != "driver"]
    spans = [(_spark_time(e.get("addTime")), _spark_time(e.get("removeTime")), container) for e in workers]
    app.executors = len(workers)
    app.executor_memory_mb = mem
    app.containers = len(workers) + 1
    app.peak_mb = am + peak(spans)
    app.largest_container_mb = max(am, container)
