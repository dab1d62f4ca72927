"""Shared helpers for the benchmark scripts: run devenv as a user would, time it, print a table."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def devenv(*args: str, home: str | None = None, check: bool = True, timeout: float = 3600,
           env_extra: dict[str, str] | None = None) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Run `python -m devenv ARGS` (optionally with its own DEVENV_HOME and extra environment); (seconds, process)."""
    env = {**os.environ, "NO_COLOR": "1", **(env_extra or {})}
    if home:
        env["DEVENV_HOME"] = home
    start = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "devenv", *args], capture_output=True, text=True, env=env, cwd=REPO, timeout=timeout)
    took = time.perf_counter() - start
    if check and p.returncode != 0:
        sys.exit(f"devenv {' '.join(args)} failed ({p.returncode}):\n{p.stdout[-2000:]}\n{p.stderr[-3000:]}")
    return took, p


def last_json(out: str) -> Any:
    lines = [line for line in out.splitlines() if line.startswith("{")]
    try:
        return json.loads(out)
    except ValueError:
        return json.loads(lines[-1])


def median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title=title)
    for c in columns:
        t.add_column(c)
    for r in rows:
        t.add_row(*[str(x) for x in r])
    Console(width=160).print(t)
