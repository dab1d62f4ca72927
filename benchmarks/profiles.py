"""Every built-in profile proven, not claimed (issue 17): build it, run the lifecycle tests on it, seed TPC-H.

For each profile named (default: spark40): its committed lock must exist; `devenv build`
is timed; the whole integration module tests/integration/test_lifecycle.py runs with
DEVENV_IT_PROFILE set to the profile (the same host-client checks as `default`: WebHDFS,
Thrift to HiveServer2, host pyspark at the profile's Spark pin, MapReduce and Spark on
YARN, the README typed into `devenv shell`, down/up keeping data); then a cluster of
the profile is started and `devenv seed --only tpch` loads TPC-H SF 0.01, verified
in HiveServer2 and Spark by seed itself; the version report of each image comes
from `devenv doctor --check cluster.versions`. Prints one row per profile; exits 1
if any step failed.

Slow (a build, about ten minutes of tests, a seed): run it before resolving, not in CI.
It uses the default ports, so run it with no other cluster on them.

    python benchmarks/profiles.py [--profile spark40 ...] [--home DIR]
"""

from __future__ import annotations

import argparse
import os
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, devenv, last_json, table  # noqa: E402


def lifecycle(profile: str, home: str) -> tuple[str, float]:
    """Run test_lifecycle.py against PROFILE; ('N passed, M failed', seconds)."""
    env = {**os.environ, "CI": "true", "DEVENV_TEST_HOME": home, "DEVENV_IT_PROFILE": profile, "DEVENV_IT_NAME": f"prof-{profile}"}
    start = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/integration/test_lifecycle.py"],
                       cwd=REPO, env=env, capture_output=True, text=True)
    took = time.perf_counter() - start
    summary = (p.stdout.strip().splitlines() or ["no output"])[-1]
    out = Path(home) / "exported-logs" / f"profiles-{profile}.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(p.stdout + p.stderr)
    failed = [line.split()[1].split("::")[-1] for line in p.stdout.splitlines() if line.startswith(("FAILED ", "ERROR "))]
    if failed:
        print(f"{profile}: failed {', '.join(failed)}; full output in {out}", file=sys.stderr)
    return summary.strip("= "), took


def seed_and_versions(profile: str, home: str) -> tuple[float, str, str]:
    """Start PROFILE's cluster, seed TPC-H SF 0.01 (verified by seed), read the versions check; always delete it."""
    name = f"prof-{profile}-seed"
    env = {"CI": "true", "DEVENV_TRUST": "1"}
    devenv("down", "--profile", profile, "--name", name, "--volumes", "--yes", home=home, check=False, env_extra=env)
    try:
        devenv("up", "--profile", profile, "--name", name, "--ports", "auto", home=home, env_extra=env)
        took, p = devenv("--json", "seed", "--profile", profile, "--name", name, "--only", "tpch", home=home, env_extra=env)
        rows = last_json(p.stdout)
        _t, d = devenv("--json", "doctor", "--profile", profile, "--check", "cluster.versions", home=home, check=False, env_extra=env)
        checks = [c for c in json.loads(d.stdout).get("checks", []) if c.get("id") == "cluster.versions"]
        versions = f"{checks[0]['state']}: {checks[0]['found']}" if checks else d.stdout[-120:]
        return took, str(rows.get("event", "?")), versions
    finally:
        devenv("down", "--profile", profile, "--name", name, "--volumes", "--yes", home=home, check=False, env_extra=env)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profile", action="append", help="built-in profile to prove (repeatable; default spark40)")
    ap.add_argument("--home", default=os.environ.get("DEVENV_TEST_HOME", "/var/tmp/devenv-ci/home"),
                    help="devenv home whose artifact cache is used (default: $DEVENV_TEST_HOME)")
    a = ap.parse_args()
    rows, failed = [], False
    for prof in a.profile or ["spark40"]:
        lock = REPO / "profiles" / f"{prof}.lock"
        if not lock.is_file():
            rows.append([prof, "no lock", "-", "-", "-", "-", "-"])
            failed = True
            continue
        build_s, b = devenv("--profile", prof, "build", home=a.home, check=False)
        if b.returncode != 0:
            rows.append([prof, "yes", f"FAILED: {b.stderr.strip().splitlines()[-1:]}", "-", "-", "-", "-"])
            failed = True
            continue
        summary, tests_s = lifecycle(prof, a.home)
        seed_s, seeded, versions = seed_and_versions(prof, a.home)
        failed |= "failed" in summary or "error" in summary or seeded != "seeded"
        rows.append([prof, "yes", f"{build_s:.0f} s", f"{summary} ({tests_s:.0f} s)", f"{seeded} in {seed_s:.0f} s", versions, ""])
    table("built-in profiles, proven", ["profile", "lock", "build", "test_lifecycle.py", "seed TPC-H 0.01", "cluster.versions", ""], rows)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
