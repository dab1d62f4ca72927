"""Issue 3 figures: cold build from an empty cache, no-op rebuild, bytes downloaded against the lock,
and the unique bytes of the default stack's images.

    python benchmarks/build.py [--runs N] [--skip-cold]

The cold build uses a fresh devenv home (empty artifact cache) and `--no-cache`
(no layer reuse); base images are local, as on the build machine.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, devenv, median, table  # noqa: E402

# Documented sizes of the equivalent Apache binary tarballs (not downloadable here).
APACHE_TARBALLS_MB = {"hadoop-3.4.x.tar.gz (full)": 929, "hadoop-3.4.x-lean.tar.gz": 471}


def unique_image_bytes(tags: list[str]) -> int:
    """Bytes of the images' layers, each shared layer counted once (layers are shared as prefixes)."""
    seen: set[tuple[str, ...]] = set()
    total = 0
    for tag in tags:
        out = subprocess.run(["docker", "history", "--no-trunc", "--format", "{{json .}}", tag], capture_output=True, text=True, check=True).stdout
        rows = [json.loads(line) for line in out.splitlines()][::-1]  # base first
        prefix: tuple[str, ...] = ()
        for r in rows:
            prefix = prefix + (r["CreatedBy"] + "|" + r["Size"],)
            if prefix in seen:
                continue
            seen.add(prefix)
            total += _bytes(r["Size"])
    return total


def _bytes(s: str) -> int:
    units = {"B": 1, "kB": 1e3, "KB": 1e3, "MB": 1e6, "GB": 1e9}
    for u in ("kB", "KB", "MB", "GB", "B"):
        if s.endswith(u):
            return int(float(s[: -len(u)]) * units[u])
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5, help="no-op rebuild runs (default 5)")
    ap.add_argument("--skip-cold", action="store_true", help="only the no-op rebuild and sizes")
    args = ap.parse_args()
    rows: list[list[object]] = []
    sys.path.insert(0, str(REPO))
    from devenv import lock as lk

    lock = lk.read(REPO / "profiles" / "default.lock")
    with tempfile.TemporaryDirectory(prefix="devenv-bench-") as home:
        if not args.skip_cold:
            took, _ = devenv("build", "--no-cache", home=home)
            rows.append(["cold build, empty cache (--no-cache)", f"{took:.0f} s", "1 run"])
            stats = json.loads((Path(home) / "cache" / "artifacts" / "downloaded-bytes.json").read_text())
            ratio = stats["bytes"] / lock.total_size
            rows.append(["bytes downloaded / locked artifact bytes", f"{ratio:.3f}", f"{stats['bytes'] / 1e6:.0f} MB / {lock.total_size / 1e6:.0f} MB (goal <= 1.05)"])
            took2, _ = devenv("fetch", home=home)
            again = json.loads((Path(home) / "cache" / "artifacts" / "downloaded-bytes.json").read_text())["bytes"] - stats["bytes"]
            rows.append(["bytes fetched again by a second fetch", str(again), "nothing fetched twice"])
        home_for_noop = home if not args.skip_cold else None
        devenv("build", home=home_for_noop)
        samples = [devenv("build", home=home_for_noop)[0] for _ in range(args.runs)]
        rows.append(["no-op rebuild (devenv build)", f"{median(samples):.2f} s", f"median of {args.runs} (goal < 2 s)"])
        _, p = devenv("--json", "build", home=home_for_noop)
        tags = [i["tag"] for i in json.loads(p.stdout)["images"]]
    total = unique_image_bytes(tags)
    rows.append(["unique bytes of the default stack's images", f"{total / 1e9:.2f} GB", f"{len(tags)} images (goal < 2 GB)"])
    for name, mb in APACHE_TARBALLS_MB.items():
        rows.append([f"Apache {name}", f"{mb / 1e3:.2f} GB", "documented size, compressed, for comparison"])
    rows.append(["locked artifacts (jars, pyspark sdist)", f"{lock.total_size / 1e9:.2f} GB", f"{len(lock.unique())} files"])
    table("devenv build (default profile)", ["figure", "value", "notes"], rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
