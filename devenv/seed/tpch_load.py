"""Loading TPC-H into a running cluster: generate on the edge node, rename into HDFS, Hive tables, verify counts."""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING, Any, Callable

from devenv import docker
from devenv.seed import tpch
from devenv.seed.site import TMP, run_sql, split_sql
from devenv.errors import DevenvError

if TYPE_CHECKING:
    from devenv.context import Context
    from devenv.seed.site import Site


def generator_wheel(ctx: "Context"):
    """The pinned tpchgen-cli wheel for the engine's architecture, fetched into the verified cache if missing."""
    from devenv import artifacts
    from devenv.lock import Lock

    wheel = tpch.wheel_for(docker.engine_info().architecture or "x86_64")
    if not artifacts.is_verified(wheel):
        ctx.fetch(Lock(profile="seed", inputs="", versions={}, artifacts=(wheel,)))
    return artifacts.cached_path(wheel)


def load(site: "Site", ctx: "Context", scale: float, fmt: str, phase: Callable[[str], None]) -> dict[str, Any]:
    """Generate, load and verify TPC-H at `scale` in `fmt`; returns the location and the rows per table."""
    wheel = generator_wheel(ctx)
    phase(f"generating TPC-H scale {scale:g} ({fmt}) with {tpch.GENERATOR}")
    site.put(wheel, "tpchgen.whl")
    out = f"{site.scratch}/tpch"
    binary = f"{site.scratch}/gen/{tpch.BINARY}"
    gen = " ".join(shlex.quote(a) for a in tpch.generate_command(binary, scale, fmt, out))
    script = (f"cd {site.scratch} && python3 -m zipfile -e tpchgen.whl gen && chmod +x {binary} && {gen}"
              f" && python3 -c {shlex.quote(tpch.COUNT_SCRIPT)} {out}")
    counts = tpch.file_counts(site.sh(script, what="generating TPC-H"))
    if set(counts) != set(tpch.TABLES):
        raise DevenvError(f"the generator wrote tables {sorted(counts)}, expected {sorted(tpch.TABLES)}")
    rows = sum(counts.values())

    loc = tpch.location(scale, fmt)
    phase(f"loading {rows:,} rows into HDFS {loc}")
    tmp = f"{TMP}/{site.token}-tpch"
    stale = f"for d in $(hdfs dfs -ls -C {tpch.ROOT}); do [ \"$d\" = {loc} ] || echo \"$d\"; done"
    site.sh(f"hdfs dfs -mkdir -p {TMP} && hdfs dfs -put {out} {tmp} && rm -rf {out} && {site.hdfs_replace(tmp, loc)}",
            what=f"loading TPC-H into HDFS {loc}")

    phase("creating database tpch in Hive and computing table statistics")
    text = tpch.ddl(loc, fmt)
    hive = tpch.hive_counts(run_sql(site, split_sql(text), source="tpch DDL", remote="tpch.sql"))
    phase("counting rows through Spark")
    site.sh(f"cat > {site.scratch}/spark_tpch.py <<'EOF'\n{tpch.SPARK_SCRIPT}\nEOF", what="writing the Spark check")
    args = " ".join(shlex.quote(a) for a in tpch.spark_args({"counts": tpch.count_sql()}))
    out = site.sh(f"spark-submit {tpch.SPARK_CHECK_OPTS} {site.scratch}/spark_tpch.py {args}", what="counting TPC-H rows with Spark (log tail below)", tail=30)
    spark = {t: int(n) for t, n in tpch.spark_results(out).get("counts", [])}
    wrong = [f"{t}: generated {n}, HiveServer2 {hive.get(t)}, Spark {spark.get(t)}" for t, n in counts.items()
             if hive.get(t) != n or spark.get(t) != n]
    if wrong:
        raise DevenvError("TPC-H row counts differ from the generator's", details=wrong,
                          hint="the data is in place but does not read back whole; run with --force to load it again")
    old = site.sh(stale, what="listing older TPC-H data", idempotent=True).split()
    if old:  # other scales or formats: no table points at them any more
        site.sh("hdfs dfs -rm -r -f -skipTrash " + " ".join(shlex.quote(p) for p in old) + " >/dev/null", what="removing older TPC-H data")
    return {"location": loc, "scale": scale, "format": fmt, "rows": counts, "total_rows": rows}
