"""The doctor's runner: select checks, run them each against its own deadline, the `--json` document.

`run_checks` runs the selected checks at once; a check that overruns or raises
is reported as `error` rather than taking the run down. Importing this module
imports `devenv.doctor.checks`, which registers every check.
"""

from __future__ import annotations

import difflib
import logging
import time
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any, Sequence

from devenv.doctor import checks as _checks  # noqa: F401  (importing it registers every check)
from devenv.doctor.model import CATEGORIES, REGISTRY, Check, Context, Finding, Skip, skip, submit
from devenv.errors import DevenvError, UsageError

log = logging.getLogger("devenv.doctor")

SCHEMA = 1
STATES = ("ok", "warn", "fail", "skip", "error")


def all_checks() -> list[Check]:
    """Every check, grouped by category in display order."""
    order = list(CATEGORIES)
    return sorted(REGISTRY.values(), key=lambda c: order.index(c.category))


def select(ids: Sequence[str]) -> list[Check]:
    """The checks named by `--check` (an id, or a category for all its checks), in display order."""
    checks = all_checks()
    if not ids:
        return checks
    chosen: set[str] = set()
    for wanted in ids:
        hit = [c.id for c in checks if c.id == wanted or c.category == wanted]
        if not hit:
            close = difflib.get_close_matches(wanted, [c.id for c in checks], n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise UsageError(f"no check named {wanted!r}", hint=f"{hint}see devenv doctor --list-checks")
        chosen.update(hit)
    return [c for c in checks if c.id in chosen]


# --- running ------------------------------------------------------------------

@dataclass(frozen=True)
class Result:
    check: Check
    finding: Finding
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        f = self.finding
        return {
            "id": self.check.id, "category": self.check.category, "title": self.check.title,
            "state": f.state, "message": f.message, "found": f.found, "required": f.required,
            "fix": f.fix, "safe_fix": f.safe_fix.description if f.safe_fix else None,
            "seconds": round(self.seconds, 3),
        }


def _run_one(c: Check, ctx: Context) -> Finding:
    try:
        return c.fn(ctx)
    except Skip as e:
        return skip(str(e))
    except TimeoutError as e:
        return Finding("error", f"timed out: {e}", fix=f"run it alone with -v (devenv doctor --check {c.id})")
    except DevenvError as e:
        return Finding("error", f"{c.id} could not run: {e.message}", fix=e.hint or "")
    except Exception as e:  # a bug in a check must not hide the others
        log.exception("check %s", c.id)
        return Finding("error", f"{c.id} could not run: {type(e).__name__}: {e}", fix="this is a bug in devenv; the traceback is in the debug log")



def run_checks(checks: Sequence[Check], ctx: Context) -> list[Result]:
    """Run `checks` concurrently, each bounded by its own timeout; results in the order given."""
    if not checks:
        return []
    start = time.perf_counter()
    futures = [(c, submit(lambda c=c: (_run_one(c, ctx), time.perf_counter()), f"doctor-{c.id}")) for c in checks]
    results = []
    for c, fut in futures:
        try:
            finding, end = fut.result(timeout=max(0.0, c.timeout - (time.perf_counter() - start)))
        except FutureTimeout:
            what = ctx.waiting_for(f"doctor-{c.id}")
            finding, end = Finding("error", f"timed out after {c.timeout:g} s" + (f" waiting for {what}" if what else ""),
                                   fix="run it alone with -v (devenv doctor --check " + c.id + "); the debug log shows where it waited"), time.perf_counter()
        results.append(Result(c, finding, end - start))
        log.debug("check %s: %s %s (%.3f s)", c.id, finding.state, finding.message, end - start)
    return results


def summary(results: Sequence[Result], *, strict: bool) -> dict[str, Any]:
    counts = {s: sum(r.finding.state == s for r in results) for s in STATES}
    failing = counts["fail"] + (counts["warn"] + counts["error"] if strict else 0)
    return {**counts, "strict": strict, "exit_code": 1 if failing else 0}


def to_json(results: Sequence[Result], *, profile: str | None, strict: bool, seconds: float) -> dict[str, Any]:
    """The `--json` document; `schema` changes only when a field changes meaning or goes away."""
    return {
        "schema": SCHEMA,
        "profile": profile,
        "checks": [r.to_dict() for r in results],
        "summary": {**summary(results, strict=strict), "seconds": round(seconds, 3)},
    }
