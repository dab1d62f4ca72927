"""How long `devenv seed` takes to load TPC-H, and rows per second, at each scale (issue 5).

Each run is a fresh `python -m devenv --json seed --force --only tpch --tpch-scale S`
against a running cluster (default: the default profile's cluster; start it
with `devenv up` first). The time is the whole TPC-H step: generate in the
edge node, load into HDFS, rename into place, Hive DDL and statistics, and the
row-count verification through HiveServer2 and Spark. Phases come from the
JSON events. Medians over N runs.

    python benchmarks/seed.py [--name CLUSTER] [--scales 0.01 1] [--runs N] [--format parquet|csv]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time


def seed_once(name: str | None, scale: float, fmt: str) -> tuple[float, int, dict[str, float]]:
    cmd = [sys.executable, "-m", "devenv", "--json", "seed", "--force", "--only", "tpch", "--tpch-scale", f"{scale:g}", "--format", fmt]
    if name:
        cmd += ["--name", name]
    start = time.perf_counter()
    phases: dict[str, float] = {}
    rows = 0
    last, last_t = None, start
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as p:
        assert p.stdout is not None and p.stderr is not None
        err_chunks: list[str] = []
        # stderr is drained beside stdout: a child that fills the stderr pipe while we wait on stdout would block for ever
        drain = threading.Thread(target=lambda: err_chunks.extend(p.stderr), daemon=True)  # type: ignore[arg-type]
        drain.start()
        for line in p.stdout:
            if not line.startswith("{"):
                continue
            e = json.loads(line)
            now = time.perf_counter()
            if e.get("event") in ("phase", "step"):
                if last:
                    phases[last] = phases.get(last, 0) + now - last_t
                last, last_t = (e.get("phase", "").split(" ")[0] or None), now
            if e.get("state") == "done":
                rows = int(e["total_rows"])
        p.wait()
        drain.join()
        err = "".join(err_chunks)
    if p.returncode != 0:
        raise SystemExit(f"devenv seed failed (exit {p.returncode}):\n{err[-3000:]}")
    return time.perf_counter() - start, rows, phases


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--name", help="cluster name (default: the profile's)")
    ap.add_argument("--scales", nargs="+", type=float, default=[0.01, 1])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    args = ap.parse_args()
    from rich.console import Console
    from rich.table import Table

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    t = Table(title=f"devenv seed, TPC-H {args.format}, median of {args.runs} runs (load average {load:.1f} on {os.cpu_count()} CPUs)")
    for col in ("scale", "rows", "seed s (median)", "min s", "max s", "rows/s", "generate s", "load s", "hive s", "spark s"):
        t.add_column(col, justify="right")
    for scale in args.scales:
        runs = [seed_once(args.name, scale, args.format) for _ in range(args.runs)]
        secs = [r[0] for r in runs]
        rows = runs[0][1]
        med = statistics.median(secs)

        def phase(word: str) -> str:
            return f"{statistics.median(r[2].get(word, 0) for r in runs):.1f}"

        t.add_row(f"{scale:g}", f"{rows:,}", f"{med:.1f}", f"{min(secs):.1f}", f"{max(secs):.1f}", f"{rows / med:,.0f}",
                  phase("generating"), phase("loading"), phase("creating"), phase("counting"))
    Console(width=None if sys.stdout.isatty() else 160).print(t)
    return 0


if __name__ == "__main__":
    sys.exit(main())
