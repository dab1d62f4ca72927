"""`devenv seed`: load TPC-H and the profile's `[[seed]]` steps into a running cluster, once.

The plan is the profile's steps in order, each with its paths relative to the
profile file that declares it; a profile without steps gets TPC-H at scale
0.01. Every step has a fingerprint: the sha256 of its definition and of the
files it reads. The record, `seed.json` in the cluster's state directory (so
`devenv down --volumes` deletes it with the data), keeps the fingerprint of
each step that finished; a step whose fingerprint is recorded is skipped. A
marker in HDFS ties the record to this cluster's HDFS: when it is gone (HDFS
formatted anew) the record is forgotten.

Data appears atomically: copies and TPC-H are written under /seed/.tmp and
renamed into place with `hdfs dfs -mv`; the previous version is moved aside
first and deleted only after the new one is in place.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import shlex
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from devenv import docker, tpch
from devenv.errors import DevenvError

if TYPE_CHECKING:
    from devenv.context import Context
    from devenv.profile import Profile

DEFAULT_SCALE = 0.01
TMP = "/seed/.tmp"
MARKER = "/seed/.devenv-seed-id"
BEELINE = "beeline -u jdbc:hive2://hiveserver2:10000/default -n hadoop --outputformat=csv2"
KINDS = ("dataset", "copy", "sql", "pyspark", "jar", "shell")
Emit = Callable[[str, dict[str, Any]], None]


@dataclass(frozen=True)
class Step:
    """One seed step: its place in the profile (None for the built-in default), name, kind and definition."""

    index: int | None
    name: str
    kind: str
    spec: Mapping[str, Any]
    base: Path

    @property
    def label(self) -> str:
        return f"seed[{self.index}] {self.name}" if self.index is not None else f"{self.name} (built-in default)"

    def path(self, key: str | None = None) -> Path:
        return (self.base / str(self.spec[key or self.kind])).resolve()

    def fingerprint(self) -> str:
        """sha256 of the definition and of every input file; a missing input raises, naming the step."""
        h = hashlib.sha256(json.dumps({"kind": self.kind, "spec": dict(self.spec),
                                       "generator": tpch.GENERATOR if self.kind == "dataset" else None},
                                      sort_keys=True, default=str).encode())
        if self.kind in ("copy", "sql", "pyspark", "jar"):
            src = self.path()
            if not src.exists():
                raise DevenvError(f"{self.label}: {self.kind} file not found: {src}",
                                  hint=f"paths in [[seed]] are relative to the profile file's directory ({self.base})")
            for f in ([src] if src.is_file() else sorted(p for p in src.rglob("*") if p.is_file())):
                h.update(f.relative_to(src.parent).as_posix().encode() + b"\0")
                with f.open("rb") as fh:
                    for chunk in iter(lambda: fh.read(1 << 20), b""):
                        h.update(chunk)
        return h.hexdigest()


def plan(profile: "Profile", *, tpch_scale: float | None = None, fmt: str | None = None,
         only: Sequence[str] = ()) -> list[Step]:
    """The steps to consider, in order: the profile's (TPC-H overridden by the options), or TPC-H alone."""
    steps: list[Step] = []
    seen: dict[str, int] = {}
    bases = _bases(profile)
    for i, raw in enumerate(profile.seeds):
        kind = next(k for k in KINDS if k in raw)
        spec = dict(raw)
        if kind == "dataset":
            spec.setdefault("scale", DEFAULT_SCALE)
            spec.setdefault("format", "parquet")
            spec.update({k: v for k, v in (("scale", tpch_scale), ("format", fmt)) if v is not None})
        elif kind == "copy" and not re.match(r"^(/|hdfs://)", str(spec["to"])):
            raise DevenvError(f"seed[{i}]: 'to' must be an absolute HDFS path such as /data/x, got {spec['to']!r}")
        name = str(spec.pop("name", None) or _default_name(kind, spec))
        seen[name] = seen.get(name, 0) + 1
        name = name if seen[name] == 1 else f"{name}-{seen[name]}"
        steps.append(Step(i, name, kind, spec, bases[i]))
    if not any(s.kind == "dataset" for s in steps) and (not steps or tpch_scale is not None or fmt is not None):
        spec = {"dataset": "tpch", "scale": tpch_scale or DEFAULT_SCALE, "format": fmt or "parquet"}
        steps.insert(0, Step(None, "tpch", "dataset", spec, Path(".")))
    if only:
        unknown = [n for n in only if n not in {s.name for s in steps}]
        if unknown:
            from devenv.errors import UsageError

            raise UsageError(f"--only: no seed step named {', '.join(map(repr, unknown))}",
                             hint=f"the steps: {', '.join(s.name for s in steps)}")
        steps = [s for s in steps if s.name in only]
    return steps


