"""`devenv bundle export|import`: one file that lets a machine without network run a profile."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from devenv.console import Ui

HELP = "export the profile's images, artifacts and lock into one file; import such a file on an offline machine"


def add_arguments(p: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    s = sub.add_parser("export", help="write a bundle of the profile (builds and fetches what is missing)", parents=[common])
    s.add_argument("-o", "--output", metavar="FILE", help="default: PROFILE.devenv-bundle.tar.zst in this directory")
    s.set_defaults(run=_export)
    s = sub.add_parser("import", help="check every member of a bundle, then load its images and artifacts", parents=[common])
    s.add_argument("file", metavar="FILE")
    s.add_argument("--reload-images", action="store_true", help="load the images even when their tags are already on the engine")
    s.set_defaults(run=_import)


def _export(args: argparse.Namespace, ui: "Ui") -> int:
    from pathlib import Path

    from devenv import bundle
    from devenv.commands._args import acting_context

    ctx = acting_context(args, ui)
    r = bundle.export(ctx, Path(args.output) if args.output else None)
    if args.json:
        ui.emit_json({"schema": 1, "path": str(r.path), "bytes": r.bytes, "members": r.members, "image_bytes": r.image_bytes,
                      "artifact_bytes": r.artifact_bytes, "seconds": round(r.seconds, 2)})
    else:
        ui.print(f"wrote {r.path}: {r.bytes / 1e6:.0f} MB ({r.members} members; images {r.image_bytes / 1e6:.0f} MB, "
                 f"artifacts {r.artifact_bytes / 1e6:.0f} MB before compression) in {r.seconds:.0f} s")
    return 0


def _import(args: argparse.Namespace, ui: "Ui") -> int:
    from pathlib import Path

    from devenv import bundle_import

    r = bundle_import.import_bundle(Path(args.file), ui, reload=args.reload_images)
    use = f"--profile {r.profile_dir / (r.profile + '.toml')}" if r.profile_dir else f"--profile {r.profile}"
    if args.json:
        ui.emit_json({"schema": 1, "profile": r.profile, "profile_dir": str(r.profile_dir) if r.profile_dir else None,
                      "images_loaded": r.images_loaded, "images_present": r.images_present, "artifacts_added": r.artifacts_added,
                      "artifacts_present": r.artifacts_present, "bytes": r.bytes, "seconds": round(r.seconds, 2)})
    else:
        ui.print(f"checked every member of {args.file}; images: {len(r.images_loaded)} loaded, {r.images_present} already here; "
                 f"artifacts: {r.artifacts_added} added to the cache, {r.artifacts_present} already here ({r.seconds:.0f} s)")
        ui.print(f"this machine can now run the profile without network: devenv {use} up  (`devenv doctor --check cache.bundle` checks it)")
    return 0
