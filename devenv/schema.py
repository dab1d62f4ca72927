"""The shape of a profile (schema 1) and of the user config, and the checks on it.

`check(data, SPEC)` walks a parsed TOML document and returns every problem as
(key path, message): unknown keys with a did-you-mean, wrong types, bad values.
Meaning across keys (versions that work together) lives in `compat`.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from devenv.compat import PLATFORMS
from devenv.confine import control_character, hdfs_target_problem, relative_path_problem
from devenv.tomlsource import KeyPath

Problem = tuple[KeyPath, str]

SCHEMA_VERSION = 1
# A profile or cluster name: it names hosts, the Compose project, networks and volumes.
NAME_PATTERN = r"[a-z0-9][a-z0-9-]{0,39}"

CONFIG_FILES = (
    "core-site",
    "hdfs-site",
    "yarn-site",
    "mapred-site",
    "capacity-scheduler",
    "hive-site",
    "spark-defaults",
)

# Services whose memory a profile sets; the counted ones run once per datanode / nodemanager.
SERVICES = (
    "namenode",
    "datanode",
    "resourcemanager",
    "nodemanager",
    "historyserver",
    "spark-history",
    "metastore-db",
    "metastore",
    "hiveserver2",
    "gateway",
)
OPTIONAL_SERVICES = ("historyserver", "spark-history", "hiveserver2", "gateway")

_MEM = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$", re.IGNORECASE)
_FACTOR = {"": 1 / (1024 * 1024), "k": 1 / 1024, "m": 1, "g": 1024, "t": 1024 * 1024}


def parse_memory(value: str) -> int | None:
    """'512m', '2g', '1.5G', '2GiB' -> megabytes; None if unreadable."""
    m = _MEM.match(value)
    if not m:
        return None
    mb = float(m.group(1)) * _FACTOR[m.group(2).lower()]
    return int(mb)


def _type_name(value: Any) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
            list: "an array", dict: "a table"}.get(type(value), type(value).__name__)


@dataclass(frozen=True)
class Field:
    """A scalar key: its type, and an optional value check returning an error or None."""

    types: tuple[type, ...]
    describe: str
    check: Callable[[Any], str | None] | None = None

    def validate(self, value: Any, path: KeyPath) -> list[Problem]:
        ok = isinstance(value, self.types) and not (isinstance(value, bool) and bool not in self.types)
        if not ok:
            return [(path, f"must be {self.describe}, not {_type_name(value)} ({value!r})")]
        if self.check:
            msg = self.check(value)
            if msg:
                return [(path, msg)]
        return []


@dataclass(frozen=True)
class Table:
    fields: dict[str, Any]
    required: tuple[str, ...] = ()
    # Free-form tables (Hadoop properties): any key, values checked by `values`.
    values: Field | None = None
    describe: str = "a table"


@dataclass(frozen=True)
class ArrayOfTables:
    item: Table
    item_check: Callable[[dict[str, Any]], list[tuple[str, str]]] | None = None


def _int_range(lo: int, hi: int) -> Callable[[Any], str | None]:
    return lambda v: None if lo <= v <= hi else f"must be between {lo} and {hi}, got {v}"


def _memory(v: Any) -> str | None:
    mb = parse_memory(v)
    if mb is None:
        return f"must be a size such as \"512m\" or \"2g\", got {v!r}"
    if mb < 64:
        return f"{v!r} is {mb} MB; at least 64m is needed"
    return None


def _version(v: Any) -> str | None:
    return None if re.fullmatch(r"\d+(\.\d+){0,2}", str(v)) else f"must be a version such as \"3.4.2\", got {v!r}"


def _bind(v: Any) -> str | None:
    try:
        ipaddress.ip_address(v)
    except ValueError:
        return f"must be an IP address such as \"127.0.0.1\", got {v!r}"
    return None


def _allow_bind(v: Any) -> str | None:
    bad = [a for a in v if not isinstance(a, str) or _bind(a)]
    return f"must be IP addresses such as \"0.0.0.0\", got {bad[0]!r}" if bad else None


def _url(v: Any) -> str | None:
    return None if re.match(r"^(https?|file)://", v) else f"must be an http(s):// or file:// URL, got {v!r}"


STR = Field((str,), "a string")
VERSION = Field((str,), 'a version string such as "3.4.2"', _version)
PLATFORM = Field((str,), 'a platform such as "linux/arm64"', lambda v: None if v in PLATFORMS else f"must be one of {', '.join(PLATFORMS)}, got {v!r}")
JAVA = Field((str, int), 'a Java major version such as "17"', lambda v: None if re.fullmatch(r"\d+", str(v)) else f"must be a Java major version such as \"17\", got {v!r}")
MEMORY = Field((str,), 'a size string such as "512m"', _memory)
BOOL = Field((bool,), "true or false")


def _property(v: Any) -> str | None:
    bad = control_character(v) if isinstance(v, str) else None
    return f"must not contain control characters ({bad}): it would add lines to the generated file" if bad else None


def _whole(v: Any) -> str | None:
    return None if re.fullmatch(r"\d+", str(v)) and int(str(v)) >= 1 else f"must be a whole number of at least 1, got {v!r}"


PROPERTY = Field((str, int, float, bool), "a string, number or boolean", _property)
WHOLE = Field((int, str), "a whole number", _whole)
# Properties devenv reads itself: their values must have the right type before any check compares them.
TYPED_PROPERTIES: dict[str, dict[str, Any]] = {
    "hdfs-site": {"dfs.replication": WHOLE},
    "yarn-site": {"yarn.scheduler.minimum-allocation-mb": WHOLE, "yarn.scheduler.maximum-allocation-mb": WHOLE,
                  "yarn.nodemanager.resource.memory-mb": WHOLE},
}
URL = Field((str,), "a URL", _url)

SEED_ACTIONS = ("dataset", "copy", "sql", "pyspark", "jar", "shell")
SEED_FILES = ("copy", "sql", "pyspark", "jar")  # the actions that read a file beside the profile


def _seed_check(item: dict[str, Any]) -> list[tuple[str, str]]:
    actions = [a for a in SEED_ACTIONS if a in item]
    if not actions:
        return [("", f"needs one of {', '.join(SEED_ACTIONS)}")]
    if len(actions) > 1:
        return [(actions[1], f"a seed step does one thing; it has both {actions[0]!r} and {actions[1]!r}: split it into two [[seed]] entries")]
    action = actions[0]
    problems: list[tuple[str, str]] = []
    needs = {"copy": ["to"], "shell": ["service"]}.get(action, [])
    for key in needs:
        if key not in item:
            problems.append(("", f"a {action!r} step needs {key!r}"))
    if "dataset" in item and item["dataset"] != "tpch":
        problems.append(("dataset", f"unknown dataset {item['dataset']!r}; built-in datasets: tpch"))
    if action in SEED_FILES and isinstance(item[action], str):
        msg = relative_path_problem(item[action], file_names=True)
        if msg:
            problems.append((action, f"{msg}; seed paths are relative to the profile's directory"))
    if action == "copy" and isinstance(item.get("to"), str) and re.match(r"^(/|hdfs://)", item["to"]):
        msg = hdfs_target_problem(item["to"])
        if msg:
            problems.append(("to", msg))
    return problems


PROFILE = Table(
    required=("schema", "name"),
    fields={
        "schema": Field((int,), "an integer", lambda v: None if v == SCHEMA_VERSION else f"this devenv reads schema {SCHEMA_VERSION}; got {v}"),
        "name": Field((str,), "a string", lambda v: None if re.fullmatch(NAME_PATTERN, v) else f"must be lower-case letters, digits and '-' (a valid host and project name), got {v!r}"),
        "description": STR,
        "extends": STR,
        "versions": Table(
            {"java": JAVA, "hadoop": VERSION, "hive": VERSION, "spark": VERSION, "scala": VERSION, "tez": VERSION, "postgres": VERSION},
        ),
        "images": Table({"base": STR, "java_package": STR, "db_base": STR, "platform": PLATFORM}),
        "topology": Table(
            {
                "datanodes": Field((int,), "an integer", _int_range(1, 9)),
                "nodemanagers": Field((int,), "an integer", _int_range(1, 9)),
                "services": Table({s: BOOL for s in OPTIONAL_SERVICES}),
            }
        ),
        "resources": Table(
            {
                "total": MEMORY,
                "yarn_memory": MEMORY,
                "yarn_vcores": Field((int,), "an integer", _int_range(1, 64)),
                "memory": Table({s: MEMORY for s in SERVICES}),
            }
        ),
        "network": Table(
            {
                "bind": Field((str,), "an IP address", _bind),
                "port_base": Field((int,), "an integer", _int_range(1024, 65000)),
            }
        ),
        "config": Table({f: Table(TYPED_PROPERTIES.get(f, {}), values=PROPERTY) for f in CONFIG_FILES}),
        "sources": Table({"maven": URL, "pypi": URL, "debian": URL}),
        "seed": ArrayOfTables(
            Table(
                {
                    "name": STR,
                    "dataset": STR,
                    "scale": Field((int, float), "a number", lambda v: None if 0 < v <= 100 else f"must be > 0 and <= 100, got {v}"),
                    "format": Field((str,), "a string", lambda v: None if v in ("parquet", "csv") else f"must be \"parquet\" or \"csv\", got {v!r}"),
                    "copy": STR,
                    "to": STR,
                    "sql": STR,
                    "pyspark": STR,
                    "jar": STR,
                    "class": STR,
                    "args": Field((list,), "an array of strings"),
                    "shell": STR,
                    "service": STR,
                }
            ),
            item_check=_seed_check,
        ),
        "seed_on_first_start": BOOL,
        "production": Table(
            {
                "factor": Field((int, float), "a number", lambda v: None if 0 < v <= 1000 else f"must be > 0, got {v}"),
                "nodemanager_memory_mb": Field((int,), "an integer", _int_range(1, 1 << 30)),
                "maximum_allocation_mb": Field((int,), "an integer", _int_range(1, 1 << 30)),
                "cluster_memory_mb": Field((int,), "an integer", _int_range(1, 1 << 40)),
                "nodemanagers": Field((int,), "an integer", _int_range(1, 100_000)),
            }
        ),
    },
)

USER_CONFIG = Table(
    {
        "sources": Table({"maven": URL, "pypi": URL, "debian": URL}),
        "proxy": Table({"http": STR, "https": STR, "no_proxy": STR}),
        "tls": Table({"ca_certificates": Field((list,), "an array of file paths")}),
        "network": Table({"allow_bind": Field((list,), "an array of IP addresses", _allow_bind)}),
    }
)


def _flatten_properties(value: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Unquoted dotted keys (`fs.trash.interval = 1`) parse as nested tables: join them back."""
    out: dict[str, Any] = {}
    for k, v in value.items():
        name = f"{prefix}.{k}" if prefix else k
        if isinstance(v, dict):
            out.update(_flatten_properties(v, name))
        else:
            out[name] = v
    return out


