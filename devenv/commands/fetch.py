"""`devenv fetch`: download the locked artifacts into the verified host cache."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from devenv.console import Ui

HELP = "download the profile's locked artifacts into the verified cache"


def add_arguments(p: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    p.add_argument("--offline", action="store_true", help="use the cache only; list everything missing")
    p.set_defaults(run=run)


def run(args: argparse.Namespace, ui: "Ui") -> int:
    from devenv import artifacts
    from devenv.commands._args import acting_context

    ctx = acting_context(args, ui)
    lock = ctx.lock()
    r = ctx.fetch(lock, offline=args.offline)
    if args.json:
        ui.emit_json({"schema": 1, "cache": str(artifacts.cache_root()), "fetched": r.fetched, "already": r.already,
                      "bytes_downloaded": r.bytes_downloaded, "locked_bytes": lock.total_size, "seconds": round(r.seconds, 2)})
    else:
        ui.print(f"{r.already + r.fetched} of {len(lock.unique())} artifacts verified in {artifacts.cache_root()}"
                 f" ({r.fetched} downloaded, {r.bytes_downloaded / 1e6:.0f} MB, {r.seconds:.1f} s)")
    return 0
