"""A classroom: one cluster per student, of one profile, on one engine (`devenv class up|status|reset|down`).

Before anything starts, the engine's memory is compared with the students
times the profile's memory budget (`[resources] total`, every service's limit
added up): a class that does not fit is refused with the exact numbers and the
largest class that does. Clusters start with bounded concurrency (half the
engine's CPUs, at least one at a time), each to real readiness; with `seed`
each is seeded, and then each gets a `class` snapshot (devenv/snapshot.py)
that `class reset` restores.

Ports are deterministic: student i (from 1) has the block of host ports
`port_base + (i - 1) * BLOCK` onwards, in the profile's port order, recorded in
the roster (`classes/<prefix>.json` in the state directory) and in each
cluster's state as its port choice, so `devenv status --name student-2` shows
the same ports.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from devenv import docker, fsutil
from devenv.errors import DevenvError
from devenv.paths import paths

if TYPE_CHECKING:
    from devenv.context import Context
    from devenv.profile import Profile

BLOCK = 100            # host ports per student
PORT_BASE = 20000      # student 1's first port
SNAPSHOT = "class"     # the snapshot every student's cluster is reset to
MB = 1024 * 1024
Emit = Callable[[str, dict[str, Any]], None]


@dataclass(frozen=True)
class Capacity:
    students: int
    memory_bytes: int
    cpus: int
    budget_bytes: int      # per student: the profile's [resources] total
    fits: int              # the largest class this engine holds
    jobs: int              # clusters started at once

    @property
    def ok(self) -> bool:
        return self.students <= self.fits

    def describe(self) -> str:
        """The numbers the decision rests on, in one sentence."""
        gb = lambda n: f"{n / 1024**3:.1f} GB"  # noqa: E731
        return (f"{self.students} students x {gb(self.budget_bytes)} (the profile's memory budget) = {gb(self.students * self.budget_bytes)}; "
                f"the engine has {gb(self.memory_bytes)} and {self.cpus} CPUs: at most {self.fits} students fit, "
                f"{self.jobs} started at a time")


def capacity(profile: "Profile", students: int) -> Capacity:
    """The engine's memory and CPUs against `students` times the profile's budget."""
    from devenv import schema

    info = docker.engine_info()
    budget = (schema.parse_memory(str(profile.resources.get("total", ""))) or 0) * MB
    if budget <= 0:
        raise DevenvError(f"profile {profile.name!r} has no readable [resources] total", hint="set it, e.g. total = \"7g\"")
    return Capacity(students, info.memory_bytes, info.cpus, budget, info.memory_bytes // budget, max(1, info.cpus // 2))


def student_names(prefix: str, students: int) -> list[str]:
    return [f"{prefix}-{i}" for i in range(1, students + 1)]


def port_block(profile: "Profile", index: int, base: int = PORT_BASE) -> dict[str, int]:
    """Student `index`'s host ports ("instance/port name" -> port): the profile's ports numbered from its block."""
    from devenv.services import ports

    plan = ports(profile)
    if len(plan) > BLOCK:
        raise DevenvError(f"profile {profile.name!r} publishes {len(plan)} ports, more than a student's block of {BLOCK}")
    first = base + (index - 1) * BLOCK
    return {f"{p.service}/{p.name}": first + k for k, p in enumerate(plan)}


def roster_file(prefix: str) -> Path:
    return paths().state / "classes" / f"{prefix}.json"


def roster(prefix: str) -> dict[str, Any]:
    """The class's roster as `class up` recorded it: profile, port base, each student's cluster and ports."""
    data = fsutil.read_json(roster_file(prefix), default=None, fix=f"remove {roster_file(prefix)} and run devenv class up again")
    if not data:
        raise DevenvError(f"no class with prefix {prefix!r}", hint="start one: devenv class up --students N")
    return data


def _prepare(profile: "Profile", prefix: str, students: int, base: int) -> dict[str, Any]:
    """The roster, written before anything starts; each new cluster's state gets its port block as its port choice."""
    from devenv.cluster_state import Cluster, cluster_name

    rows = []
    for i, name in enumerate(student_names(prefix, students), start=1):
        c = Cluster(cluster_name(name, profile))
        block = port_block(profile, i, base)
        st = c.state()
        if st and st.get("ports") and st["ports"] != block:
            raise DevenvError(f"cluster {name!r} exists with other ports", hint=f"devenv class down --prefix {prefix} --volumes, then class up again")
        if not st:
            c.write_state({"schema": 1, "cluster": name, "ports": block})
        rows.append({"student": name, "cluster": name, "index": i, "ports": block})
    data = {"schema": 1, "prefix": prefix, "profile": profile.name, "profile_path": str(profile.path), "port_base": base,
            "block": BLOCK, "snapshot": SNAPSHOT, "students": rows}
    fsutil.write_json(roster_file(prefix), data)
    return data


def _one(ctx: "Context", name: str, seed: bool, on_event: Emit) -> dict[str, Any]:
    """Start, (seed,) snapshot one student's cluster; the seconds each took."""
    from devenv import cluster, snapshot
    from devenv.seed import steps

    times: dict[str, Any] = {"student": name}
    t = time.monotonic()
    on_event("starting", {"student": name})
    cluster.up(ctx, name)
    times["up"] = round(time.monotonic() - t, 1)
    if seed:
        t = time.monotonic()
        steps.seed(ctx, name)
        times["seed"] = round(time.monotonic() - t, 1)
    if not any(s["name"] == SNAPSHOT for s in snapshot.listing(name)):
        t = time.monotonic()
        snapshot.save(ctx, name, SNAPSHOT)
        times["snapshot"] = round(time.monotonic() - t, 1)
    on_event("ready", times)
    return times


