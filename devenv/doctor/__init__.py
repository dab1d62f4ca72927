"""`devenv doctor`: named checks of the workstation, the engine and a running cluster.

`model` holds findings, the registry and the Context checks read; `probes` the
questions asked of the machine; `checks` one module per category; `core` the
runner and the `--json` document. This package re-exports what callers use.
"""

from devenv.doctor.core import SCHEMA, STATES, Result, all_checks, run_checks, select, summary, to_json
from devenv.doctor.model import (CATEGORIES, REGISTRY, Check, Context, Finding, SafeFix, Skip, check, fail, ok, parallel,
                                 skip, submit, warn, worst)

__all__ = ["CATEGORIES", "REGISTRY", "SCHEMA", "STATES", "Check", "Context", "Finding", "Result", "SafeFix", "Skip",
           "all_checks", "check", "fail", "ok", "parallel", "run_checks", "select", "skip", "submit", "summary",
           "to_json", "warn", "worst"]
