"""`devenv seed`: load TPC-H and the profile's `[[seed]]` steps into a running cluster, once.

The steps to run come from `devenv.seed.plan` (a step whose fingerprint is in
the record is skipped). A marker in HDFS ties the record to this cluster's
HDFS: when it is gone (HDFS formatted anew) the record is forgotten.
"""

from __future__ import annotations

import secrets
import shlex
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Sequence

from devenv import docker
from devenv.errors import DevenvError
from devenv.seed import tpch_load
from devenv.seed.plan import Step, _save_record, load_record, plan
from devenv.seed.site import TMP, Site, run_sql, split_sql

if TYPE_CHECKING:
    from devenv.context import Context

MARKER = "/seed/.devenv-seed-id"
Emit = Callable[[str, dict[str, Any]], None]


def _run_step(site: Site, step: Step, ctx: "Context", phase: Callable[[str], None]) -> dict[str, Any]:
    """Do one step; returns what to record beside its fingerprint."""
    k, spec = step.kind, step.spec
    if k == "dataset":
        return tpch_load.load(site, ctx, float(spec["scale"]), str(spec["format"]), phase)
    if k == "copy":
        src, to = step.path(), str(spec["to"])
        phase(f"copying {src.name} to HDFS {to}")
        site.put(src, f"copy-{step.index}")
        tmp = f"{TMP}/{site.token}-{step.index}"
        site.sh(f"hdfs dfs -mkdir -p {TMP} && hdfs dfs -put {site.scratch}/copy-{step.index} {tmp} && {site.hdfs_replace(tmp, to)}",
                what=f"copying {src.name} to {to}")
        return {"to": to}
    if k == "sql":
        src = step.path()
        statements = split_sql(src.read_text(encoding="utf-8"))
        phase(f"running {len(statements)} statements of {src.name} through HiveServer2")
        run_sql(site, statements, source=src.name, remote=f"sql-{step.index}.sql")
        return {"statements": len(statements)}
    if k in ("pyspark", "jar"):
        src = step.path()
        phase(f"submitting {src.name} to YARN")
        remote = f"{k}-{step.index}-{src.name}"
        site.put(src, remote)
        cls = f"--class {shlex.quote(str(spec['class']))} " if k == "jar" and spec.get("class") else ""
        args = " ".join(shlex.quote(str(a)) for a in spec.get("args", []))
        site.sh(f"cd {site.scratch} && spark-submit --name {shlex.quote('seed-' + step.name)} {cls}{shlex.quote(remote)} {args}",
                what=f"the {'PySpark script' if k == 'pyspark' else 'jar'} {src.name} (log tail below)", tail=30)
        return {}
    service = str(spec["service"])
    phase(f"running a shell command in {service}")
    site.sh(str(spec["shell"]), service=service, what=f"the shell command in {service}")
    return {}


def _site(cluster: str) -> Site:
    conts = {c.service: c.name for c in docker.containers(cluster) if c.state == "running"}
    need = [s for s in ("namenode", "hiveserver2", "metastore") if s not in conts]
    edge = "spark-history" if "spark-history" in conts else next((s for s in sorted(conts) if s.startswith("nodemanager")), None)
    if not conts or need or edge is None:
        what = "is not running" if not conts else f"is missing {', '.join(need) or 'an edge node (spark-history or a nodemanager)'}"
        raise DevenvError(f"cluster {cluster!r} {what}", hint=f"start it first: devenv up --name {cluster}")
    return Site(cluster, conts, edge)


@dataclass
class SeedResult:
    cluster: str
    seeded: list[str]
    skipped: list[str]
    seconds: float
    record: dict[str, Any]


def seed(ctx: "Context", cluster: str, **options: Any) -> SeedResult:
    """Run the steps whose inputs changed since they were last seeded (all with `force`), in order.

    Holds the cluster's lock: one process at a time changes a cluster (see `devenv.cluster_lock`).
    """
    from devenv.cluster_lock import changing

    with changing(cluster):
        return _seed(ctx, cluster, **options)


def _seed(ctx: "Context", cluster: str, *, only: Sequence[str] = (), force: bool = False, tpch_scale: float | None = None,
          fmt: str | None = None, on_event: Emit = lambda e, d: None) -> SeedResult:
    started = time.monotonic()
    steps = plan(ctx.profile, tpch_scale=tpch_scale, fmt=fmt, only=only)
    site = _site(cluster)
    rec = load_record(cluster)
    marker = site.sh(f"hdfs dfs -cat {MARKER} 2>/dev/null || true", what="reading the seed marker in HDFS", idempotent=True).strip()
    if rec.get("steps") and rec.get("hdfs_id") != marker:
        on_event("forgotten", {"reason": "HDFS does not hold the data of the last seed (formatted anew); seeding everything"})
        rec = {}
    rec = rec or {"schema": 1, "cluster": cluster, "hdfs_id": marker or secrets.token_hex(8), "steps": {}}
    prints: dict[str, str | DevenvError] = {}
    for s in steps:
        try:
            prints[s.name] = s.fingerprint()
        except DevenvError as e:
            prints[s.name] = e
    state = {s.name: ("forced" if force and s.name in rec["steps"] else "new" if s.name not in rec["steps"]
                      else "unchanged" if rec["steps"][s.name].get("fingerprint") == prints[s.name] else "changed") for s in steps}
    on_event("plan", {"cluster": cluster, "steps": [{"step": s.label, "name": s.name, "kind": s.kind, "state": state[s.name]} for s in steps]})
    seeded, skipped = [], []
    try:
        for s in steps:
            if state[s.name] == "unchanged":
                skipped.append(s.name)
                on_event("step", {"step": s.label, "name": s.name, "state": "unchanged"})
                continue
            fp = prints[s.name]
            if isinstance(fp, DevenvError):
                raise fp
            on_event("step", {"step": s.label, "name": s.name, "state": "running"})
            t0 = time.monotonic()
            try:
                if marker != rec["hdfs_id"]:
                    site.sh(f"hdfs dfs -mkdir -p /seed && echo {rec['hdfs_id']} | hdfs dfs -put -f - {MARKER}", what="writing the seed marker")
                    marker = rec["hdfs_id"]
                site.sh(f"mkdir -p {site.scratch}", what="creating a scratch directory", idempotent=True)
                info = _run_step(site, s, ctx, lambda text, s=s: on_event("phase", {"step": s.label, "name": s.name, "phase": text}))
            except DevenvError as e:
                raise DevenvError(f"{s.label}: {e.message}", details=e.details,
                                  hint=e.hint or f"fix it and run devenv seed again: steps already seeded are kept{' and skipped' if seeded else ''}") from None
            secs = time.monotonic() - t0
            rec["steps"][s.name] = {"kind": s.kind, "fingerprint": fp, "seconds": round(secs, 2),
                                    "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **info}
            _save_record(cluster, rec)
            seeded.append(s.name)
            on_event("step", {"step": s.label, "name": s.name, "state": "done", "seconds": round(secs, 2), **info})
    finally:
        try:
            docker.exec_in(site.container(site.edge), ["rm", "-rf", site.scratch], user="root")
        except DevenvError:
            pass
    return SeedResult(cluster, seeded, skipped, time.monotonic() - started, rec)
