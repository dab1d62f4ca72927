"""`devenv profile upgrade`: a candidate profile beside the current one, with other versions, and why each changes.

The candidate is the current file with its `[versions]` replaced (comments and
everything else kept), a header saying what changes and why (from compat's
tables), and `extends` unchanged. It is validated like any profile; its lock is
written beside it by the same resolver `devenv lock` uses. Accepting the upgrade
is replacing the profile and its lock together; rejecting it is deleting both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import tomlkit

from devenv import compat, fsutil
from devenv import profile as prof
from devenv.errors import DevenvError

PINNED = ("java", "hadoop", "hive", "spark", "scala", "tez", "postgres")


class Change(NamedTuple):
    component: str
    old: str | None
    new: str
    why: str


@dataclass(frozen=True)
class Plan:
    current: Path
    candidate: Path
    versions: dict[str, str]
    changes: list[Change]


def target_versions(to: str) -> dict[str, str]:
    """`spark=4.1.1,hadoop=3.4.2`, or a profile name or path whose resolved versions are the target."""
    if "=" in to:
        pairs = [p.split("=", 1) for p in to.split(",") if p.strip()]
        bad = [k for k, _ in pairs if k.strip() not in PINNED]
        if bad:
            raise DevenvError(f"--to: unknown component {bad[0]!r}", hint=f"components: {', '.join(PINNED)}")
        return {k.strip(): v.strip() for k, v in pairs}
    return dict(prof.load_profile(prof.select(to)[0]).versions)


def why(component: str, old: str | None, new: str, versions: dict[str, str]) -> str:
    """Why this version, from compat's tables: the Java it needs, the metastores and Scala it goes with."""
    if old and compat.line_of(old) == compat.line_of(new):
        return f"a patch release in the {compat.line_of(new)} line"
    parts = []
    support = compat.java_for(component, new)
    if support:
        parts.append(support.reason)
    if component == "spark":
        lo, hi = compat.SPARK_METASTORE[compat.line_of(new)]
        parts.append(f"talks to Hive metastores {lo} to {hi}; its pyspark is built for Scala {compat.SPARK_SCALA[compat.line_of(new)]}")
    return f"{'a new release line' if old else 'newly pinned'}: " + ("; ".join(parts) or "see devenv's compatibility table")


def plan(current: Path, to: str) -> Plan:
    """What the candidate for `current` with the versions of `to` pins, and each change with its reason."""
    now = dict(prof.load_profile(current).versions)
    target = target_versions(to)
    versions = {**now, **{k: v for k, v in target.items() if k in PINNED}}
    changes = [Change(k, now.get(k), v, why(k, now.get(k), v, versions)) for k, v in versions.items() if now.get(k) != v]
    if not changes:
        raise DevenvError(f"{current} already pins these versions", hint="nothing to rehearse; give other versions with --to")
    stem = re.sub(r"\.candidate$", "", current.stem)
    return Plan(current, current.with_name(f"{stem}.candidate.toml"), versions, changes)


def write_candidate(p: Plan) -> Path:
    """The candidate file, validated (compat's located errors if the versions do not run together)."""
    doc = tomlkit.parse(p.current.read_text(encoding="utf-8"))
    table = doc.get("versions")
    if table is None:
        table = tomlkit.table()
        doc.add("versions", table)
    for c in p.changes:
        table[c.component] = c.new
        table[c.component].comment(f"was {c.old or 'inherited'}: {c.why}")
    head = [f"# Upgrade candidate for {p.current.name} (devenv profile upgrade). Run your tests against both;",
            f"# accept: mv {p.candidate.name} {p.current.name} and its .lock likewise, commit both; reject: delete both."]
    text = "\n".join(head) + "\n" + tomlkit.dumps(doc)
    fsutil.write_validated(p.candidate, text, prof.load_profile)
    return p.candidate
