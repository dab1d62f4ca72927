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
    p.set_defaults(run=run)


def run(args: argparse.Namespace, ui: "Ui") -> int:
    from devenv.context import Context

    ctx = Context.load(args.profile, ui)
    results = build_profile(ctx, services=args.service, no_cache=args.no_cache, pull=args.pull, offline=args.offline)
    if args.json:
        ui.emit_json({"schema": 1, "images": [{"image": p.name, "tag": p.tag, "result": r} for p, r in results]})
    else:
        built = [p for p, r in results if r == "built"]
        for p, r in results:
            ui.print(f"{p.name:<9} {p.tag}  {r}")
        ui.print(f"{len(built)} built, {len(results) - len(built)} already present")
    return 0


def build_profile(ctx, *, services=None, no_cache=False, pull=False, offline=False):
    """Build the images a profile needs (library entry point, also used by `up`)."""
    from devenv import images

    names = [images.image_for(s) for s in services] if services else list(images.CLUSTER_IMAGES)
    needs_lock = any(images.SPECS[n].artifacts for n in images.with_parents(names))
    lock = ctx.lock() if needs_lock else None
    fetch = (lambda: ctx.fetch(lock, offline=offline)) if lock is not None else None
    return images.build(ctx.profile, lock, ui=ctx.ui, names=names, ca_pem=ctx.ca_pem, proxies=ctx.proxies,
                        no_cache=no_cache, pull=pull, before_first_build=fetch)
