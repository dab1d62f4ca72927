"""Which versions devenv knows, and which combinations run together.

Each rule carries its reason (where the fact comes from) and, when it fails,
the nearest valid choice. Facts are from the projects' docs and issue
trackers, and were checked against the artifacts devenv builds from
(docs/stack-matrix in the team notes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from devenv.tomlsource import KeyPath

# A problem names the key to blame first, then the other keys involved: the
# caller points at whichever of them the most derived profile file sets.
Problem = tuple[tuple[KeyPath, ...], str]

# Versions whose artifacts exist where devenv fetches them (Maven Central for
# Hadoop and Hive, PyPI for Spark) and that the table below covers.
KNOWN: dict[str, tuple[str, ...]] = {
    "java": ("8", "11", "17", "21"),
    "hadoop": ("3.3.6", "3.4.0", "3.4.1", "3.4.2", "3.4.3", "3.5.0"),
    "hive": ("3.1.3", "4.0.0", "4.0.1"),
    "spark": tuple(f"3.5.{i}" for i in range(10)) + tuple(f"4.0.{i}" for i in range(6)) + tuple(f"4.1.{i}" for i in range(5)),
    "scala": ("2.12", "2.13"),
    "tez": ("0.10.2", "0.10.3", "0.10.4"),
    "postgres": ("13", "15", "17"),
}

NOT_YET = {
    ("hive", "4.1"): "Hive 4.1's server artifacts (hive-service, hive-standalone-metastore-server) are not on Maven Central, where devenv builds from",
    ("hive", "4.2"): "Hive 4.2's server artifacts are not on Maven Central, where devenv builds from",
    ("spark", "4.2"): "devenv has no verified compatibility data for Spark 4.2 yet",
    ("spark", "4.3"): "devenv has no verified compatibility data for Spark 4.3 yet",
}


@dataclass(frozen=True)
class JavaSupport:
    component: str
    line: str  # major.minor
    java: tuple[str, ...]
    reason: str


JAVA_SUPPORT = (
    JavaSupport("hadoop", "3.3", ("8", "11"), "Hadoop 3.3 supports Java 8 and 11 at run time (Hadoop wiki, Hadoop Java Versions)"),
    JavaSupport("hadoop", "3.4", ("8", "11", "17"), "Hadoop 3.4 declares Java 8 and 11; 17 runs with the --add-opens flags of HADOOP-19310"),
    JavaSupport("hadoop", "3.5", ("17", "21"), "Hadoop 3.5 is Java 17 bytecode: its daemons need Java 17 or later"),
    JavaSupport("hive", "3.1", ("8",), "Hive 3.1 runs only on Java 8: on 11+ SessionState fails with a URLClassLoader ClassCastException (HIVE-21584, never backported)"),
    JavaSupport("hive", "4.0", ("8", "17"), "Hive 4.0 is released for Java 8 and runs on 17 with --add-opens (HIVE-26473)"),
    JavaSupport("spark", "3.5", ("8", "11", "17"), "Spark 3.5 runs on Java 8, 11 and 17"),
    JavaSupport("spark", "4.0", ("17", "21"), "Spark 4 needs Java 17 or later"),
    JavaSupport("spark", "4.1", ("17", "21"), "Spark 4 needs Java 17 or later"),
)

# Hive metastore versions each Spark line's `spark.sql.hive.metastore.version` accepts.
SPARK_METASTORE = {
    "3.5": ("0.12.0", "3.1.3"),
    "4.0": ("2.0.0", "4.0.1"),
    "4.1": ("2.0.0", "4.1.0"),
}
# The pyspark package is built with one Scala version per line.
SPARK_SCALA = {"3.5": "2.12", "4.0": "2.13", "4.1": "2.13"}
HIVE_TEZ = {"3.1": ("0.9.1", "0.9.2"), "4.0": ("0.10.3", "0.10.4")}
# JDK and PostgreSQL packages of each Debian suite.
# sid (unstable) moves; what its archive held when checked (2026-11): the only Debian suite with OpenJDK 8.
DEBIAN_JAVA = {"bullseye": ("11", "17"), "bookworm": ("17",), "trixie": ("21",), "sid": ("8", "11", "17", "21", "25")}
DEBIAN_POSTGRES = {"bullseye": "13", "bookworm": "15", "trixie": "17", "sid": "18"}
# Python 3 of the Debian/Ubuntu releases the images start from (the cluster's PySpark workers).
DISTRO_PYTHON = {"bullseye": "3.9", "bookworm": "3.11", "trixie": "3.13", "sid": "3.13", "focal": "3.8", "jammy": "3.10", "noble": "3.12"}
# The oldest Python each Spark line supports (Spark's docs, "Python Version Supported").
SPARK_MIN_PYTHON = {"3.5": (3, 8), "4.0": (3, 9), "4.1": (3, 10)}
# The names engines, kernels and image manifests give one CPU architecture -> Docker's name for it.
ARCH_NAMES = {"x86_64": "amd64", "x86-64": "amd64", "x64": "amd64", "aarch64": "arm64", "arm64/v8": "arm64", "arm64v8": "arm64"}
# Docker's name -> the kernel's (`uname -m`), which Linux wheels are tagged with.
KERNEL_ARCH = {"amd64": "x86_64", "arm64": "aarch64"}


def vkey(v: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", v))


def line_of(v: str) -> str:
    return ".".join(v.split(".")[:2])


# The platforms devenv builds images for: the architectures its artifacts (pure-Java jars, pyspark sdists,
# Debian packages) exist for. Nothing devenv downloads is architecture-specific; apt picks per platform.
PLATFORMS = ("linux/amd64", "linux/arm64")


def norm_arch(a: str) -> str:
    """Docker's name for an architecture: 'x86_64' -> 'amd64', 'aarch64' -> 'arm64'."""
    return ARCH_NAMES.get(a.lower(), a.lower())


