"""Doctor checks of the host's own tools against the profile's pins: what a mismatch breaks.

A tool that is not installed is `skip`: devenv does not need it on the host,
only code you build or run there against the cluster does.
"""

from __future__ import annotations

import re

from devenv import compat
from devenv.doctor.model import Context, Finding, check, fail, ok, skip, warn


def _tool(ctx: Context, argv: list[str]) -> str | None:
    done = ctx.probes.command(argv)
    if done is None or done.rc != 0:
        return None
    return done.output


def java_major(text: str) -> str | None:
    m = re.search(r'version "(\d+)(?:\.(\d+))?', text)
    if not m:
        return None
    return m.group(2) if m.group(1) == "1" else m.group(1)  # "1.8.0_392" -> 8


@check("parity.java", "host JDK against the cluster's Java")
def parity_java(ctx: Context) -> Finding:
    pin = ctx.profile.versions["java"]
    out = _tool(ctx, ["java", "-version"])
    if out is None:
        return skip("java is not installed on this machine (needed only to build jars or run Spark locally)")
    major = java_major(out)
    first = out.strip().splitlines()[0] if out.strip() else ""
    required = f"Java {pin}"
    if major is None:
        return warn(f"could not read the Java version from {first!r}", found=first, required=required, fix="check `java -version`")
    found = f"Java {major}"
    if major == pin:
        return ok(f"host Java {major} matches the cluster's Java {pin}", found=found, required=required)
    if int(major) > int(pin):
        return warn(f"host Java {major}, cluster Java {pin}: classes compiled here target Java {major} by default and fail "
                    "in the cluster with UnsupportedClassVersionError", found=found, required=required,
                    fix=f"install JDK {pin} and point JAVA_HOME at it, or compile with --release {pin} (maven.compiler.release={pin})")
    return warn(f"host Java {major}, cluster Java {pin}: jars built for the cluster do not load here, and local Spark "
                f"{ctx.profile.versions.get('spark', '')} needs the cluster's Java", found=found, required=required,
                fix=f"install JDK {pin} and point JAVA_HOME at it")


def cluster_python(ctx: Context) -> str | None:
    base = ctx.profile.images.get("base", "")
    return next((py for name, py in compat.DISTRO_PYTHON.items() if name in base), None)


@check("parity.python", "host Python against the cluster's PySpark workers")
def parity_python(ctx: Context) -> Finding:
    spark = ctx.profile.versions["spark"]
    out = _tool(ctx, [_python(ctx), "--version"])
    if out is None:
        return skip("python3 is not installed on this machine")
    m = re.search(r"(\d+)\.(\d+)\.(\d+)", out)
    if not m:
        return warn(f"could not read the Python version from {out.strip()!r}", fix="check `python3 --version`")
    host = (int(m.group(1)), int(m.group(2)))
    found = f"Python {m.group(0)}"
    minimum = compat.SPARK_MIN_PYTHON.get(compat.line_of(spark), (3, 8))
    cluster = cluster_python(ctx)
    required = f"Python {cluster or '>= ' + '.'.join(map(str, minimum))} (Spark {spark} workers)"
    if host < minimum:
        return fail(f"Spark {compat.line_of(spark)} needs Python {'.'.join(map(str, minimum))} or later; the host has {m.group(0)}",
                    found=found, required=required, fix=f"install Python {cluster or '.'.join(map(str, minimum))} and use it for PySpark")
    if cluster and f"{host[0]}.{host[1]}" != cluster:
        return warn(f"host Python {host[0]}.{host[1]}, cluster Python {cluster}: a PySpark driver here with workers in the cluster "
                    "fails with 'Python in worker has different version'", found=found, required=required,
                    fix=f"run PySpark drivers with Python {cluster} (a venv from python{cluster}); local mode works as is")
    return ok(f"host Python {m.group(0)} matches the cluster's workers ({cluster or 'Spark ' + spark})", found=found, required=required)


def _python(ctx: Context) -> str:
    return "python" if ctx.probes.system() == "Windows" else "python3"


