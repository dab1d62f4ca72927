"""Issue 13 figures: a bundle's size against the unique bytes of its images, export and import times.

    python benchmarks/bundle.py [--home DIR] [--out FILE]

Exports the default profile from --home (its images and cache must be there), imports the bundle into a
fresh home (with --reload-images: the real `docker load`, since the engine already has the images),
imports it again (idempotent: only hashing), and prints a table.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _common import devenv, last_json, table  # noqa: E402


def unique_image_bytes(tags: list[str]) -> int:
    """The images' bytes with shared layers counted once: each image adds its size minus that of the largest image
    in the set whose layers are a prefix of its own (jvm on debian, hadoop on jvm, ...)."""
    imgs = json.loads(subprocess.run(["docker", "image", "inspect", *tags], capture_output=True, text=True, check=True).stdout)
    total = 0
    for i in imgs:
        mine = i["RootFS"]["Layers"]
        below = [int(j["Size"]) for j in imgs if len(j["RootFS"]["Layers"]) < len(mine) and mine[:len(j["RootFS"]["Layers"])] == j["RootFS"]["Layers"]]
        total += int(i["Size"]) - max(below, default=0)
    return total


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", default=None, help="the devenv home to export from (default: $DEVENV_HOME)")
    ap.add_argument("--out", default=None, help="the bundle file (default: a temporary file, removed)")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bundle-bench-"))
    out = Path(args.out) if args.out else work / "default.devenv-bundle.tar.zst"
    try:
        took_export, p = devenv("--json", "bundle", "export", "-o", str(out), home=args.home)
        exp = last_json(p.stdout)
        header = json.loads(subprocess.run([sys.executable, "-c", (
            "import sys, tarfile, zstandard\n"
            "with open(sys.argv[1], 'rb') as f, zstandard.ZstdDecompressor().stream_reader(f) as z, tarfile.open(fileobj=z, mode='r|') as t:\n"
            "    m = next(iter(t)); sys.stdout.write(t.extractfile(m).read().decode())"), str(out)], capture_output=True, text=True, check=True).stdout)
        fresh = str(work / "fresh-home")
        took_import, p = devenv("--json", "bundle", "import", "--reload-images", str(out), home=fresh)
        took_again, _ = devenv("--json", "bundle", "import", str(out), home=fresh)
        tags = header["images"] + header["base_images"]
        unique = unique_image_bytes(tags)
        rows = [
            ["bundle size", f"{exp['bytes'] / 1e6:.0f} MB", f"{exp['members']} members, zstd level 3"],
            ["images in it (docker save, layers once)", f"{exp['image_bytes'] / 1e6:.0f} MB", f"{len(tags)} tags incl. base image"],
            ["unique image bytes on the engine", f"{unique / 1e6:.0f} MB", "largest image of each layer chain (docker image inspect)"],
            ["artifacts + generator wheel in it", f"{exp['artifact_bytes'] / 1e6:.0f} MB", "before compression"],
            ["bundle / (unique images + artifacts)", f"{exp['bytes'] / (unique + exp['artifact_bytes']):.2f}", ""],
            ["export", f"{took_export:.0f} s", "docker save + hash + compress (images present, cache full)"],
            ["import into a fresh home", f"{took_import:.0f} s", "check every member, then docker load + cache"],
            ["import again (idempotent)", f"{took_again:.0f} s", "hash only: nothing written, nothing loaded"],
        ]
        table("devenv bundle (default profile)", ["figure", "value", "notes"], rows)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
