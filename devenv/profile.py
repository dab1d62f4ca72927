"""Version profiles: find them, read them with `extends`, validate, and resolve.

A profile is parsed once, here, into a frozen `Profile`; nothing raw travels
further. Validation collects every problem from every file in the `extends`
chain and reports them together, each located (file:line:col: key: message).
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from devenv import compat, schema
from devenv.errors import DevenvError, ProfileError
from devenv.paths import Paths, paths, resource_dir
from devenv.tomlsource import KeyPath, Source, TomlSyntaxError, format_path, load

PROJECT_FILE = "devenv.toml"
DEFAULT = "default"

# What a profile gets when it (and its parents) say nothing.
DEFAULTS: dict[str, Any] = {
    "images": {"base": "debian:bookworm-slim", "db_base": "debian:bookworm-slim"},
    "topology": {"datanodes": 1, "nodemanagers": 1, "services": {s: True for s in schema.OPTIONAL_SERVICES}},
    "resources": {
        "total": "7g",
        "yarn_memory": "2g",
        "yarn_vcores": 2,
        "memory": {
            "namenode": "384m", "datanode": "256m", "resourcemanager": "384m", "nodemanager": "320m",
            "historyserver": "256m", "spark-history": "1280m", "metastore-db": "128m",
            "metastore": "384m", "hiveserver2": "1g", "gateway": "64m",
        },
    },
    "network": {"bind": "127.0.0.1"},
    "config": {},
    "seed": [],
    "seed_on_first_start": False,
}


ORDER = ("schema", "name", "description", "extends", "versions", "images", "topology", "resources",
         "network", "sources", "production", "config", "seed_on_first_start", "seed")


@dataclass(frozen=True)
class Profile:
    """A validated, resolved profile (after `extends`, defaults and user config)."""

    name: str
    description: str
    path: Path | None
    chain: tuple[str, ...]
    data: Mapping[str, Any] = field(repr=False)
    warnings: tuple[str, ...] = ()  # located, for the user to see: not errors

    @property
    def versions(self) -> Mapping[str, str]:
        return MappingProxyType({k: str(v) for k, v in self.data["versions"].items()})

    @property
    def images(self) -> Mapping[str, str]:
        return MappingProxyType(dict(self.data["images"]))

    @property
    def topology(self) -> Mapping[str, Any]:
        return MappingProxyType(dict(self.data["topology"]))

    @property
    def resources(self) -> Mapping[str, Any]:
        return MappingProxyType(dict(self.data["resources"]))

    @property
    def network(self) -> Mapping[str, Any]:
        return MappingProxyType(dict(self.data["network"]))

    @property
    def config(self) -> Mapping[str, Mapping[str, Any]]:
        return MappingProxyType({k: MappingProxyType(dict(v)) for k, v in self.data["config"].items()})

    @property
    def seeds(self) -> tuple[Mapping[str, Any], ...]:
        return tuple(MappingProxyType(dict(s)) for s in self.data["seed"])

    @property
    def sources(self) -> Mapping[str, str]:
        return MappingProxyType(dict(self.data.get("sources", {})))

    def memory_mb(self, service: str) -> int:
        return schema.parse_memory(self.data["resources"]["memory"][service]) or 0

    def to_dict(self) -> dict[str, Any]:
        return copy.deepcopy(dict(self.data))


# --- finding profiles -------------------------------------------------------

def builtin_dir() -> Path:
    return resource_dir("profiles")


def available(p: Paths | None = None) -> dict[str, Path]:
    """Named profiles: user profiles (config dir) shadow built-in ones."""
    p = p or paths()
    found: dict[str, Path] = {}
    for d in (builtin_dir(), p.user_profiles):
        if d.is_dir():
            for f in sorted(d.glob("*.toml")):
                found[f.stem] = f
    return found


def _looks_like_path(ref: str) -> bool:
    return ref.endswith(".toml") or os.sep in ref or "/" in ref or (os.altsep or "/") in ref


def find_project_file(start: Path | None = None) -> Path | None:
    here = (start or Path.cwd()).resolve()
    for d in (here, *here.parents):
        f = d / PROJECT_FILE
        if f.is_file():
            return f
    return None


def select(ref: str | None, *, cwd: Path | None = None) -> tuple[Path, str]:
    """The profile file to use and why: --profile, $DEVENV_PROFILE, devenv.toml, built-in default."""
    if ref:
        return _by_ref(ref, "--profile", cwd), "--profile"
    env = os.environ.get("DEVENV_PROFILE")
    if env:
        return _by_ref(env, "DEVENV_PROFILE", cwd), "DEVENV_PROFILE"
    project = find_project_file(cwd)
    if project:
        return project, str(project)
    return _by_ref(DEFAULT, "built-in", cwd), "built-in default"


def _by_ref(ref: str, origin: str, cwd: Path | None = None, relative_to: Path | None = None) -> Path:
    if _looks_like_path(ref):
        base = relative_to or cwd or Path.cwd()
        path = (base / ref).expanduser()
        if not path.is_file():
            raise DevenvError(f"profile file not found: {path} (from {origin})", hint="check the path, or give a profile name: devenv profile list")
        return path
    names = available()
    if ref in names:
        return names[ref]
    if relative_to is not None and (relative_to / f"{ref}.toml").is_file():
        return relative_to / f"{ref}.toml"
    import difflib

    close = difflib.get_close_matches(ref, list(names), n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise DevenvError(f"no profile named {ref!r} (from {origin})", hint=f"{hint}known profiles: {', '.join(names)}; see devenv profile list")


# --- reading and resolving -------------------------------------------------

def _merge(base: dict[str, Any], over: dict[str, Any], origins: dict[KeyPath, Source], src: Source, path: KeyPath = ()) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        p = (*path, k)
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v, origins, src, p)
        elif k == "seed" and not path and isinstance(v, list) and isinstance(out.get(k), list):
            for i, _ in enumerate(v):
                origins[(k, len(out[k]) + i)] = src
            out[k] = [*out[k], *v]  # a child's seed steps run after its parent's
        else:
            out[k] = v
            _record(origins, p, v, src)
    return out


def _record(origins: dict[KeyPath, Source], path: KeyPath, value: Any, src: Source) -> None:
    origins[path] = src
    if isinstance(value, dict):
        for k, v in value.items():
            _record(origins, (*path, k), v, src)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _record(origins, (*path, i), v, src)


def _origin(origins: dict[KeyPath, Source], path: KeyPath, fallback: Source) -> Source:
    for n in range(len(path), 0, -1):
        if path[:n] in origins:
            return origins[path[:n]]
    return fallback


def _read_chain(path: Path) -> tuple[list[Source], list[str]]:
    """The profile and its parents, child first; problems are located strings."""
    sources: list[Source] = []
    problems: list[str] = []
    seen: list[Path] = []
    current: Path | None = path
    while current is not None:
        resolved = current.resolve()
        if resolved in seen:
            cycle = " -> ".join(str(s) for s in [*seen, resolved])
            problems.append(f"{sources[-1].where(('extends',))}: extends: cycle: {cycle}")
            break
        seen.append(resolved)
        try:
            src = load(current)
        except TomlSyntaxError as e:
            problems.append(f"{e.location}: {e.message}")
            break
        except OSError as e:
            problems.append(f"{current}: cannot read: {e.strerror}")
            break
        sources.append(src)
        parent = src.data.get("extends")
        if parent is None:
            break
        if not isinstance(parent, str):
            break  # reported by the schema check
        try:
            current = _by_ref(parent, f"extends in {src.label}", relative_to=current.parent)
        except DevenvError as e:
            problems.append(f"{src.where(('extends',))}: extends: {e.message.replace(f' (from extends in {src.label})', '')}; {e.hint}")
            break
    return sources, problems


def load_profile(path: Path, *, user_config: Mapping[str, Any] | None = None) -> Profile:
    """Read, merge and validate a profile file; raise ProfileError listing every problem."""
    sources, problems = _read_chain(path)
    chain_broken = bool(problems)  # a missing parent or a cycle: the merge would mislead
    broken: set[str] = set()  # top-level keys with structural problems: meaning checks skip them
    for src in sources:
        for p, msg in schema.check(schema.normalise(src.data), schema.PROFILE):
            problems.append(f"{src.where(p)}: {format_path(p) or '(top level)'}: {msg}")
            broken.add(str(p[0]) if p else "")
    if not sources or chain_broken:
        raise _profile_error(path, problems)
    problems += _seed_file_problems(sources)

    origins: dict[KeyPath, Source] = {}
    merged: dict[str, Any] = copy.deepcopy(DEFAULTS)
    for src in reversed(sources):
        merged = _merge(merged, schema.normalise({k: v for k, v in src.data.items() if k != "extends"}), origins, src)
    child = sources[0]
    merged["name"] = child.data.get("name", path.stem)
    merged["description"] = child.data.get("description", "")
    if len(sources) > 1:
        merged["extends"] = child.data.get("extends")

    # Sources: the profile names defaults, the user's site config wins.
    if user_config and user_config.get("sources"):
        merged["sources"] = {**merged.get("sources", {}), **user_config["sources"]}

    rank = {id(s): i for i, s in enumerate(sources)}  # 0 = the profile itself, most derived
    found = []
    if not broken & {"versions", "images"}:
        found += compat.check(merged.get("versions", {}), merged.get("images", {}))
    if not broken & {"topology", "resources", "config"}:
        found += _semantic(merged)
    for keys, msg in found:
        # blame the key that the most derived file sets: that is where the user changed something
        p = min(keys, key=lambda k: rank.get(id(_origin(origins, k, child)), len(sources)))
        src = _origin(origins, p, child)
        problems.append(f"{src.where(p)}: {format_path(p)}: {msg}")
    if problems:
        raise _profile_error(path, problems)
    merged["versions"] = {k: str(v) for k, v in merged["versions"].items()}
    merged = {k: merged[k] for k in ORDER if k in merged} | merged
    return Profile(
        name=merged["name"],
        description=merged["description"],
        path=path,
        chain=tuple(s.label for s in sources),
        data=MappingProxyType(merged),
        warnings=tuple(_plain_http(sources)),
    )


def _plain_http(sources: list[Source]) -> list[str]:
    """A located warning for every `[sources]` URL a profile gives as plain http://."""
    out = []
    for src in sources:
        for k, v in (src.data.get("sources") or {}).items():
            if isinstance(v, str) and v.lower().startswith("http://"):
                out.append(f"{src.where(('sources', k))}: sources.{k}: {v!r} is plain http://: anyone on the way can read "
                           "and change what is downloaded (the lock's sha256 still checks each artifact); use https://")
    return out


