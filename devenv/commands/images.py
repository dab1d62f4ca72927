"""`devenv images`: devenv's images with tags, sizes and the profiles that use them; `images prune`."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from devenv.console import Ui

HELP = "list devenv's images (tags, sizes, which profile uses each); `images prune` removes this home's unused ones"


def add_arguments(p: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    p.add_argument("action", nargs="?", choices=["list", "prune"], default="list")
    p.add_argument("--dry-run", action="store_true", help="prune: list what would be removed")
    p.set_defaults(run=run)


def run(args: argparse.Namespace, ui: "Ui") -> int:
    from rich.table import Table

    from devenv import cluster, docker, images, labels, owner

    used = images.used_by()
    running = {ci.image for ci in docker.containers()}
    for name in cluster.known_clusters():  # images of existing clusters stay
        running |= set(cluster.Cluster(name).state().get("images", {}).values())
    rows = []
    home = owner.home_id(create=False)
    for i in docker.images():
        for tag in i.tags or ("<untagged>",):
            rows.append({"tag": tag, "image": i.labels.get(labels.IMAGE, ""), "size": i.size,
                         "profiles": used.get(tag, []), "in_use": tag in running or bool(used.get(tag)),
                         "mine": owner.is_mine(i.labels, home)})
    if args.action == "prune":
        # keep the images the profiles last built, those of existing clusters, and other homes' (one engine, many homes)
        doomed = [r["tag"] for r in rows if not r["in_use"] and r["tag"] != "<untagged>" and r["mine"]]
        if not args.dry_run:
            docker.remove_images(doomed)
        if args.json:
            ui.emit_json({"schema": 1, "dry_run": args.dry_run, "removed": doomed})
        else:
            ui.print("\n".join(f"{'would remove' if args.dry_run else 'removed'} {t}" for t in doomed) or "nothing to prune")
        return 0
    if args.json:
        ui.emit_json({"schema": 1, "images": rows})
        return 0
    t = Table(box=None, pad_edge=False)
    for c in ("tag", "image", "size", "used by"):
        t.add_column(c)
    for r in sorted(rows, key=lambda r: r["tag"]):
        t.add_row(r["tag"], r["image"], f"{r['size'] / 1e6:.0f} MB", ", ".join(r["profiles"]) or ("a cluster" if r["in_use"] else ""))
    ui.print(t)
    return 0
