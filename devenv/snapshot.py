"""Snapshots of a cluster's data: `devenv snapshot save|restore|list|rm NAME`.

A snapshot copies every data volume of the cluster (the NameNode's metadata,
each DataNode's blocks, the metastore's PostgreSQL directory, the history
servers' logs) with the whole cluster stopped, and restores them the same way.

Why stopped, rather than HDFS safemode plus `pg_dump`: safemode freezes the
namespace but not the DataNodes' block files, and a dump is a second format
whose restore means dropping and re-creating the database and cannot be taken
at the same instant as the HDFS copy. A stopped cluster has flushed and closed
everything (NameNode checkpoint on shutdown, PostgreSQL's clean shutdown), so
the copy of all volumes is one consistent point in time, and restoring it
makes the cluster exactly what it was, file for file. It costs a restart of
the containers (they are kept; no image or container is created).

Layout under the state directory: `snapshots/<cluster>/<NAME>/`, holding
`manifest.json` (cluster, profile, images, and per volume its archive's size
and sha256) and one `<service>.tar` per volume, written by `tar` in a container
of the cluster's own database image (present wherever the cluster runs, also
offline). Restore checks every archive against the manifest before it stops
anything.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from devenv import docker, fsutil, labels
from devenv.cluster_lock import changing
from devenv.errors import DevenvError
from devenv.paths import paths

if TYPE_CHECKING:
    from devenv.context import Context

SCHEMA = 1
NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,39}$")


def root(cluster: str) -> Path:
    return paths().state / "snapshots" / cluster


def _dir(cluster: str, name: str) -> Path:
    if not NAME.match(name):
        raise DevenvError(f"snapshot name {name!r} must be 1-40 lower-case letters, digits, '.', '_' or '-'")
    return root(cluster) / name


def _manifest(d: Path) -> dict[str, Any]:
    return json.loads((d / "manifest.json").read_text(encoding="utf-8"))


def listing(cluster: str) -> list[dict[str, Any]]:
    """The cluster's snapshots, oldest first: name, created, bytes."""
    out = []
    for d in sorted(root(cluster).glob("*/manifest.json")):
        m = _manifest(d.parent)
        out.append({"name": m["name"], "cluster": cluster, "created": m["created"],
                    "bytes": sum(v["size"] for v in m["volumes"].values()), "volumes": len(m["volumes"])})
    return sorted(out, key=lambda s: s["created"])


def remove(cluster: str, name: str) -> None:
    """Delete snapshot `name` of `cluster` (only inside the cluster's snapshot directory)."""
    from devenv.confine import safe_rmtree

    d = _dir(cluster, name)
    if not (d / "manifest.json").is_file():
        raise DevenvError(f"cluster {cluster!r} has no snapshot {name!r}", hint=f"devenv snapshot list --name {cluster}")
    safe_rmtree(d, root(cluster))


def _volumes(cluster: str) -> dict[str, str]:
    """service -> the name of its data volume."""
    return {v.labels.get(labels.SERVICE, v.name): v.name for v in docker.volumes(cluster)}


def _helper_image(state: dict[str, Any], cluster: str) -> str:
    image = (state.get("images") or {}).get("postgres")
    if not image or not docker.image_exists(image):
        raise DevenvError(f"cluster {cluster!r} has no database image recorded or present ({image})", hint=f"devenv up --name {cluster} first")
    return image


def _tar(image: str, volume: str, host_dir: Path, script: str, *, write_volume: bool) -> None:
    """Run `script` as root in a throw-away container: the volume at /v, the snapshot directory at /s."""
    docker.run(image, ["-c", script], entrypoint="sh", user="0",
               volumes=[(volume, "/v", "rw" if write_volume else "ro"), (str(host_dir), "/s", "ro" if write_volume else "rw")])


def _stopped(ctx: "Context", cluster: str, work: Callable[[], Any], on_event: Callable[[str, dict], None]) -> Any:
    """Stop the cluster, do `work`, start it again and wait for readiness (also when `work` failed)."""
    from devenv import cluster as cl

    c = cl.Cluster(cluster)
    on_event("stop", {"cluster": cluster})
    docker.compose_stop(c.compose_file, c.project)
    try:
        return work()
    finally:
        on_event("start", {"cluster": cluster})
        cl.up(ctx, cluster)


