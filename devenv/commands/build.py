"""`devenv build`: build the profile's images, only those whose inputs changed."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from devenv.console import Ui

HELP = "build the profile's images (only what changed)"


def add_arguments(p: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    p.add_argument("--service", action="append", metavar="S", help="only the image of this service or image (repeatable)")
    p.add_argument("--no-cache", action="store_true", help="rebuild from scratch, ignoring existing images and layers")
    p.add_argument("--pull", action="store_true", help="pull newer base images (never done otherwise)")
    p.add_argument("--offline", action="store_true", help="use the artifact cache only")
    p.add_argument("--platform", metavar="linux/amd64|linux/arm64", help="build for this platform (tags end in its architecture; "
                   "another architecture than the engine's builds under QEMU emulation)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace, ui: "Ui") -> int:
    from devenv.commands._args import acting_context
    from devenv.compat import PLATFORMS
    from devenv.errors import UsageError
    from devenv.images import build_profile

    if args.platform and args.platform not in PLATFORMS:
        raise UsageError(f"--platform {args.platform}: devenv builds for {' and '.join(PLATFORMS)}")

    ctx = acting_context(args, ui)
    results = build_profile(ctx, services=args.service, no_cache=args.no_cache, pull=args.pull, offline=args.offline,
                           platform=args.platform)
    if args.json:
        ui.emit_json({"schema": 1, "images": [{"image": p.name, "tag": p.tag, "result": r} for p, r in results]})
    else:
        built = [p for p, r in results if r == "built"]
        for p, r in results:
            ui.print(f"{p.name:<9} {p.tag}  {r}")
        ui.print(f"{len(built)} built, {len(results) - len(built)} already present")
    return 0