def _seed_file_problems(sources: list[Source]) -> list[str]:
    """The files seed steps read: inside the directory of the profile that names them, of the right kind."""
    from devenv.confine import seed_file_problem

    out: list[str] = []
    for src in sources:
        steps = src.data.get("seed")
        for i, item in enumerate(steps if src.path and isinstance(steps, list) else []):
            for kind in schema.SEED_FILES:
                value = item.get(kind) if isinstance(item, dict) else None
                msg = seed_file_problem(kind, value, src.path.parent) if isinstance(value, str) else None
                if msg:
                    out.append(f"{src.where(('seed', i, kind))}: {format_path(('seed', i, kind))}: {msg}")
    return out


def _semantic(p: dict[str, Any]) -> list[tuple[tuple[KeyPath, ...], str]]:
    """Checks across keys that are not about versions."""
    from devenv import queues, render
    out: list[tuple[tuple[KeyPath, ...], str]] = []
    topo, res = p["topology"], p["resources"]
    repl = p["config"].get("hdfs-site", {}).get("dfs.replication")
    if repl is not None and int(str(repl)) > topo["datanodes"]:
        out.append(((("config", "hdfs-site", "dfs.replication"), ("topology", "datanodes")), f"replication {repl} needs at least {repl} datanodes; topology.datanodes is {topo['datanodes']}. Nearest valid choice: \"dfs.replication\" = {topo['datanodes']} or datanodes = {repl}"))
    mem = {k: schema.parse_memory(v) or 0 for k, v in res["memory"].items()}
    counts = {"datanode": topo["datanodes"], "nodemanager": topo["nodemanagers"]}
    enabled = topo.get("services", {})
    need = sum(mb * counts.get(s, 1) for s, mb in mem.items() if enabled.get(s, True))
    yarn = (schema.parse_memory(res["yarn_memory"]) or 0) * topo["nodemanagers"]
    total = schema.parse_memory(res["total"]) or 0
    if need + yarn > total:
        out.append(((("resources", "total"), ("topology", "datanodes"), ("topology", "nodemanagers"), ("resources", "yarn_memory"), ("resources", "memory")), f"the services need {need} MB plus {yarn} MB for YARN containers ({topo['nodemanagers']} x yarn_memory) = {need + yarn} MB, over the budget of {total} MB. Nearest valid choice: total = \"{-(-(need + yarn) // 256) * 256}m\", or less memory per service"))
    min_alloc = p["config"].get("yarn-site", {}).get("yarn.scheduler.minimum-allocation-mb")
    if min_alloc is not None and int(str(min_alloc)) > (schema.parse_memory(res["yarn_memory"]) or 0):
        out.append(((("config", "yarn-site", "yarn.scheduler.minimum-allocation-mb"), ("resources", "yarn_memory")), f"{min_alloc} MB is more than a NodeManager offers (resources.yarn_memory = {res['yarn_memory']}): no container could start"))
    for k, msg in queues.problems({**render.capacity_defaults(), **p["config"].get("capacity-scheduler", {})}):
        out.append(((("config", "capacity-scheduler", k),), msg))
    for k in p["config"].get("spark-defaults", {}):
        if not k.startswith("spark."):
            out.append(((("config", "spark-defaults", k),), "Spark only reads properties that start with 'spark.'"))
    return out


