"""Which profile overrides reach the host's client configuration (`client/`, used after `devenv client-config`).

Inside the cluster every `[config.*]` override applies. On the host, the
client configuration is read by the user's own pyspark, hdfs and beeline, so
a committed profile must not be able to load a class, add a jar, pass JVM
options, redirect where data or credentials go, or touch security settings
there. Only an allow-list of plain client tuning keys reaches `client/`; a
deny-list of dangerous keys wins over it. Everything else stays inside the
cluster and `devenv client-config` lists it as a warning. Overrides that the
built-in profiles ship (devenv's own, unchanged by the profile) pass as they are.
"""

from __future__ import annotations

import dataclasses
import re
from fnmatch import fnmatchcase
from types import MappingProxyType
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from devenv.profile import Profile

# Plain client tuning, per file: nothing here names a class, a path on this machine or an address.
ALLOWED: dict[str, tuple[str, ...]] = {
    "core-site": ("fs.trash.interval", "fs.trash.checkpoint.interval", "fs.permissions.umask-mode",
                  "io.file.buffer.size", "io.compression.codecs"),
    "hdfs-site": ("dfs.client.*", "dfs.replication", "dfs.blocksize", "dfs.bytes-per-checksum"),
    "mapred-site": ("mapreduce.job.maps", "mapreduce.job.reduces", "mapreduce.job.queuename",
                    "mapreduce.job.reduce.slowstart.completedmaps", "mapreduce.map.memory.mb",
                    "mapreduce.reduce.memory.mb", "mapreduce.map.cpu.vcores", "mapreduce.reduce.cpu.vcores",
                    "mapreduce.task.io.sort.mb", "mapreduce.map.output.compress",
                    "mapreduce.output.fileoutputformat.compress", "mapreduce.output.fileoutputformat.compress.type"),
    "yarn-site": (),
    "capacity-scheduler": (),
    "hive-site": ("hive.exec.dynamic.partition", "hive.exec.dynamic.partition.mode",
                  "hive.exec.max.dynamic.partitions", "hive.exec.max.dynamic.partitions.pernode",
                  "hive.exec.compress.output", "hive.exec.compress.intermediate", "hive.exec.parallel",
                  "hive.exec.parallel.thread.number", "hive.exec.reducers.bytes.per.reducer",
                  "hive.exec.reducers.max", "hive.default.fileformat", "hive.default.fileformat.managed"),
    "spark-defaults": ("spark.sql.*", "spark.executor.memory", "spark.executor.cores", "spark.executor.instances",
                       "spark.executor.memoryOverhead", "spark.driver.memory", "spark.driver.cores",
                       "spark.driver.memoryOverhead", "spark.default.parallelism"),
}

# Never on the host, whatever the allow-list says: code, classpaths, JVM options, security, places.
DENIED: tuple[str, ...] = (
    "spark.jars*", "spark.plugins", "spark.*.extraclasspath", "spark.*.extrajavaoptions", "spark.*.extralibrarypath",
    "spark.files", "spark.archives", "spark.submit.pyfiles", "spark.sql.extensions", "spark.sql.catalog.*",
    "spark.sql.hive.metastore.*", "spark.sql.sources.*", "hadoop.security.*", "fs.*.impl", "hive.metastore.uris",
    "fs.defaultFS", "fs.default.name",
    "*.class", "*.classes", "*.factory", "*.impl", "*hook*", "*listener*", "*plugin*", "*extension*",
    "*provider*", "*password*", "*secret*", "*credential*", "*token*", "*keystore*", "*truststore*",
    "*.dir", "*location*", "*path*", "*address*", "*endpoint*", "*uri*", "*url*",
)
# camelCase endings that name a class (spark.sql.sources.commitProtocolClass, ...Listeners)
_CLASSY = re.compile(r"(class|classes|factory|impl)$", re.IGNORECASE)


class Dropped(NamedTuple):
    file: str
    key: str
    reason: str


def verdict(file: str, key: str) -> str | None:
    """None when `key` of `file` may reach the host; otherwise why not."""
    low = key.lower()
    if _CLASSY.search(low.rsplit(".", 1)[-1]) or any(fnmatchcase(low, d.lower()) for d in DENIED):
        return "could run code or redirect data on this machine"
    if any(fnmatchcase(low, a.lower()) for a in ALLOWED.get(file, ())):
        return None
    return "not a client setting devenv passes to host tools"


def host_profile(profile: "Profile") -> tuple["Profile", list[Dropped]]:
    """The profile with only the allowed overrides (for rendering client/), and what was kept out."""
    kept: dict[str, dict[str, object]] = {}
    dropped: list[Dropped] = []
    shipped = _builtin_config(profile)
    for file, props in profile.config.items():
        kept[file] = {}
        for key, value in props.items():
            ours = key in shipped.get(file, {}) and shipped[file][key] == value
            why = None if ours else verdict(file, key)
            if why is None:
                kept[file][key] = value
            else:
                dropped.append(Dropped(file, key, why))
    data = MappingProxyType({**profile.data, "config": kept})
    return dataclasses.replace(profile, data=data), dropped


def _builtin_config(profile: "Profile") -> dict[str, dict[str, object]]:
    """The `[config.*]` that the built-in files of the profile's `extends` chain set."""
    from pathlib import Path

    from devenv import schema
    from devenv.profile import builtin_dir
    from devenv.tomlsource import load

    root = builtin_dir().resolve()
    out: dict[str, dict[str, object]] = {}
    for label in reversed(profile.chain):
        path = Path(label)
        if label == "<built-in>" or not path.resolve().is_relative_to(root):
            continue
        for file, props in (schema.normalise(load(path).data).get("config") or {}).items():
            out.setdefault(file, {}).update(props)
    return out
