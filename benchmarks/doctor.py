"""How long `devenv doctor` takes, with no cluster up or beside a running one, as a table of median/min/max.

Goals (issue 18): the whole run under 2 s without a cluster, under 3 s with the profile's cluster
running (`--allow-cluster`); no check ends in `error` (its own timeout) on an idle machine. Each run
is a fresh process (`python -m devenv --json doctor`), so the figure includes
start-up; "checks s" is the part spent running the checks (from the JSON
summary). The load average is printed too: the checks call the Docker CLI a
dozen times at once, so a busy machine shows in the numbers.

The figure is for a machine with no devenv cluster: the script checks with
`docker ps --filter label=devenv.managed=true` before and after the runs and
refuses to measure when devenv containers are running, unless
`--allow-cluster`, which labels the table with their number instead.

    python benchmarks/doctor.py [--runs N] [--check ID ...] [--allow-cluster] [--profile P]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

GOAL_NO_CLUSTER = 2.0
GOAL_CLUSTER = 3.0


def time_once(extra: list[str]) -> tuple[float, float, dict[str, int], dict[str, float], list[str]]:
    """(wall s, checks s, count per state, seconds per check, 'id: message' of each check in error)."""
    start = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "devenv", "--json", "doctor", *extra], capture_output=True, text=True)
    wall = time.perf_counter() - start
    doc = json.loads(p.stdout)
    per = {c["id"]: float(c["seconds"]) for c in doc["checks"]}
    if any(c["id"] == "cluster.hdfs" and c["state"] != "skip" for c in doc["checks"]):
        per["(the profile's cluster is running)"] = 0.0
    errors = [f"{c['id']}: {c['message']}" for c in doc["checks"] if c["state"] == "error"]
    return wall, float(doc["summary"]["seconds"]), {s: doc["summary"][s] for s in ("ok", "warn", "fail", "skip", "error")}, per, errors


def devenv_containers() -> list[str] | None:
    """Names of running devenv containers (label devenv.managed=true); None when no engine answers."""
    try:
        p = subprocess.run(["docker", "ps", "--filter", "label=devenv.managed=true", "--format", "{{.Names}}"],
                           capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return p.stdout.split() if p.returncode == 0 else None


def cluster_state(allow: bool) -> str:
    """'no cluster up', or a label naming the running devenv containers (exits when not `allow`)."""
    running = devenv_containers()
    if running is None:
        return "no cluster up (no engine answers)"
    if not running:
        return "no cluster up"
    if not allow:
        sys.exit(f"{len(running)} devenv containers are running ({', '.join(running[:5])}{', ...' if len(running) > 5 else ''}); "
                 "this figure is for a machine with no cluster: run `devenv down` first, or pass --allow-cluster to label it")
    return f"WITH {len(running)} devenv containers running"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--check", action="append", default=[], metavar="ID", help="passed to devenv doctor")
    ap.add_argument("--allow-cluster", action="store_true", help="measure even with devenv containers running, and say so in the title")
    ap.add_argument("--profile", help="passed to devenv doctor (the cluster of this profile is the one checked)")
    args = ap.parse_args()
    before = cluster_state(args.allow_cluster)
    from rich.console import Console
    from rich.table import Table

    extra = [a for c in args.check for a in ("--check", c)] + (["--profile", args.profile] if args.profile else [])
    time_once(extra)  # warm the file cache and the engine
    walls, checks, states, per, errors = [], [], [], {}, []
    for _ in range(args.runs):
        w, c, s, seconds, erred = time_once(extra)
        walls.append(w)
        checks.append(c)
        states.append(s)
        errors += erred
        for k, v in seconds.items():
            per.setdefault(k, []).append(v)
    after = cluster_state(args.allow_cluster)
    state = before if before == after else f"{before} before, {after} after"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    checked = "(the profile's cluster is running)" in per  # its cluster checks ran: the 3 s goal
    per.pop("(the profile's cluster is running)", None)
    target = GOAL_CLUSTER if checked else GOAL_NO_CLUSTER
    state += ", the profile's cluster checked" if checked else ", no cluster of the profile"
    t = Table(title=f"devenv doctor, {state}, {args.runs} runs (load average {load:.1f} on {os.cpu_count()} CPUs)")
    for col in ("measure", "median s", "min s", "max s", "target s", "met"):
        t.add_column(col)
    med = statistics.median(walls)
    met = "yes" if med < target else "NO"
    t.add_row("whole run (process)", f"{med:.3f}", f"{min(walls):.3f}", f"{max(walls):.3f}", f"< {target}", met)
    t.add_row("checks only", f"{statistics.median(checks):.3f}", f"{min(checks):.3f}", f"{max(checks):.3f}", "", "")
    slowest = sorted(per, key=lambda k: -statistics.median(per[k]))[:3]
    for k in slowest:
        t.add_row(f"  {k} (ends at)", f"{statistics.median(per[k]):.3f}", f"{min(per[k]):.3f}", f"{max(per[k]):.3f}", "", "")
    t.add_row("checks in error (own timeout)", str(len(errors)), "", "", "0", "yes" if not errors else "NO")
    Console().print(t)
    for e in errors:
        Console().print(f"error: {e}", markup=False)
    return 0 if met == "yes" and not errors else 1


if __name__ == "__main__":
    sys.exit(main())