def up(ctx: "Context", students: int, prefix: str, *, base: int = PORT_BASE, jobs: int | None = None, seed: bool = False,
       on_event: Emit = lambda e, d: None) -> dict[str, Any]:
    """Check capacity, start every student's cluster (bounded concurrency), seed, snapshot; returns the roster and timings."""
    from devenv import images

    cap = capacity(ctx.profile, students)
    on_event("capacity", {"text": cap.describe(), "fits": cap.fits})
    if not cap.ok:
        raise DevenvError(f"{students} students do not fit on this engine: {cap.describe()}",
                          hint=f"run --students {cap.fits} or fewer here, give the engine more memory, or a profile with a smaller budget")
    started = time.monotonic()
    data = _prepare(ctx.profile, prefix, students, base)
    images.build_profile(ctx)  # once, before the clusters start side by side
    names = student_names(prefix, students)
    with ThreadPoolExecutor(max_workers=jobs or cap.jobs) as pool:
        timings = list(pool.map(lambda n: _one(ctx, n, seed, on_event), names))
    data["timings"] = timings
    data["seconds"] = round(time.monotonic() - started, 1)
    fsutil.write_json(roster_file(prefix), data)
    return data


def status(prefix: str) -> dict[str, Any]:
    """One row per student: health, every web UI, the JDBC URL, the HDFS URI."""
    from devenv import cluster

    data = roster(prefix)
    rows = []
    for s in data["students"]:
        row: dict[str, Any] = {"student": s["student"], "ports": s["ports"]}
        try:
            st = cluster.status(cluster.Cluster(s["cluster"]))
        except DevenvError as e:
            rows.append({**row, "ready": False, "health": e.message, "web": {}, "jdbc": "", "hdfs": ""})
            continue
        urls = {(svc["service"], e["name"]): e["url"] for svc in st["services"] for e in svc["endpoints"]}
        bad = [f"{svc['service']}: {svc['detail']}" for svc in st["services"] if not svc["ready"]]
        rows.append({**row, "ready": st["ready"], "health": "ready" if st["ready"] else "; ".join(bad),
                     "web": {f"{k[0]}": u for k, u in urls.items() if u.startswith("http")},
                     "jdbc": urls.get(("hiveserver2", "jdbc"), ""), "hdfs": urls.get(("namenode", "rpc"), "")})
    return {"schema": 1, "prefix": prefix, "profile": data["profile"], "students": rows}


def reset(ctx: "Context", prefix: str, which: list[str], on_event: Emit = lambda e, d: None) -> dict[str, float]:
    """Restore each named student's cluster to its class snapshot; the seconds each took."""
    from devenv import snapshot

    known = {s["student"] for s in roster(prefix)["students"]}
    unknown = [w for w in which if w not in known]
    if unknown:
        raise DevenvError(f"no student {', '.join(unknown)} in class {prefix!r}", hint=f"students: {', '.join(sorted(known))}")
    out = {}
    for name in which:
        on_event("resetting", {"student": name})
        out[name] = round(snapshot.restore(ctx, name, SNAPSHOT), 1)
    return out


def down(prefix: str, *, volumes: bool) -> list[str]:
    """Stop every student's cluster; with `volumes` also remove their data, their snapshots and the roster."""
    from devenv import cluster, snapshot
    from devenv.confine import safe_rmtree

    data = roster(prefix)
    removed: list[str] = []
    for s in data["students"]:
        try:
            removed += cluster.down(s["cluster"], volumes=volumes)
        except DevenvError:
            pass  # never started, or already gone
        if volumes and snapshot.root(s["cluster"]).exists():
            safe_rmtree(snapshot.root(s["cluster"]), paths().state / "snapshots")
    if volumes:
        roster_file(prefix).unlink(missing_ok=True)
    return removed


def html(st: dict[str, Any]) -> str:
    """A static page of the roster (one row per student: web UIs, JDBC URL, HDFS URI, health) to project or hand out."""
    from html import escape

    def links(web: dict[str, str]) -> str:
        return " ".join(f'<a href="{escape(u)}">{escape(name)}</a>' for name, u in sorted(web.items()))

    rows = "\n".join(
        f"<tr><td>{escape(r['student'])}</td><td class=\"{'ok' if r['ready'] else 'bad'}\">{escape(r['health'])}</td>"
        f"<td>{links(r['web'])}</td><td><code>{escape(r['jdbc'])}</code></td><td><code>{escape(r['hdfs'])}</code></td></tr>"
        for r in st["students"])
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>devenv class {escape(st['prefix'])}</title>
<style>body{{font-family:sans-serif}} td,th{{padding:4px 10px;text-align:left}} .ok{{color:#070}} .bad{{color:#a00}}</style></head>
<body><h1>Class {escape(st['prefix'])} (profile {escape(st['profile'])})</h1>
<table><tr><th>student</th><th>health</th><th>web UIs</th><th>HiveServer2 JDBC</th><th>HDFS</th></tr>
{rows}
</table></body></html>
"""
