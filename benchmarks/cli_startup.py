"""How long `devenv --help` and `devenv profile list` take, as a table of medians.

Target (issue 2): `devenv --help` answers in under 0.3 s. The CLI imports
rich, tomlkit and python-on-whales only inside the command that needs them.

    python benchmarks/cli_startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

CASES = {
    "devenv --help": ["--help"],
    "devenv --version": ["--version"],
    "devenv profile validate default": ["profile", "validate", "default"],
    "devenv profile list": ["profile", "list"],
}
TARGETS = {"devenv --help": 0.3}


def time_once(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "devenv", *argv], check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"CLI start-up, {args.runs} runs each (python -m devenv)")
    for col in ("command", "median s", "min s", "max s", "target s", "met"):
        t.add_column(col)
    failed = False
    for name, argv in CASES.items():
        time_once(argv)  # warm the file cache
        samples = [time_once(argv) for _ in range(args.runs)]
        med = statistics.median(samples)
        target = TARGETS.get(name)
        met = "" if target is None else ("yes" if med < target else "NO")
        failed |= met == "NO"
        t.add_row(name, f"{med:.3f}", f"{min(samples):.3f}", f"{max(samples):.3f}", f"{target}" if target else "", met)
    Console().print(t)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