@check("parity.pyspark", "host pyspark against the cluster's Spark")
def parity_pyspark(ctx: Context) -> Finding:
    spark = ctx.profile.versions["spark"]
    done = ctx.probes.command([_python(ctx), "-c", "import importlib.metadata as m; print(m.version('pyspark'))"])
    if done is None:
        return skip("python3 is not installed on this machine")
    if done.rc != 0:
        return skip("pyspark is not installed for python3")
    have = done.output.strip().splitlines()[-1]
    required, found = f"pyspark {spark}", f"pyspark {have}"
    fix = f"pip install 'pyspark=={spark}'"
    if have == spark:
        return ok(f"pyspark {have} matches Spark {spark}", found=found, required=required)
    if compat.line_of(have) != compat.line_of(spark):
        return fail(f"pyspark {have} on the host against Spark {spark} in the cluster: the py4j gateway protocol and Spark Connect "
                    "differ between lines, so sessions fail to connect, and pickled UDFs and Arrow batches fail to load",
                    found=found, required=required, fix=fix)
    return warn(f"pyspark {have} against Spark {spark}: the same line works, but bugs fixed in {spark} may show here",
                found=found, required=required, fix=fix)


@check("parity.scala", "host Scala against the Scala Spark is built for")
def parity_scala(ctx: Context) -> Finding:
    versions = ctx.profile.versions
    pin = versions.get("scala") or compat.SPARK_SCALA.get(compat.line_of(versions["spark"]), "2.13")
    out = _tool(ctx, ["scala", "-version"])
    if out is None:
        return skip("scala is not installed on this machine")
    m = re.search(r"version (\d+)\.(\d+)", out)
    if not m:
        return warn(f"could not read the Scala version from {out.strip()!r}", fix="check `scala -version`")
    have = f"{m.group(1)}.{m.group(2)}" if m.group(1) == "2" else m.group(1)
    found, required = f"Scala {have}", f"Scala {pin} (Spark {versions['spark']})"
    if have == pin:
        return ok(f"host Scala {have} matches the Scala Spark {versions['spark']} is built for", found=found, required=required)
    return warn(f"host Scala {have}, Spark {versions['spark']} is built for Scala {pin}: jars compiled here fail in the cluster "
                "with NoSuchMethodError and similar binary incompatibilities", found=found, required=required,
                fix=f"build against Scala {pin} (scalaVersion {pin}.x in sbt, spark-*_{pin} artifacts)")


def _cli_version(ctx: Context, tool: str, argv: list[str], pattern: str) -> str | None:
    out = _tool(ctx, argv)
    if out is None:
        return None
    m = re.search(pattern, out)
    return m.group(1) if m else ""


def _cli_parity(ctx: Context, tool: str, component: str, argv: list[str], pattern: str, breaks: str) -> Finding:
    pin = ctx.profile.versions.get(component)
    if ctx.probes.which(tool) is None:
        return skip(f"{tool} is not installed on this machine")
    have = _cli_version(ctx, tool, argv, pattern)
    if not have:
        return warn(f"`{' '.join(argv)}` did not report a version", fix=f"check `{' '.join(argv)}`")
    found, required = f"{component} {have}", f"{component} {pin}"
    if pin is None or have == pin:
        return ok(f"host {tool} {have} matches the cluster's {component.capitalize()} {pin or have}", found=found, required=required)
    if compat.line_of(have) != compat.line_of(pin):
        return warn(f"host {tool} {have}, cluster {component.capitalize()} {pin}: {breaks}", found=found, required=required,
                    fix=f"install {component.capitalize()} {pin} on the host, or run the command in the cluster (devenv shell)")
    return ok(f"host {tool} {have} is on the cluster's {component.capitalize()} {compat.line_of(pin)} line (pin {pin})", found=found, required=required)


@check("parity.hadoop-cli", "host hadoop command against the cluster's Hadoop")
def parity_hadoop_cli(ctx: Context) -> Finding:
    return _cli_parity(ctx, "hadoop", "hadoop", ["hadoop", "version"], r"Hadoop (\d+\.\d+\.\d+)",
                       "basic `hdfs dfs` works over RPC, but client defaults and newer commands differ, and jobs submitted from here "
                       "carry the host's Hadoop jars")


@check("parity.hive-cli", "host hive command against the cluster's Hive")
def parity_hive_cli(ctx: Context) -> Finding:
    return _cli_parity(ctx, "hive", "hive", ["hive", "--version"], r"Hive (\d+\.\d+\.\d+)",
                       "its metastore client expects another schema version, and JDBC protocol features differ")
