"""`devenv profile import`: a commented profile from production's own client configuration.

`build()` reads the conf dir (confread), sorts every property by the rule table
(rules), scales production's sizes to the laptop (scale), pins the versions
(versions) and returns an `Imported`; `write.render()` turns it into the profile
text. Nothing here writes a file or talks to Docker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devenv import compat, schema
from devenv.importer import confread, rules, scale, versions
from devenv.importer.confread import Prop


@dataclass(frozen=True)
class Setting:
    """One `[config.<file>]` override the profile gets, with the comment saying where it came from."""

    file: str
    name: str
    value: Any
    comment: str


@dataclass
class Imported:
    name: str
    source: str                    # the conf dir's name, as the profile mentions it
    extends: str
    pins: list[versions.Pin]
    settings: list[Setting]
    dropped: dict[str, list[Prop]]  # group -> properties
    production: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    @property
    def secrets(self) -> list[Prop]:
        return self.dropped.get("secrets", [])


def _typed(value: str) -> Any:
    """XML text -> a TOML value: true/false and plain whole numbers get their type; anything else stays text."""
    if value in ("true", "false"):
        return value == "true"
    if re.fullmatch(r"[1-9]\d{0,15}|0", value):
        return int(value)
    return value


def source_name(conf_dir: Path) -> str:
    """How the profile names the conf dir: its name, with its parent's when it is just `conf` (bank-etl/conf)."""
    d = conf_dir.resolve()
    return f"{d.parent.name}/{d.name}" if d.name in ("conf", "etc", "hadoop") and d.parent.name else d.name


def base_for(found: dict[str, str]) -> str:
    """The built-in profile to extend: Hive 3.1 needs the Java 8 line."""
    hive = found.get("hive")
    return "legacy" if hive and compat.line_of(versions.release(hive)) == "3.1" else "default"


def budget_of(base: Any) -> tuple[scale.Budget, int]:
    """The laptop's budget and its largest container, from the resolved base profile."""
    res, topo = base.resources, base.topology
    yarn_mb = schema.parse_memory(res["yarn_memory"]) or 0
    max_alloc = int(str(base.config.get("yarn-site", {}).get("yarn.scheduler.maximum-allocation-mb", yarn_mb)))
    return scale.Budget(yarn_mb, int(res["yarn_vcores"]), int(topo["nodemanagers"])), min(max_alloc, yarn_mb)


def build(conf_dir: Path, name: str, found_versions: dict[str, str], base: Any) -> Imported:
    """Sort, scale and pin everything in `conf_dir` for a profile named `name` extending `base` (a Profile)."""
    props = {(p.file, p.name): p for p in confread.read_dir(conf_dir)}  # a repeated property: the last one wins
    values = {k: p.value for k, p in props.items()}
    budget, max_alloc = budget_of(base)
    node_mb, _ = scale.node_memory(values)
    f = scale.factor_for(budget, node_mb)
    cs = {n: v for (file, n), v in values.items() if file == "capacity-scheduler"}
    qf = scale.queue_factor(cs, budget)
    out = Imported(name, source_name(conf_dir), base.name, _pins(found_versions), [], {}, {})
    for (file, key), prop in props.items():
        setting = _sort(prop, f, budget, max_alloc, qf, out)
        if setting:
            out.settings.append(setting)
    out.settings += _added(values, out)
    out.production = _production(values, f, budget, node_mb, qf)
    return out


def _sort(prop: Prop, f: float, budget: scale.Budget, max_alloc: int, qf: dict[str, float] | None, out: Imported) -> Setting | None:
    rule = rules.classify(prop.file, prop.name)
    if rule is None and rules.is_secret_value(prop.value):
        rule = rules.Rule((), "", rules.SECRET, "secrets")
    if rule is None:
        return Setting(prop.file, prop.name, _typed(prop.value), prop.where)
    if rule.action in (rules.DROP, rules.SECRET):
        out.dropped.setdefault(rule.group, []).append(prop)
        return None
    scaled = scale.queue_resources(prop.value, qf) if rule.group == "queue-capacity" and qf else None
    scaled = scaled or scale.scale(rule.group, prop.name, prop.value, f, budget, max_alloc)
    if scaled is None:
        return Setting(prop.file, prop.name, _typed(prop.value), prop.where)
    return Setting(prop.file, prop.name, scaled.value, f"{scaled.comment} ({prop.where})")


def _added(values: dict[tuple[str, str], str], out: Imported) -> list[Setting]:
    """What replaces a dropped setting so that the behaviour stays: dynamic allocation without the shuffle service."""
    dyn = values.get(("spark-defaults", "spark.dynamicAllocation.enabled"), "").strip() == "true"
    ess = values.get(("spark-defaults", "spark.shuffle.service.enabled"), "").strip() == "true"
    tracking = ("spark-defaults", "spark.dynamicAllocation.shuffleTracking.enabled")
    if dyn and ess and tracking not in values:
        return [Setting(*tracking, True, "added: production's dynamic allocation relies on the external shuffle service, "
                        "which devenv does not run; shuffle tracking keeps executors that hold shuffle data instead")]
    return []


def _production(values: dict[tuple[str, str], str], f: float, budget: scale.Budget, node_mb: int | None,
                qf: dict[str, float] | None) -> dict[str, Any]:
    prod: dict[str, Any] = {"factor": f}
    if node_mb:
        prod["nodemanager_memory_mb"] = node_mb
    max_alloc = values.get(("yarn-site", "yarn.scheduler.maximum-allocation-mb"), "")
    if max_alloc.strip().isdigit():
        prod["maximum_allocation_mb"] = int(max_alloc)
    if qf and "memory" in qf:
        prod["cluster_memory_mb"] = round(budget.total_mb / qf["memory"])  # root's absolute children, added up
    return prod


def _pins(found: dict[str, str]) -> list[versions.Pin]:
    pins = []
    for comp in ("hadoop", "hive", "spark"):
        if comp in found:
            pins.append(versions.choose(comp, found[comp]))
    return pins