def _by_location(problem: str) -> tuple[str, int, int]:
    import re

    m = re.match(r"(.*?):(\d+):(\d+): ", problem)
    return (m.group(1), int(m.group(2)), int(m.group(3))) if m else (problem, 0, 0)


def _profile_error(path: Path, problems: list[str]) -> ProfileError:
    problems = sorted(dict.fromkeys(problems), key=_by_location)
    n = len(problems)
    return ProfileError(
        f"profile {path} is invalid ({n} problem{'s' if n != 1 else ''})",
        problems,
        hint="fix the lines above; `devenv profile validate` checks again without doing anything else",
    )


def load_user_config(p: Paths | None = None) -> dict[str, Any]:
    """The site configuration (sources, proxy, CA certificates); empty if absent."""
    p = p or paths()
    f = p.user_config
    if not f.is_file():
        return {}
    try:
        src = load(f)
    except TomlSyntaxError as e:
        raise DevenvError(f"{e.location}: {e.message}", hint=f"fix {f}, or move it aside") from None
    problems = [f"{src.where(k)}: {format_path(k)}: {m}" for k, m in schema.check(src.data, schema.USER_CONFIG)]
    if problems:
        raise ProfileError(f"user config {f} is invalid", problems, hint=f"fix {f}")
    return src.data


def resolve(ref: str | None = None, *, cwd: Path | None = None) -> Profile:
    """The profile to use for a command, fully resolved."""
    path, _why = select(ref, cwd=cwd)
    return load_profile(path, user_config=load_user_config())