def kernel_arch(a: str) -> str:
    """The kernel's name for an architecture: 'amd64' -> 'x86_64', 'arm64' -> 'aarch64'."""
    return KERNEL_ARCH.get(norm_arch(a), norm_arch(a))


def _nearest(candidates: Iterable[str], to: str) -> str | None:
    """The candidate in the release line closest to `to`; the newest patch of that line."""
    target = (vkey(to) + (0, 0))[:2]

    def rank(c: str) -> tuple[int, ...]:
        k = vkey(c) + (0, 0, 0)
        return (abs(k[0] - target[0]) * 1000 + abs(k[1] - target[1]), -k[0], -k[1], -k[2])

    ordered = sorted(candidates, key=rank)
    return ordered[0] if ordered else None


def java_for(component: str, version: str) -> JavaSupport | None:
    for s in JAVA_SUPPORT:
        if s.component == component and s.line == line_of(version):
            return s
    return None


def debian_suite(image: str) -> str | None:
    m = re.fullmatch(r"(?:docker\.io/)?(?:library/)?debian:([a-z]+)(?:-slim)?(?:@.*)?", image)
    return m.group(1) if m else None


def check(versions: dict[str, Any], images: dict[str, Any]) -> list[Problem]:
    """Every problem with the pins and how they combine."""
    v = {k: str(x) for k, x in versions.items()}
    problems = _unknown(v)
    if problems:
        return problems  # combinations of unknown versions say nothing useful
    return _java(v) + _metastore(v) + _scala_and_tez(v) + _images(v, images)


def _unknown(v: dict[str, str]) -> list[Problem]:
    problems: list[Problem] = []
    for comp in ("java", "hadoop", "hive", "spark"):
        if comp not in v:
            problems.append(((("versions",),), f"missing required key {comp!r}"))
    for comp, value in v.items():
        known = KNOWN.get(comp)
        if known is None or value in known:
            continue
        reason = NOT_YET.get((comp, line_of(value)))
        near = _nearest(known, value)
        why = f": {reason}" if reason else ""
        problems.append(((("versions", comp),), f"unknown {comp} version {value!r}{why}. Nearest valid choice: {comp} = \"{near}\" (known: {', '.join(known)})"))
    return problems