def _default_name(kind: str, spec: Mapping[str, Any]) -> str:
    if kind == "dataset":
        return str(spec["dataset"])
    if kind == "shell":
        return f"shell@{spec['service']}"
    return Path(str(spec[kind])).name


def _bases(profile: "Profile") -> list[Path]:
    """Each seed step's directory: that of the file in the `extends` chain that declares it (parents' steps first)."""
    from devenv.tomlsource import load

    fallback = [Path(str(profile.path)).parent] * len(profile.seeds)
    out: list[Path] = []
    try:
        for label in reversed(profile.chain):
            n = len(load(Path(label)).data.get("seed") or [])
            out += [Path(label).parent] * n
    except Exception:  # a built-in without a path, an unreadable parent: the profile's own directory
        return fallback
    return out if len(out) == len(fallback) else fallback


# --- the record --------------------------------------------------------------

def record_path(cluster: str) -> Path:
    from devenv.cluster import Cluster

    return Cluster(cluster).dir / "seed.json"


def load_record(cluster: str) -> dict[str, Any]:
    try:
        data = json.loads(record_path(cluster).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) and data.get("schema") == 1 else {}
    except (OSError, ValueError):
        return {}


def _save_record(cluster: str, rec: dict[str, Any]) -> None:
    p = record_path(cluster)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name("seed.json.tmp")
    tmp.write_text(json.dumps(rec, indent=1), encoding="utf-8")
    tmp.replace(p)


# --- running inside the cluster ------------------------------------------------

class StepFailed(DevenvError):
    pass


@dataclass
class Site:
    """The running cluster: its containers, a scratch directory in the edge node, HDFS scratch paths."""

    cluster: str
    containers: dict[str, str]
    edge: str
    token: str = field(default_factory=lambda: secrets.token_hex(6))

    @property
    def scratch(self) -> str:
        return f"/tmp/devenv-seed-{self.token}"

    def container(self, service: str) -> str:
        if service not in self.containers:
            raise DevenvError(f"cluster {self.cluster!r} has no service {service!r}",
                              hint=f"services: {', '.join(sorted(self.containers))}")
        return self.containers[service]

    def sh(self, script: str, *, service: str | None = None, what: str, tail: int = 25) -> str:
        """Run a bash script; its output (stdout and stderr) if it succeeds, else StepFailed with the tail."""
        wrapped = f"out=$( {{ set -o pipefail; {script}\n}} 2>&1 ); rc=$?; printf '%s\\n__devenv_rc=%d\\n' \"$out\" $rc"
        raw = docker.exec_in(self.container(service or self.edge), ["bash", "-c", wrapped])
        body, _, rc = raw.rstrip().rpartition("__devenv_rc=")
        if rc.strip() != "0":
            lines = [ln for ln in body.rstrip().splitlines() if ln.strip()]
            raise StepFailed(f"{what} failed (exit {rc.strip()})", details=lines[-tail:])
        return body

    def put(self, local: Path, remote: str) -> None:
        """Copy a host file or directory into the edge node's scratch directory, as `remote` (relative)."""
        docker.copy_to(self.container(self.edge), local, f"{self.scratch}/{remote}")

    def hdfs_replace(self, source: str, target: str) -> str:
        """Shell that renames `source` (HDFS) to `target`, moving an old `target` aside first and deleting it after."""
        old = f"{TMP}/{self.token}-old"
        parent = target.rstrip("/").rsplit("/", 1)[0] or "/"
        return (f"hdfs dfs -mkdir -p {shlex.quote(parent)} {TMP}"
                f" && {{ hdfs dfs -test -e {shlex.quote(target)} && hdfs dfs -mv {shlex.quote(target)} {old} || true; }}"
                f" && hdfs dfs -mv {shlex.quote(source)} {shlex.quote(target)}"
                f" && hdfs dfs -rm -r -f -skipTrash {old} >/dev/null")


