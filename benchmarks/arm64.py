"""The default profile's images built for linux/arm64 on an amd64 machine, under QEMU (issue 17).

1. QEMU user emulation: Debian's qemu-user-static and binfmt-support are installed if
   missing, and the aarch64 handler is checked in /proc/sys/fs/binfmt_misc.
2. An arm64 Debian base, provisioned like the amd64 one (debootstrap --arch=arm64 from
   the machine's apt mirror; .ci/base-images.sh with BASE_ARCH=arm64), imported as
   debian:bookworm-slim-arm64 for linux/arm64.
3. `devenv build --platform linux/arm64` of a profile that extends default with that
   base: each image's build time (the builds run each image's own version report and
   fail unless it prints the pin).
4. Each image's version report and `uname -m`, run again from the built image.
5. An arm64 cluster started with `devenv up` (long wait timeout): the time until the
   NameNode and the Hive metastore answer their readiness probes (and every other
   service's, where it gets there), then deleted.

Slow (tens of minutes on 2 cores): run it before resolving, not in CI.

    python benchmarks/arm64.py [--home DIR] [--skip-up]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, devenv, table  # noqa: E402

BASE = "debian:bookworm-slim-arm64"
PLATFORM = "linux/arm64"
REPORTS = {  # image -> the version report its build already checks
    "jvm": "java -version 2>&1 | head -1",
    "hadoop": "hadoop version | head -1",
    "hive": "hive --version 2>/dev/null | head -1",
    "spark": "spark-submit --version 2>&1 | grep -m1 version",
    "postgres": "ls /usr/lib/postgresql",
}


def sh(cmd: list[str], **kw) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def ensure_qemu() -> str:
    if not Path("/proc/sys/fs/binfmt_misc/qemu-aarch64").exists():
        if shutil.which("update-binfmts") is None or shutil.which("qemu-aarch64-static") is None:
            sh(["apt-get", "install", "-y", "-q", "qemu-user-static", "binfmt-support"], check=True)
        if not Path("/proc/sys/fs/binfmt_misc/register").exists():
            sh(["mount", "binfmt_misc", "-t", "binfmt_misc", "/proc/sys/fs/binfmt_misc"])
        sh(["update-binfmts", "--enable", "qemu-aarch64"])
    f = Path("/proc/sys/fs/binfmt_misc/qemu-aarch64")
    if not f.exists() or "enabled" not in f.read_text():
        sys.exit("QEMU's aarch64 handler is not registered in binfmt_misc (needs qemu-user-static, binfmt-support)")
    return sh(["qemu-aarch64-static", "--version"]).stdout.splitlines()[0]


def ensure_base() -> float:
    start = time.perf_counter()
    if sh(["docker", "image", "inspect", BASE]).returncode != 0:
        sh(["bash", str(REPO / ".ci" / "base-images.sh"), "bookworm"], env={**os.environ, "BASE_ARCH": "arm64"}, check=True)
    return time.perf_counter() - start


def arm_profile(d: Path) -> Path:
    p = d / "arm64.toml"
    # Under QEMU a JVM's memory is its own plus the emulator's translated code: the default limits got the
    # ResourceManager killed (exit 137), so each JVM service gets 1.5 GiB here, heaps unchanged in share;
    # PostgreSQL's postmaster died the same way during the metastore's schema creation: 1 GiB.
    jvms = ("namenode", "datanode", "resourcemanager", "nodemanager", "historyserver", "metastore", "hiveserver2")
    memory = "".join(f'{s} = "1536m"\n' for s in jvms)
    p.write_text(f'schema = 1\nname = "arm64"\nextends = "default"\n\n[images]\nbase = "{BASE}"\ndb_base = "{BASE}"\n'
                 f'platform = "{PLATFORM}"\n\n[resources]\ntotal = "16g"\n\n[resources.memory]\n{memory}'
                 f'spark-history = "2048m"\nmetastore-db = "1024m"\n')
    return p


def build(prof: Path, home: str) -> tuple[float, dict[str, float], dict[str, str]]:
    took, p = devenv("--profile", str(prof), "build", home=home, timeout=14400)
    per = {m[0]: float(m[1]) for m in re.findall(r"built devenv/(\w+):\S+ in (\d+) s", p.stdout + p.stderr)}
    tags = {m[0]: m[1] for m in re.findall(r"^(\w+)\s+(devenv/\S+)\s+(?:built|present)$", p.stdout, re.M)}
    return took, per, tags


def report(tag: str, image: str) -> str:
    r = sh(["docker", "run", "--rm", "--platform", PLATFORM, "--entrypoint", "bash", tag, "-c",
            f"echo $(uname -m): $({REPORTS[image]})"], timeout=900)
    return (r.stdout.strip() or r.stderr.strip())[:90]


def up(prof: Path, home: str) -> dict[str, str]:
    name = "bench-arm64"
    env = {"CI": "true", "DEVENV_TRUST": "1"}
    devenv("down", "--profile", str(prof), "--name", name, "--volumes", "--yes", home=home, check=False, env_extra=env)
    ready: dict[str, str] = {}
    try:
        start = time.perf_counter()
        with subprocess.Popen([sys.executable, "-m", "devenv", "--json", "--profile", str(prof), "up", "--name", name,
                               "--ports", "auto", "--wait-timeout", "1500"], stdout=subprocess.PIPE, text=True, cwd=REPO,
                              env={**os.environ, **env, "DEVENV_HOME": home, "NO_COLOR": "1"}) as proc:
            assert proc.stdout is not None
            for line in proc.stdout:
                try:  # one JSON event per line; the final document spans lines
                    e = json.loads(line)
                except ValueError:
                    continue
                if isinstance(e, dict):
                    if e.get("event") == "service-ready":
                        ready[e["service"]] = f"{e.get('seconds', time.perf_counter() - start):.0f} s"
                    elif e.get("event") in ("error", "failed"):
                        ready["(up)"] = str(e.get("message", e))[:100]
        return ready
    finally:
        logs = Path(home) / "exported-logs" / name
        devenv("logs", "--profile", str(prof), "--name", name, "--export", str(logs), home=home, check=False, env_extra=env)
        print(f"service logs of the arm64 cluster: {logs}", file=sys.stderr)
        devenv("down", "--profile", str(prof), "--name", name, "--volumes", "--yes", home=home, check=False, env_extra=env)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", default=os.environ.get("DEVENV_TEST_HOME", "/var/tmp/devenv-ci/home"))
    ap.add_argument("--skip-up", action="store_true", help="build and report versions only")
    a = ap.parse_args()
    qemu = ensure_qemu()
    base_s = ensure_base()
    with tempfile.TemporaryDirectory() as d:
        prof = arm_profile(Path(d))
        total, per, tags = build(prof, a.home)
        rows = [[img, tags.get(img, "?"), f"{per[img]:.0f} s" if img in per else "present", report(tags[img], img) if img in tags else "-"]
                for img in REPORTS]
        table(f"linux/arm64 images under {qemu} (base provisioned in {base_s:.0f} s; build {total:.0f} s)",
              ["image", "tag", "build", "uname -m: version report"], rows)
        if not a.skip_up:
            ready = up(prof, a.home)
            table("arm64 cluster under emulation: time to ready per service (devenv up)", ["service", "ready after"],
                  [[s, t] for s, t in sorted(ready.items())])
            if not {"namenode", "metastore"} <= set(ready):
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
