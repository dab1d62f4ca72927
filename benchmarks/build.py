"""Issue 3 figures: the cold path measured at a proxy, no-op rebuild, and the unique bytes of the
default stack's images.

    python benchmarks/build.py [--runs N] [--skip-cold]

The cold path uses a fresh devenv home (empty artifact cache): `devenv fetch`,
then `devenv build --no-cache` (no layer reuse), then `devenv fetch` again,
all through a private squid forward proxy (Debian's `squid` must be
installed; see benchmarks/_squid.py). devenv passes HTTP(S)_PROXY into the
image builds, so apt inside the builds crosses the proxy as well as devenv's
own downloads; the bytes are summed from squid's access log per source
(maven, pypi, debian/apt, other), not from devenv's counter. Traffic that
ignores the proxy is not seen: base images are local, as on the build
machine, so the engine pulls nothing.

Image sizes are exact bytes (`docker history --human=false`, each image's sum
checked against `docker image inspect` Size), shared layers counted once.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, devenv, median, table  # noqa: E402
from _squid import SOURCES, Squid, source_hosts, totals  # noqa: E402

# Documented sizes of the equivalent Apache binary tarballs (not downloadable here, not measured).
APACHE_TARBALLS_MB = {"hadoop-3.4.x.tar.gz (full)": 929, "hadoop-3.4.x-lean.tar.gz": 471}
ARTIFACT_GOAL = 1.05


def unique_image_bytes(tags: list[str]) -> int:
    """Exact bytes of the images' layers, each shared layer counted once (layers are shared as prefixes)."""
    seen: set[tuple[str, ...]] = set()
    total = 0
    for tag in tags:
        out = _docker("history", "--human=false", "--no-trunc", "--format", "{{json .}}", tag)
        rows = [json.loads(line) for line in out.splitlines()][::-1]  # base first
        sizes = [int(r["Size"]) for r in rows]
        inspected = int(_docker("image", "inspect", "--format", "{{.Size}}", tag))
        if sum(sizes) != inspected:
            raise SystemExit(f"{tag}: layer sizes sum to {sum(sizes)} bytes, docker image inspect says {inspected}")
        prefix: tuple[str, ...] = ()
        for r, size in zip(rows, sizes):
            prefix = prefix + (f"{r['CreatedBy']}|{size}",)
            if size and prefix not in seen:
                seen.add(prefix)
                total += size
    return total


def _docker(*args: str) -> str:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=True).stdout.strip()


def _doctor_required(home: str, env: dict[str, str], check_id: str) -> str:
    _, p = devenv("--json", "doctor", "--check", check_id, home=home, check=False, env_extra=env)
    return next((c.get("required", "") for c in json.loads(p.stdout)["checks"] if c["id"] == check_id), "")


