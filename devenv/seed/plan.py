"""Which seed steps there are, and when to seed: the plan (steps and their fingerprints) and the record of what is done.

The plan is the profile's steps in order, each with its paths relative to the
profile file that declares it; a profile without steps gets TPC-H at scale
0.01. Every step has a fingerprint: the sha256 of its definition and of the
files it reads. The record, `seed.json` in the cluster's state directory (so
`devenv down --volumes` deletes it with the data), keeps the fingerprint of
each step that finished; a step whose fingerprint is recorded is skipped.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from devenv.confine import hdfs_target_problem
from devenv.errors import DevenvError, UsageError
from devenv.seed import tpch

if TYPE_CHECKING:
    from devenv.profile import Profile

DEFAULT_SCALE = 0.01
KINDS = ("dataset", "copy", "sql", "pyspark", "jar", "shell")


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
        """The file the step reads, resolved; refused if it is not plain relative or leaves the profile's directory."""
        from devenv.confine import seed_file_problem, within

        value = str(self.spec[key or self.kind])
        path = within(self.base, value, f"{self.label}: {key or self.kind}")
        problem = seed_file_problem(key or self.kind, value, self.base)
        if problem:
            raise DevenvError(f"{self.label}: {key or self.kind}: {problem}")
        return path.resolve()

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
        elif kind == "copy" and hdfs_target_problem(str(spec["to"])):
            raise DevenvError(f"seed[{i}]: to: {hdfs_target_problem(str(spec['to']))}")
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
    from devenv import fsutil

    fsutil.atomic_write(record_path(cluster), json.dumps(rec, indent=1))



# --- when ------------------------------------------------------------------------

def first_start(profile: "Profile", name: str | None) -> bool:
    """True when no cluster of that name (default: the profile's) has state yet: the coming `up` creates it."""
    from devenv import cluster

    return not cluster.Cluster(cluster.cluster_name(name, profile)).state()


def should_seed_after_up(profile: "Profile", *, requested: bool, created: bool) -> bool:
    """Seed after `up`: when asked (`up --seed`), or on the start that created the cluster if the profile says seed_on_first_start."""
    return requested or (created and bool(profile.data.get("seed_on_first_start")))
