"""Issue 13 figures: `class up` of N students from a bundle-imported home, time to all ready, idle memory per
student, `class reset` time, and a sizing table (students per host memory) from the measured figure.

    python benchmarks/classroom.py --bundle FILE [--students 3] [--prefix cls-bench] [--port-base 43000] [--seed]

Imports the bundle into a fresh home first (nothing else in that home), then runs the class there and
removes it (`class down --volumes`) at the end.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _common import devenv, last_json, table  # noqa: E402
from cluster import idle_memory_bytes  # noqa: E402

HOSTS_GB = (8, 16, 24, 32, 64)
RESERVE_GB = 2.0  # the host OS and the engine itself


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bundle", required=True)
    ap.add_argument("--students", type=int, default=3)
    ap.add_argument("--prefix", default="cls-bench")
    ap.add_argument("--port-base", default="43000")
    ap.add_argument("--seed", action="store_true")
    ap.add_argument("--idle-seconds", type=int, default=60)
    args = ap.parse_args()
    home = tempfile.mkdtemp(prefix="classroom-bench-")
    rows: list[list[object]] = []
    try:
        took, _ = devenv("bundle", "import", args.bundle, home=home)
        rows.append(["bundle import into a fresh home", f"{took:.0f} s", "images already on the engine: hashed, not loaded"])
        up = ["class", "up", "--students", str(args.students), "--prefix", args.prefix, "--port-base", args.port_base]
        took, _ = devenv(*up, *(["--seed"] if args.seed else []), home=home)
        rows.append([f"class up --students {args.students}{' --seed' if args.seed else ''}", f"{took:.0f} s",
                     "capacity check, start (bounded concurrency), seed, class snapshot each, all ready"])
        _, p = devenv("--json", "class", "status", "--prefix", args.prefix, home=home)
        ready = sum(s["ready"] for s in last_json(p.stdout)["students"])
        rows.append(["students ready", f"{ready} of {args.students}", ""])
        time.sleep(args.idle_seconds)
        per = [idle_memory_bytes(f"{args.prefix}-{i}") / 1024**3 for i in range(1, args.students + 1)]
        mean = sum(per) / len(per)
        rows.append([f"idle memory per student after {args.idle_seconds} s", f"{mean:.2f} GiB", ", ".join(f"{m:.2f}" for m in per)])
        took, _ = devenv("class", "reset", f"{args.prefix}-1", "--prefix", args.prefix, home=home)
        rows.append(["class reset (one student)", f"{took:.0f} s", "stop, restore every volume, start, ready"])
        table(f"devenv class ({args.students} students, default profile)", ["figure", "value", "notes"], rows)
        sizing = [[f"{gb} GB", int(max(0.0, gb - RESERVE_GB) // mean), int(gb * 1024**3 // (7 * 1024**3))] for gb in HOSTS_GB]
        table("students per host (idle, measured)", ["host memory", f"by idle use ({mean:.2f} GiB each, {RESERVE_GB:g} GB kept)",
                                                     "by budget (7 GiB each; what class up admits)"], sizing)
    finally:
        devenv("class", "down", "--prefix", args.prefix, "--volumes", home=home, check=False)
        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
