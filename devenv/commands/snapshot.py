"""`devenv snapshot save|restore|list|rm`: a consistent copy of a cluster's HDFS and metastore, and putting it back."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from devenv.console import Ui

HELP = "save a cluster's data (HDFS, metastore) with its services stopped, restore it exactly, list or remove snapshots"


def add_arguments(p: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    for action, text in (("save", "stop the cluster, copy every data volume, start it again"),
                         ("restore", "stop the cluster, put every data volume back as it was, start it again"),
                         ("rm", "remove a snapshot"), ("list", "the cluster's snapshots")):
        s = sub.add_parser(action, help=text, parents=[common])
        if action != "list":
            s.add_argument("snapshot", metavar="NAME")
        s.add_argument("--name", help="cluster name (default: the profile's name)")
        s.set_defaults(run=run)


def _context(args: argparse.Namespace, ui: "Ui", cluster: str) -> Any:
    """The Context of the profile the cluster was made from (restarting it must not change it)."""
    from devenv import cluster as cl
    from devenv.commands._args import acting_context
    from devenv.errors import DevenvError

    st = cl.Cluster(cluster).state()
    if not st:
        raise DevenvError(f"no cluster named {cluster!r}", hint=f"known clusters: {', '.join(cl.known_clusters()) or 'none'}")
    return acting_context(args, ui, st["profile_path"])


def run(args: argparse.Namespace, ui: "Ui") -> int:
    """save, restore (with the cluster's own profile), list or rm; --json for data."""
    from devenv import snapshot
    from devenv.commands._args import resolve_name

    cluster = resolve_name(args)
    say = (lambda e, d: None) if args.json else (lambda e, d: ui.info(f"{e} {d.get('service') or d.get('cluster')}"))
    if args.action == "list":
        rows = snapshot.listing(cluster)
        if args.json:
            ui.emit_json({"schema": 1, "cluster": cluster, "snapshots": rows})
        else:
            ui.print("\n".join(f"{r['name']:<20} {r['created']}  {r['bytes'] / 1e6:.0f} MB, {r['volumes']} volumes" for r in rows)
                     or f"cluster {cluster!r} has no snapshots")
        return 0
    if args.action == "rm":
        snapshot.remove(cluster, args.snapshot)
        ui.print(f"removed snapshot {args.snapshot!r} of cluster {cluster!r}")
        return 0
    ctx = _context(args, ui, cluster)
    if args.action == "save":
        m = snapshot.save(ctx, cluster, args.snapshot, on_event=say)
        total = sum(v["size"] for v in m["volumes"].values())
        result = {"schema": 1, "cluster": cluster, "snapshot": args.snapshot, "bytes": total, "seconds": m["seconds"]}
        text = f"saved snapshot {args.snapshot!r} of cluster {cluster!r}: {len(m['volumes'])} volumes, {total / 1e6:.0f} MB"
    else:
        seconds = snapshot.restore(ctx, cluster, args.snapshot, on_event=say)
        result = {"schema": 1, "cluster": cluster, "snapshot": args.snapshot, "seconds": round(seconds, 1)}
        text = f"restored cluster {cluster!r} to snapshot {args.snapshot!r} in {seconds:.0f} s; it is ready"
    if args.json:
        ui.emit_json(result)
    else:
        ui.print(text)
    return 0
