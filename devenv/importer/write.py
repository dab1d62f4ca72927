"""The imported profile as text: tomlkit, with a comment on every pin, scaled value and dropped group."""

from __future__ import annotations

from typing import Any

import tomlkit
from tomlkit.items import Item

from devenv import compat
from devenv.importer import Imported, rules

_ORDER = ("core-site", "hdfs-site", "yarn-site", "mapred-site", "capacity-scheduler", "hive-site", "spark-defaults")


def _item(value: Any, comment: str = "") -> Item:
    it = tomlkit.item(value)
    if comment:
        it.comment(comment)
    return it


def render(imp: Imported, base: Any) -> str:
    """The profile text for `imp`, extending the resolved profile `base`."""
    doc = tomlkit.document()
    doc.add(tomlkit.comment(f"devenv profile imported from production's client configuration ({imp.source}).")
            )
    doc.add(tomlkit.comment("Kept: what a developer can observe. Scaled: production's sizes, to this profile's budget."))
    doc.add(tomlkit.comment("Dropped, with why, at the end. Compare with: devenv profile diff default " + imp.name))
    doc.add("schema", 1)
    doc.add("name", imp.name)
    doc.add("description", f"Imported from {imp.source}")
    doc.add("extends", imp.extends)
    doc.add(tomlkit.nl())
    doc.add("versions", _versions(imp, base))
    doc.add(tomlkit.nl())
    doc.add("production", _production(imp, base))
    config = tomlkit.table(is_super_table=True)
    for file in _ORDER:
        rows = [s for s in imp.settings if s.file == file]
        if rows:
            t = tomlkit.table()
            for s in rows:
                t.add(s.name, _item(s.value, s.comment))
            config.add(file, t)
    if config:
        doc.add(tomlkit.nl())
        doc.add("config", config)
    return tomlkit.dumps(doc).rstrip("\n") + "\n" + _dropped(imp)


def _versions(imp: Imported, base: Any) -> Any:
    t = tomlkit.table()
    if not imp.pins:
        t.add(tomlkit.comment(f"no versions given (--versions): {base.name}'s pins apply"))
    spark = None
    for pin in imp.pins:
        t.add(pin.component, _item(pin.chosen, pin.comment))
        spark = pin.chosen if pin.component == "spark" else spark
    if spark:
        scala = compat.SPARK_SCALA[compat.line_of(spark)]
        if base.versions.get("scala") != scala:
            t.add("scala", _item(scala, f"the pyspark {compat.line_of(spark)} distribution is built for Scala {scala}"))
    return t


def _production(imp: Imported, base: Any) -> Any:
    t = tomlkit.table()
    t.comment("what the import measured: `devenv jobs` uses it for the production view")
    p = imp.production
    node = p.get("nodemanager_memory_mb")
    yarn = base.resources["yarn_memory"]
    why = (f"{yarn} per NodeManager here / {node} MB in production: absolute sizes below are multiplied by it"
           if node else "production's NodeManager memory is unknown: sizes are only kept within this cluster")
    t.add("factor", _item(p["factor"], why))
    for key, what in (("nodemanager_memory_mb", "yarn.nodemanager.resource.memory-mb in production"),
                      ("maximum_allocation_mb", "production's largest container (yarn.scheduler.maximum-allocation-mb)"),
                      ("cluster_memory_mb", "production's root queues in absolute units add up to this")):
        if key in p:
            t.add(key, _item(p[key], what))
    return t


def _dropped(imp: Imported) -> str:
    """One comment block per group: why, then each property with where it was (secrets: the key only)."""
    out: list[str] = []
    for group, why in rules.GROUPS.items():
        props = imp.dropped.get(group)
        if not props:
            continue
        out.append(f"\n# Dropped ({group}): {why}.\n")
        out += [f"#   {p.where} {p.name}\n" for p in props]
    return "".join(out)