def normalise(data: dict[str, Any]) -> dict[str, Any]:
    """Config tables flattened to property names; everything else as parsed."""
    config = data.get("config")
    if isinstance(config, dict):
        data = dict(data)
        data["config"] = {f: (_flatten_properties(v) if isinstance(v, dict) else v) for f, v in config.items()}
    return data


def check(data: Any, spec: Table, path: KeyPath = ()) -> list[Problem]:
    """Every structural problem in `data` against `spec`."""
    if not isinstance(data, dict):
        return [(path, f"must be {spec.describe}, not {_type_name(data)} ({data!r})")]
    problems: list[Problem] = []
    for key in spec.required:
        if key not in data:
            problems.append((path, f"missing required key {key!r}"))
    for key, value in data.items():
        sub = (*path, key)
        if spec.values is not None:
            if isinstance(value, list) or isinstance(value, dict):
                problems.append((sub, f"must be {spec.values.describe}, not {_type_name(value)}"))
            else:
                problems.extend(spec.fields.get(key, spec.values).validate(value, sub))
            bad = control_character(key)
            if bad:
                problems.append((sub, f"a property name must not contain control characters ({bad})"))
            continue
        if key not in spec.fields:
            problems.append((sub, _unknown(key, spec.fields, path)))
            continue
        problems.extend(_check_value(value, spec.fields[key], sub))
    return problems


def _check_value(value: Any, fspec: Any, path: KeyPath) -> list[Problem]:
    if isinstance(fspec, Table):
        return check(value, fspec, path)
    if isinstance(fspec, ArrayOfTables):
        if not isinstance(value, list):
            return [(path, f"must be an array of tables ([[{path[-1]}]] entries), not {_type_name(value)}")]
        out: list[Problem] = []
        for i, item in enumerate(value):
            out.extend(check(item, fspec.item, (*path, i)))
            if isinstance(item, dict) and fspec.item_check:
                for key, msg in fspec.item_check(item):
                    out.append(((*path, i, key) if key else (*path, i), msg))
        return out
    return fspec.validate(value, path)


def _unknown(key: str, known: dict[str, Any], path: KeyPath) -> str:
    where = f"in [{'.'.join(str(p) for p in path if isinstance(p, str))}]" if path else "at the top level"
    close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else f"; known keys: {', '.join(known)}"
    return f"unknown key {key!r} {where}{hint}"