def split_sql(text: str) -> list[tuple[int, str]]:
    """Statements of a SQL file with the line each starts on; comments dropped, quotes respected."""
    out: list[tuple[int, str]] = []
    buf: list[str] = []
    line, start = 1, None
    i, n = 0, len(text)
    quote: str | None = None
    while i < n:
        c = text[i]
        if quote:
            buf.append(c)
            if c == "\\" and i + 1 < n:
                buf.append(text[i + 1])
                line += text[i + 1] == "\n"
                i += 1
            elif c == quote:
                quote = None
        elif c in "'\"`":
            quote = c
            start = start or line
            buf.append(c)
        elif text.startswith("--", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            line += text.count("\n", i, j)
            i = j
            continue
        elif c == ";":
            if "".join(buf).strip():
                out.append((start or line, "".join(buf).strip()))
            buf, start = [], None
        else:
            if not c.isspace() and start is None:
                start = line
            if start is not None:
                buf.append(c)
        line += c == "\n"
        i += 1
    if "".join(buf).strip():
        out.append((start or line, "".join(buf).strip()))
    return out


def run_sql(site: Site, statements: list[tuple[int, str]], *, source: str, remote: str) -> str:
    """Run statements through HiveServer2 with beeline; on an error name the statement and its line in `source`."""
    with tempfile.TemporaryDirectory(prefix="devenv-seed-") as d:
        f = Path(d) / "script.sql"
        f.write_text("".join(s + ";\n" for _, s in statements), encoding="utf-8")
        site.put(f, remote)
    wrapped = f"out=$( {BEELINE} --silent=false -f {site.scratch}/{remote} 2>&1 ); rc=$?; printf '%s\\n__devenv_rc=%d\\n' \"$out\" $rc"
    raw = docker.exec_in(site.container(site.edge), ["bash", "-c", wrapped])
    body, _, rc = raw.rstrip().rpartition("__devenv_rc=")
    if rc.strip() == "0":
        return body
    done = len(re.findall(r"(No rows affected|\d+ rows? (selected|affected)) \(", body))
    err = next((ln[ln.index("Error: "):] for ln in body.splitlines() if "Error: " in ln), "")
    if done >= len(statements) or not err:
        lines = [ln for ln in body.splitlines() if ln.strip()]
        raise StepFailed(f"beeline failed (exit {rc.strip()})", details=lines[-20:])
    start, stmt = statements[done]
    m = re.search(r"[Ll]ine (\d+):(\d+)", err)
    at = start + int(m.group(1)) - 1 if m else start
    shown = stmt if len(stmt) < 400 else stmt[:400] + " ..."
    raise StepFailed(f"SQL error in statement {done + 1} at {source}:{at}",
                     details=[f"{start + k}: {ln}" for k, ln in enumerate(shown.splitlines())] + [err.removeprefix("Error: ")])


# --- the steps ------------------------------------------------------------------

def _run_step(site: Site, step: Step, ctx: "Context", phase: Callable[[str], None]) -> dict[str, Any]:
    """Do one step; returns what to record beside its fingerprint."""
    k, spec = step.kind, step.spec
    if k == "dataset":
        from devenv import tpch_load

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
        site.sh(f"cd {site.scratch} && spark-submit --name {shlex.quote('seed-' + step.name)} {cls}{remote} {args}",
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


def seed(ctx: "Context", cluster: str, *, only: Sequence[str] = (), force: bool = False, tpch_scale: float | None = None,
         fmt: str | None = None, on_event: Emit = lambda e, d: None) -> SeedResult:
    """Run the steps whose inputs changed since they were last seeded (all with `force`), in order."""
    started = time.monotonic()
    steps = plan(ctx.profile, tpch_scale=tpch_scale, fmt=fmt, only=only)
    site = _site(cluster)
    rec = load_record(cluster)
    marker = site.sh(f"hdfs dfs -cat {MARKER} 2>/dev/null || true", what="reading the seed marker in HDFS").strip()
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
                site.sh(f"mkdir -p {site.scratch}", what="creating a scratch directory")
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
