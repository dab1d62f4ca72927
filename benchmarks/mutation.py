"""Mutation testing of the modules that guard correctness, one module at a time.

For each guarded module this makes a scratch copy of the checkout (devenv/,
tests/, profiles/, images/, pyproject.toml), narrows mutmut there to that one
file and to the unit tests that exercise it, and runs `mutmut run
--max-children 1` (one worker: the machine has 2 cores and is shared). Then it
reads mutmut's per-mutant results and prints one table:

    module, mutants, killed, survived, timeout, kill rate

The kill rate is (killed + timeout) / mutants; every other outcome (survived,
no tests, suspicious, ...) counts against it, and survivors judged equivalent
(benchmarks/mutation-equivalents.md) are NOT taken out of the denominator.
Exit status 1 when any module is below the goal (85%).

Needs the `mutation` extra: `.venv/bin/python -m pip install -e '.[mutation]'`.

    .venv/bin/python benchmarks/mutation.py                  # every module, the table
    .venv/bin/python benchmarks/mutation.py lock --survivors # one module, with survivor diffs
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
GOAL = 0.85

# module -> the unit tests that exercise it (only these run against its mutants)
MODULES: dict[str, tuple[str, ...]] = {
    "devenv/lock.py": ("tests/unit/test_artifacts.py", "tests/unit/test_lock.py"),
    "devenv/seed/plan.py": ("tests/unit/test_seed.py", "tests/unit/test_seed_plan.py"),
    "devenv/compat.py": ("tests/unit/test_profile.py", "tests/unit/test_corpus.py",
                         "tests/unit/test_compat.py"),
    "devenv/schema.py": ("tests/unit/test_profile.py", "tests/unit/test_corpus.py",
                         "tests/unit/test_schema.py"),
    "devenv/artifacts.py": ("tests/unit/test_artifacts.py", "tests/unit/test_artifacts_cache.py"),
    "devenv/profile.py": ("tests/unit/test_profile.py", "tests/unit/test_corpus.py",
                          "tests/unit/test_profile_rules.py"),
}
COPIED = ("devenv", "tests", "profiles", "images")
KILLED = {"killed", "timeout"}


@dataclass
class Outcome:
    module: str
    status_by_mutant: dict[str, str]
    seconds: float

    def count(self, *statuses: str) -> int:
        return sum(1 for s in self.status_by_mutant.values() if s in statuses)

    @property
    def total(self) -> int:
        return len(self.status_by_mutant)

    @property
    def rate(self) -> float:
        return self.count(*KILLED) / self.total if self.total else 0.0

    @property
    def survivors(self) -> list[str]:
        return sorted(k for k, s in self.status_by_mutant.items() if s not in KILLED)


def slug(module: str) -> str:
    return module.replace("/", "_").removesuffix(".py")


def scratch_copy(module: str, tests: tuple[str, ...], root: Path) -> Path:
    """A copy of the checkout whose [tool.mutmut] mutates only `module` with only `tests`."""
    work = root / slug(module)
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    for name in COPIED:
        shutil.copytree(REPO / name, work / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    present = [t for t in tests if (REPO / t).is_file()]
    extra = (
        f'only_mutate = ["{module}"]\n'
        f"pytest_add_cli_args_test_selection = {json.dumps(present)}\n"
    )
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    text = text.replace("[tool.mutmut]\n", "[tool.mutmut]\n" + extra, 1)
    (work / "pyproject.toml").write_text(text, encoding="utf-8")
    return work


def mutmut(*args: str, cwd: Path, log: Path) -> None:
    exe = Path(sys.executable).parent / "mutmut"
    if not exe.is_file():
        sys.exit(f"mutmut is not installed in {Path(sys.executable).parent.parent}: "
                 "pip install -e '.[mutation]'")
    with log.open("a", encoding="utf-8") as out:
        subprocess.run([str(exe), *args], cwd=cwd, stdout=out, stderr=subprocess.STDOUT, check=False)


def results(work: Path, module: str) -> dict[str, str]:
    """Per-mutant status from mutmut's meta file (exit codes mapped by mutmut's own table)."""
    from mutmut.stats import status_by_exit_code

    meta = work / "mutants" / (module + ".meta")
    if not meta.is_file():
        return {}
    data = json.loads(meta.read_text(encoding="utf-8"))
    return {k: (status_by_exit_code[v] if v is not None else None) for k, v in data["exit_code_by_key"].items()}


def run_module(module: str, root: Path, survivors: bool) -> Outcome:
    work = scratch_copy(module, MODULES[module], root)
    log = work / "mutmut.log"
    start = time.monotonic()
    mutmut("run", "--max-children", "1", cwd=work, log=log)
    outcome = Outcome(module, results(work, module), time.monotonic() - start)
    if not outcome.total:
        tail = "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-20:])
        print(f"{module}: mutmut produced no results; end of {log}:\n{tail}", file=sys.stderr)
    if survivors:
        for name in outcome.survivors:
            show = work / "show.txt"
            show.unlink(missing_ok=True)
            mutmut("show", name, cwd=work, log=show)
            print(re.sub(r"\x1b\[[0-9;]*m", "", show.read_text(encoding="utf-8", errors="replace")))
    return outcome


def table(outcomes: list[Outcome]) -> str:
    rows = [("module", "mutants", "killed", "survived", "timeout", "other", "kill rate", "seconds")]
    for o in outcomes:
        other = o.total - o.count("killed", "survived", "timeout")
        rows.append((o.module, str(o.total), str(o.count("killed")), str(o.count("survived")),
                     str(o.count("timeout")), str(other), f"{o.rate:.1%}", "-" if o.seconds != o.seconds else f"{o.seconds:.0f}"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
             for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("modules", nargs="*", help="short names (profile, lock, seed/plan...); default: all")
    ap.add_argument("--survivors", action="store_true", help="print the diff of every surviving mutant")
    ap.add_argument("--workdir", type=Path, help="keep the scratch copies here (default: a temporary directory)")
    ap.add_argument("--collect", type=Path, nargs="+", metavar="WORKDIR",
                    help="run nothing: print the table from the results kept in these --workdir directories")
    args = ap.parse_args(argv)
    chosen = [m for m in MODULES if not args.modules
              or any(m == f"devenv/{a.removesuffix('.py')}.py" for a in args.modules)]
    if not chosen:
        ap.error(f"unknown module(s) {args.modules}; known: {', '.join(MODULES)}")
    if args.collect:
        outcomes = collect(chosen, args.collect)
        return max(report(outcomes), int(len(outcomes) < len(chosen)))
    root = args.workdir or Path(tempfile.mkdtemp(prefix="devenv-mutation-"))
    outcomes: list[Outcome] = []
    try:
        for m in chosen:
            outcomes.append(run_module(m, root, args.survivors))
            o = outcomes[-1]
            print(f"{m}: {o.count(*KILLED)}/{o.total} killed ({o.rate:.1%}) in {o.seconds:.0f} s",
                  file=sys.stderr, flush=True)
    finally:
        if args.workdir is None:
            shutil.rmtree(root, ignore_errors=True)
    return report(outcomes)


def collect(modules: list[str], workdirs: list[Path]) -> list[Outcome]:
    """Results already in kept workdirs (the last directory that has a module wins)."""
    found: dict[str, Outcome] = {}
    for root in workdirs:
        for m in modules:
            status = results(root / slug(m), m)
            if status and None not in status.values():
                found[m] = Outcome(m, status, float("nan"))
    missing = [m for m in modules if m not in found]
    if missing:
        print(f"no complete results (not counted as passing) for: {', '.join(missing)}")
    return [found[m] for m in modules if m in found]


def report(outcomes: list[Outcome]) -> int:
    print(table(outcomes))
    low = [o.module for o in outcomes if o.rate < GOAL]
    if low:
        print(f"below the {GOAL:.0%} goal: {', '.join(low)}")
        return 1
    print(f"every module in the table is at or above the {GOAL:.0%} goal")
    return 0


if __name__ == "__main__":
    sys.exit(main())