def cold(home: str, lock_bytes: int) -> tuple[list[list[object]], list[list[object]], bool]:
    """Fetch, build --no-cache and fetch again through squid.

    Returns the rows of the proxy table, summary rows (figure, value, notes),
    and whether the measurement is clean (something crossed, nothing refused or failed).
    """
    with Squid() as sq:
        env = sq.env()
        hosts = source_hosts(_doctor_required(home, env, "net.sources"))
        steps = [("devenv fetch (empty cache)", ["fetch"]), ("devenv build --no-cache", ["build", "--no-cache"]),
                 ("devenv fetch again", ["fetch"])]
        marks, secs = [time.time()], []
        for _, argv in steps:
            secs.append(devenv(*argv, home=home, env_extra=env)[0])
            time.sleep(1.5)  # squid logs a tunnel when it closes
            marks.append(time.time())
        entries = sq.read()
        print(f"squid {sq.url}, access log {sq.log}", file=sys.stderr)
    windows = [(label, marks[i], marks[i + 1], secs[i]) for i, (label, _) in enumerate(steps)]
    windows.append(("fetch + build --no-cache (the cold path)", marks[0], marks[2], secs[0] + secs[1]))
    rows: list[list[object]] = []
    clean = True
    for label, since, until, took in windows:
        t = totals(entries, hosts, since, until)
        clean &= not (t.denied or t.failed)
        rows.append([label, f"{took:.0f} s", *(f"{t.bytes[s] / 1e6:.2f}" for s in SOURCES), f"{t.total:,}",
                     sum(t.requests.values()), f"{t.denied}/{t.failed}"])
    path = totals(entries, hosts, marks[0], marks[2])
    again = totals(entries, hosts, marks[2], marks[3])
    clean &= path.total > 0  # nothing crossed: the proxy was not used
    art = path.bytes["maven"] + path.bytes["pypi"]
    summary: list[list[object]] = [
        ["cold path, all bytes at the proxy / locked artifact bytes", f"{path.total / lock_bytes:.3f}",
         f"{path.total / 1e6:.0f} MB / {lock_bytes / 1e6:.0f} MB, apt and pip included"],
        ["cold path, maven + pypi at the proxy / locked artifact bytes", f"{art / lock_bytes:.3f}",
         f"{art / 1e6:.0f} MB / {lock_bytes / 1e6:.0f} MB, with TLS and index pages (goal <= {ARTIFACT_GOAL})"],
        ["bytes crossing the proxy in a second fetch", f"{again.total:,}", "nothing fetched twice"],
    ]
    counter = Path(home) / "cache" / "artifacts" / "downloaded-bytes.json"
    if counter.is_file():
        own = json.loads(counter.read_text())["bytes"]
        summary.append(["devenv's own download counter (not the proxy)", f"{own / 1e6:.0f} MB", "for comparison only"])
    return rows, summary, clean


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5, help="no-op rebuild runs (default 5)")
    ap.add_argument("--skip-cold", action="store_true", help="only the no-op rebuild and sizes (no proxy, no cold build)")
    args = ap.parse_args()
    rows: list[list[object]] = []
    sys.path.insert(0, str(REPO))
    from devenv import lock as lk

    lock = lk.read(REPO / "profiles" / "default.lock")
    proxy_rows: list[list[object]] = []
    clean = True
    with tempfile.TemporaryDirectory(prefix="devenv-bench-") as home:
        if not args.skip_cold:
            proxy_rows, summary, clean = cold(home, lock.total_size)
            rows.extend(summary)
        home_for_noop = home if not args.skip_cold else None
        devenv("build", home=home_for_noop)
        samples = [devenv("build", home=home_for_noop)[0] for _ in range(args.runs)]
        rows.append(["no-op rebuild (devenv build)", f"{median(samples):.2f} s", f"median of {args.runs} (goal < 2 s)"])
        _, p = devenv("--json", "build", home=home_for_noop)
        tags = [i["tag"] for i in json.loads(p.stdout)["images"]]
    total = unique_image_bytes(tags)
    rows.append(["unique bytes of the default stack's images", f"{total / 1e9:.3f} GB ({total:,} bytes)", f"{len(tags)} images, exact layer sizes (goal < 2 GB = 2e9 bytes)"])
    rows.append(["locked artifacts (jars, pyspark sdist)", f"{lock.total_size / 1e9:.3f} GB ({lock.total_size:,} bytes)", f"{len(lock.unique())} files, sizes from the lock"])
    if proxy_rows:
        table("cold path, bytes that crossed the proxy (squid access log; MB = 1e6 bytes)",
              ["step", "time", *(f"{s} MB" for s in SOURCES), "total bytes", "requests", "refused/failed"], proxy_rows)
    table("devenv build (default profile), measured", ["figure", "value", "notes"], rows)
    table("documented reference, NOT measured here", ["Apache binary tarball", "documented size (compressed)"],
          [[name, f"{mb / 1e3:.2f} GB"] for name, mb in APACHE_TARBALLS_MB.items()])
    if not clean:
        print("the proxy refused or failed requests, or saw none: the proxy figures are not a valid measurement", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