def _java(v: dict[str, str]) -> list[Problem]:
    problems: list[Problem] = []
    java = v["java"]
    for comp in ("hadoop", "hive", "spark"):
        support = java_for(comp, v[comp])
        if support and java not in support.java:
            alts = [x for x in KNOWN[comp] if (s := java_for(comp, x)) and java in s.java]
            alt = _nearest(alts, v[comp])
            fix = f"java = \"{_nearest(support.java, java)}\""
            if alt:
                fix += f" or {comp} = \"{alt}\""
            problems.append(((("versions", comp), ("versions", "java")), f"{comp} {v[comp]} does not run on Java {java}: {support.reason}. Nearest valid choice: {fix}"))
    return problems


def _metastore(v: dict[str, str]) -> list[Problem]:
    spark_line = line_of(v["spark"])
    lo, hi = SPARK_METASTORE[spark_line]
    if vkey(lo) <= vkey(v["hive"]) <= vkey(hi):
        return []
    hives = [h for h in KNOWN["hive"] if vkey(lo) <= vkey(h) <= vkey(hi)]
    sparks = [s for s in KNOWN["spark"] if vkey(SPARK_METASTORE[line_of(s)][0]) <= vkey(v["hive"]) <= vkey(SPARK_METASTORE[line_of(s)][1])]
    fix = " or ".join(x for x in (
        f"hive = \"{_nearest(hives, v['hive'])}\"" if hives else "",
        f"spark = \"{_nearest(sparks, v['spark'])}\"" if sparks else "",
    ) if x)
    return [((("versions", "hive"), ("versions", "spark")), f"Spark {spark_line} talks to Hive metastores {lo} to {hi} (spark.sql.hive.metastore.version), not {v['hive']}. Nearest valid choice: {fix}")]


def _scala_and_tez(v: dict[str, str]) -> list[Problem]:
    problems: list[Problem] = []
    spark_line = line_of(v["spark"])
    scala = v.get("scala")
    if scala and scala != SPARK_SCALA[spark_line]:
        problems.append(((("versions", "scala"), ("versions", "spark")), f"the pyspark {v['spark']} distribution is built for Scala {SPARK_SCALA[spark_line]}, not {scala}. Nearest valid choice: scala = \"{SPARK_SCALA[spark_line]}\""))
    tez = v.get("tez")
    if tez:
        ok = HIVE_TEZ.get(line_of(v["hive"]), ())
        if tez not in ok:
            fix = f"tez = \"{_nearest(ok, tez)}\"" if ok else "remove tez"
            problems.append(((("versions", "tez"), ("versions", "hive")), f"Hive {line_of(v['hive'])} is released against Tez {', '.join(ok) or 'none of the known versions'}, not {tez}. Nearest valid choice: {fix}"))
    return problems


def _images(v: dict[str, str], images: dict[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    java = v["java"]
    base = str(images.get("base", "debian:bookworm-slim"))
    suite = debian_suite(base)
    if suite in DEBIAN_JAVA and images.get("java_package") == "":
        problems.append(((("images", "java_package"), ("images", "base")), f"java_package = \"\" means the base image already has Java, but {base} has none. Nearest valid choice: remove java_package to install Debian's openjdk-{java}-jre-headless"))
    elif suite in DEBIAN_JAVA and java not in DEBIAN_JAVA[suite] and "java_package" not in images:
        suites = [s for s, js in DEBIAN_JAVA.items() if java in js]
        fix = f"base = \"debian:{suites[0]}-slim\"" if suites else 'a base image that has it, e.g. base = "eclipse-temurin:8-jre-jammy" with java_package = ""'
        problems.append(((("images", "base"), ("versions", "java")), f"{base} has no Java {java} package (Debian {suite} has {', '.join(DEBIAN_JAVA[suite])}). Nearest valid choice: {fix}"))
    pg = v.get("postgres")
    db_base = str(images.get("db_base") or base)
    suite = debian_suite(db_base)
    if pg and suite in DEBIAN_POSTGRES and pg != DEBIAN_POSTGRES[suite]:
        problems.append(((("versions", "postgres"), ("images", "db_base")), f"the metastore database comes from {db_base}'s packages, which have PostgreSQL {DEBIAN_POSTGRES[suite]}, not {pg}. Nearest valid choice: postgres = \"{DEBIAN_POSTGRES[suite]}\""))
    return problems
