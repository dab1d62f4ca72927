"""Production's versions, from `hadoop version` / `hive --version` / `spark-submit --version` outputs or a TOML/JSON file.

Each version found is pinned when devenv supports it; otherwise the nearest
supported one is chosen (compat's rule: the closest release line, its newest
patch) and the profile says why in a comment.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import tomlkit

from devenv import compat
from devenv.errors import DevenvError

COMPONENTS = ("hadoop", "hive", "spark", "scala", "java")
MAX_BYTES = 200_000

# command outputs: the first line of `hadoop version` and `hive --version`; Spark's banner
_PATTERNS = {
    "hadoop": re.compile(r"^Hadoop (\d+\.\d+\.\d+\S*)", re.MULTILINE),
    "hive": re.compile(r"^Hive (\d+\.\d+\.\d+\S*)", re.MULTILINE),
    "spark": re.compile(r"\\_\\\s+version (\d+\.\d+\.\d+\S*)\s*$|^Spark version (\d+\.\d+\.\d+\S*)", re.MULTILINE),
    "scala": re.compile(r"Using Scala version (\d+\.\d+)"),
    "java": re.compile(r"Using Scala version [^,]+, [^,]+, (\d+(?:\.\d+)*)"),
}


@dataclass(frozen=True)
class Pin:
    component: str
    production: str   # as production reports it
    chosen: str       # what the profile pins
    comment: str      # why, when they differ


def read(path: Path) -> dict[str, str]:
    """Versions from a file: JSON, TOML (top level or [versions]) or the commands' outputs pasted together."""
    if not path.is_file() or path.stat().st_size > MAX_BYTES:
        raise DevenvError(f"{path}: not a readable versions file (at most {MAX_BYTES // 1000} kB)")
    text = path.read_text(encoding="utf-8", errors="replace")
    data: object = None
    try:
        data = json.loads(text)
    except ValueError:
        try:
            data = tomlkit.parse(text).unwrap()
        except Exception:  # noqa: BLE001 - tomlkit raises several types; not TOML means command output
            data = None
    if isinstance(data, dict):
        table = data.get("versions", data)
        found = {k: str(v) for k, v in table.items() if k in COMPONENTS} if isinstance(table, dict) else {}
    else:
        found = from_outputs(text)
    if not found:
        raise DevenvError(f"{path}: no versions found", hint="give the output of `hadoop version`, `hive --version`, "
                          "`spark-submit --version`, or a TOML/JSON such as {\"hadoop\": \"3.4.1\"}")
    return found


def from_outputs(text: str) -> dict[str, str]:
    """Versions in the pasted outputs of `hadoop version`, `hive --version` and `spark-submit --version`."""
    out: dict[str, str] = {}
    for comp, rx in _PATTERNS.items():
        m = rx.search(text)
        if m:
            out[comp] = next(g for g in m.groups() if g)
    if "java" in out:
        out["java"] = java_major(out["java"])
    return out


def java_major(v: str) -> str:
    """'1.8.0_392' -> '8', '17.0.9' -> '17'."""
    parts = v.split(".")
    return parts[1] if parts[0] == "1" and len(parts) > 1 else parts[0]


def release(v: str) -> str:
    """The upstream release of a vendor build: '3.1.1.7.1.9.0-387' -> '3.1.1'."""
    m = re.match(r"\d+(\.\d+){0,2}", v)
    return m.group(0) if m else v


def choose(component: str, production: str) -> Pin:
    """The version the profile pins for what production runs, and why when it differs."""
    known = compat.KNOWN[component]
    upstream = release(production)
    vendor = f" (a vendor build of {upstream})" if upstream != production else ""
    if upstream in known:
        return Pin(component, production, upstream, f"production runs {production}{vendor}" if vendor else "")
    near = compat._nearest(known, upstream) or known[-1]
    reason = compat.NOT_YET.get((component, compat.line_of(upstream)))
    if reason:
        why = f"devenv cannot build it: {reason}"
    elif compat.line_of(upstream) == compat.line_of(near):
        why = f"devenv knows the {compat.line_of(near)} line up to {near}"
    else:
        why = f"devenv supports no {compat.line_of(upstream)} line; {compat.line_of(near)} is the nearest it does"
    return Pin(component, production, near, f"production runs {production}{vendor}; {why}: nearest supported {near}")
