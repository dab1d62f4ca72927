"""Issue 4 figures: warm start against the slowest service's own start, up on a running cluster, down,
and the idle memory of the whole default cluster; issue 18's fast answers on a running, idle cluster:
`up` with nothing to change, `status` and `status --json` (each goal < 1 s, medians).

    python benchmarks/cluster.py [--runs N] [--name bench]
    python benchmarks/cluster.py --only fast --name NAME [--runs N]   # against a running cluster NAME, no cold/warm cycle
    python benchmarks/cluster.py --gateway-memory     (issue 14: idle memory with and without the gateway)

Images must be built (warm). Uses its own cluster name and the standard ports.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _common import devenv, last_json, median, table  # noqa: E402


READY_TIMEOUT = 300.0
MEMORY_GOAL_GB = 3.0  # issue 4's goal, decimal gigabytes
MEMORY_GOAL_GIB = MEMORY_GOAL_GB * 1e9 / 1024**3
FAST_GOAL = 1.0  # seconds: up with nothing to change, status, status --json (issue 18)


def fast_answers(name: str, runs: int) -> tuple[list[list[object]], bool]:
    """Rows for up (no change), status and status --json on the running cluster `name`, and whether all met the goal."""
    rows: list[list[object]] = []
    met_all = True
    for label, args in (("up on a running cluster (nothing to change)", ("up", "--name", name)),
                        ("status", ("status", "--name", name)), ("status --json", ("--json", "status", "--name", name))):
        devenv(*args)  # warm the file cache; a failure (not ready) stops the benchmark
        took = [devenv(*args)[0] for _ in range(runs)]
        met = median(took) < FAST_GOAL
        met_all &= met
        rows.append([label, f"{median(took):.2f} s", f"median of {runs}, min {min(took):.2f}, max {max(took):.2f} "
                     f"(goal < {FAST_GOAL:g} s: {'met' if met else 'NOT met'})"])
    if "already running" not in devenv("up", "--name", name)[1].stdout:
        sys.exit(f"up on the running cluster {name} did not take the fast path: the figure above is not a no-op up")
    return rows, met_all


def own_ready_seconds(name: str) -> tuple[dict[str, float], list[str]]:
    """Restart each service alone (the others stay up) and time it back to ready, with devenv's own probes.

    Returns the seconds of the services that became ready, and the services
    that did not within READY_TIMEOUT (they have no time: a timeout is not a measurement).
    """
    from devenv import cluster, docker, profile, readiness
    from devenv.services import ports

    c = cluster.Cluster(name)
    st = c.state()
    p = profile.load_profile(Path(st["profile_path"]))
    all_ports = ports(p.to_dict(), c.port_overrides())
    conts = {ci.service: ci.name for ci in docker.containers(name)}
    probes = readiness.probes(p.to_dict(), all_ports, conts)
    out: dict[str, float] = {}
    not_ready: list[str] = []
    for inst, probe in probes.items():
        subprocess.run(["docker", "restart", "-t", "20", conts[inst]], check=True, capture_output=True)
        start = time.perf_counter()
        time.sleep(0.5)
        while (problem := probe()) is not None and time.perf_counter() - start <= READY_TIMEOUT:
            time.sleep(0.25)
        if problem is None:
            out[inst] = time.perf_counter() - start
        else:
            not_ready.append(inst)
            print(f"{inst} NOT READY after {READY_TIMEOUT:.0f} s: {problem}", file=sys.stderr)
    return out, not_ready


def stopped_after(name: str, since: float, until: float) -> dict[str, float]:
    """Seconds from `since` (epoch) to each of the cluster's containers dying, from the engine's events."""
    out = subprocess.run(["docker", "events", "--since", f"{since:.3f}", "--until", f"{until + 1:.3f}", "--format", "{{json .}}",
                          "--filter", f"label=devenv.cluster={name}", "--filter", "event=die"],
                         capture_output=True, text=True, check=True).stdout
    died: dict[str, float] = {}
    for line in out.splitlines():
        ev = json.loads(line)
        svc = ev["Actor"]["Attributes"].get("devenv.service", ev["Actor"]["Attributes"].get("name", "?"))
        died[svc] = ev["timeNano"] / 1e9 - since
    return died


def idle_memory_bytes(name: str, only: str = "") -> int:
    """Memory in use by the cluster's containers (those of service `only`, if given), from docker stats."""
    out = subprocess.run(["docker", "stats", "--no-stream", "--format", "{{json .}}"], capture_output=True, text=True, check=True).stdout
    total = 0
    units = {"B": 1, "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3}
    for line in out.splitlines():
        row = json.loads(line)
        if not row["Name"].startswith(f"devenv-{name}-{only}"):
            continue
        used = row["MemUsage"].split("/")[0].strip()
        for u in ("GiB", "MiB", "KiB", "B"):
            if used.endswith(u):
                total += int(float(used[: -len(u)]) * units[u])
                break
    return total


GATEWAY_GOAL_MB = 50  # issue 14: what the gateway may add to the idle cluster


def gateway_memory(n: str, idle_seconds: int) -> int:
    """Idle memory of the default cluster with the gateway, then of the same cluster without it."""
    import tempfile

    rows: list[list[object]] = []
    with tempfile.TemporaryDirectory() as tmp:
        off = Path(tmp) / "no-gateway.toml"
        off.write_text('schema = 1\nname = "no-gateway"\nextends = "default"\n\n[topology.services]\ngateway = false\n')
        totals = {}
        for label, prof in (("with the gateway", "default"), ("without the gateway", str(off))):
            devenv("down", "--name", n, "--volumes", "--yes", check=False)
            devenv("--profile", prof, "up", "--name", n, env_extra={"CI": "true", "DEVENV_TRUST": "1"})
            time.sleep(idle_seconds)
            totals[label] = idle_memory_bytes(n)
            gw = idle_memory_bytes(n, "gateway")
            rows.append([f"idle memory {label}, after {idle_seconds} s", f"{totals[label] / 1024**2:.0f} MiB",
                         f"the gateway's container: {gw / 1024**2:.1f} MiB" if gw else "docker stats"])
            devenv("down", "--name", n, "--volumes", "--yes")
    added = (totals["with the gateway"] - totals["without the gateway"]) / 1024**2
    met = "met" if added < GATEWAY_GOAL_MB else "NOT met"
    rows.append(["added by the gateway (difference of the totals)", f"{added:.0f} MiB",
                 f"goal < {GATEWAY_GOAL_MB} MB: {met}; the JVMs' own idle drift is in it too"])
    table(f"idle memory with and without the gateway (default profile, cluster {n})", ["figure", "value", "notes"], rows)
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--name", default="bench")
    ap.add_argument("--idle-seconds", type=int, default=60)
    ap.add_argument("--gateway-memory", action="store_true", help="only the idle memory with and without the gateway")
    ap.add_argument("--only", choices=["fast"], help="fast: only up (no change), status and status --json against the running cluster --name")
    args = ap.parse_args()
    n = args.name
    if args.only == "fast":
        rows, met = fast_answers(n, max(5, args.runs))
        table(f"fast answers on the running cluster {n} (load average {os.getloadavg()[0]:.1f})", ["figure", "value", "notes"], rows)
        return 0 if met else 1
    if args.gateway_memory:
        return gateway_memory(n, args.idle_seconds)
    devenv("down", "--name", n, "--volumes", "--yes", check=False)
    rows: list[list[object]] = []
    first, p = devenv("--json", "up", "--name", n)
    rows.append(["first up (format HDFS, create metastore schema)", f"{first:.0f} s", "1 run"])
    warm: list[float] = []
    for _ in range(args.runs):
        devenv("down", "--name", n)
        took, p = devenv("--json", "up", "--name", n)
        warm.append(took)
    ready = last_json(p.stdout)
    svc = ready["services"]
    own, not_ready = own_ready_seconds(n)
    rows.append(["warm up to all ready (existing data)", f"{median(warm):.0f} s", f"median of {args.runs}"])
    if not_ready:
        rows.append(["services alone: NOT READY (no time recorded)", ", ".join(not_ready), f"not ready within {READY_TIMEOUT:.0f} s; left out of the figures below"])
    if own:
        slowest = max(own, key=lambda k: own[k])
        rows.append([f"slowest service alone ({slowest})", f"{own[slowest]:.0f} s", ", ".join(f"{k} {v:.0f}" for k, v in sorted(own.items(), key=lambda kv: -kv[1]))])
        ratio = median(warm) / own[slowest]
        rows.append(["warm up / slowest service alone", f"{ratio:.2f}" + (" (incomplete: services not ready)" if not_ready else ""), "goal <= 1.3"])
    rows.append(["last warm up: each service ready after", "", ", ".join(f"{k} {v:.0f}s" for k, v in sorted(svc.items(), key=lambda kv: kv[1]))])
    fast, fast_met = fast_answers(n, max(5, args.runs))
    rows += fast
    time.sleep(args.idle_seconds)
    mem = idle_memory_bytes(n)
    mem_gib = mem / 1024**3
    met = "met" if mem_gib <= MEMORY_GOAL_GIB else "NOT met"
    rows.append([f"idle memory, whole cluster, after {args.idle_seconds} s", f"{mem_gib:.2f} GiB",
                 f"docker stats; goal <= {MEMORY_GOAL_GB:g} GB = {MEMORY_GOAL_GIB:.2f} GiB: {met}"])
    downs = []
    for _ in range(args.runs):
        since = time.time()
        downs.append(devenv("down", "--name", n)[0])
        died = stopped_after(n, since, time.time())
        devenv("up", "--name", n)
    rows.append(["down (data kept)", f"{median(downs):.1f} s", f"median of {args.runs} (goal <= 3 s)"])
    rows.append(["last down: each service stopped after", "", ", ".join(f"{k} {v:.1f}s" for k, v in sorted(died.items(), key=lambda kv: kv[1]))])
    devenv("down", "--name", n, "--volumes", "--yes")
    table(f"devenv up/down (default profile, cluster {n})", ["figure", "value", "notes"], rows)
    if not_ready:
        print(f"NOT READY within {READY_TIMEOUT:.0f} s: {', '.join(not_ready)}", file=sys.stderr)
        return 1
    return 0 if fast_met else 1


if __name__ == "__main__":
    sys.exit(main())