def save(ctx: "Context", cluster: str, name: str, *, on_event: Callable[[str, dict], None] = lambda e, d: None) -> dict[str, Any]:
    """Copy every data volume of `cluster` with the cluster stopped; returns the manifest."""
    from devenv import cluster as cl
    from devenv.confine import safe_rmtree
    from devenv.lock import sha256_file

    d = _dir(cluster, name)
    if d.exists():
        raise DevenvError(f"cluster {cluster!r} already has a snapshot {name!r}", hint=f"remove it first: devenv snapshot rm {name} --name {cluster}")
    with changing(cluster):
        state = cl.Cluster(cluster).state()
        if not state:
            raise DevenvError(f"no cluster named {cluster!r}", hint="devenv up starts one")
        image, vols = _helper_image(state, cluster), _volumes(cluster)
        d.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=d.parent))
        ids = f"{os.getuid()}:{os.getgid()}" if hasattr(os, "getuid") else "0:0"

        def copy() -> None:
            for svc, vol in sorted(vols.items()):
                on_event("copy", {"service": svc})
                _tar(image, vol, work, f"tar -cf /s/{svc}.tar -C /v . && chown {ids} /s/{svc}.tar", write_volume=False)

        started = time.monotonic()
        try:
            _stopped(ctx, cluster, copy, on_event)
            manifest = {"schema": SCHEMA, "name": name, "cluster": cluster, "profile": state.get("profile"),
                        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "images": state.get("images", {}),
                        "seconds": round(time.monotonic() - started, 1),
                        "volumes": {svc: {"file": f"{svc}.tar", "size": (work / f"{svc}.tar").stat().st_size,
                                          "sha256": sha256_file(work / f"{svc}.tar")} for svc in sorted(vols)}}
            fsutil.atomic_write(work / "manifest.json", json.dumps(manifest, indent=1))
            work.rename(d)
        except BaseException:
            safe_rmtree(work, d.parent)
            raise
    return manifest


def _checked(cluster: str, name: str) -> tuple[Path, dict[str, Any]]:
    """The snapshot's directory and manifest, every archive matching its size and sha256."""
    from devenv.lock import sha256_file

    d = _dir(cluster, name)
    if not (d / "manifest.json").is_file():
        raise DevenvError(f"cluster {cluster!r} has no snapshot {name!r}", hint=f"devenv snapshot list --name {cluster}")
    m = _manifest(d)
    for svc, v in m["volumes"].items():
        f = d / f"{svc}.tar"
        got = (f.stat().st_size, sha256_file(f)) if f.is_file() else (None, "missing")
        if got != (v["size"], v["sha256"]):
            raise DevenvError(f"snapshot {name!r}: {f} is damaged or missing (size {got[0]}, sha256 {got[1]}; the manifest says "
                              f"{v['size']}, {v['sha256']}); the cluster was not touched", hint="take the snapshot again")
    return d, m


def restore(ctx: "Context", cluster: str, name: str, *, on_event: Callable[[str, dict], None] = lambda e, d: None) -> float:
    """Put every data volume of `cluster` back as it was in snapshot `name`; returns the seconds it took."""
    from devenv import cluster as cl

    started = time.monotonic()
    d, m = _checked(cluster, name)
    with changing(cluster):
        state = cl.Cluster(cluster).state()
        image, vols = _helper_image(state, cluster), _volumes(cluster)
        if set(vols) != set(m["volumes"]):
            raise DevenvError(f"snapshot {name!r} holds the volumes of {', '.join(sorted(m['volumes']))}; cluster {cluster!r} has "
                              f"{', '.join(sorted(vols))}", hint="the cluster's topology changed since: restore into a cluster of that topology")

        def put_back() -> None:
            for svc, vol in sorted(vols.items()):
                on_event("restore", {"service": svc})
                _tar(image, vol, d, f"find /v -mindepth 1 -delete && tar -xpf /s/{svc}.tar -C /v", write_volume=True)

        _stopped(ctx, cluster, put_back, on_event)
    return time.monotonic() - started
