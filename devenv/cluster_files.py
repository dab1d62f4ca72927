"""A cluster's rendered files: conf/ (mounted read-only), client/ (host tools) and compose.json."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from devenv import compose, fsutil, gateway, host_config, labels, render
from devenv.cluster_state import Cluster, db_password
from devenv.services import PortPlan, instances

if TYPE_CHECKING:
    from devenv.profile import Profile


def hive_jars(lock: Any) -> list[str]:
    """file: URLs of the pinned Hive jars in the verified cache, for Spark's metastore client on the host."""
    from devenv import artifacts

    return sorted(artifacts.cached_path(a).resolve().as_uri() for a in lock.for_image("hive") if a.path.endswith(".jar"))


def config_files(profile: "Profile", plan: PortPlan, pw: str, host_hive_jars: list[str] | None,
                 driver_bind: str = "127.0.0.1") -> dict[str, str]:
    """conf/ (inside the cluster) and client/ (on this machine): relative path -> text.

    A Spark driver on the host ships its whole Hadoop configuration to the AM and executors, which lay it
    over the cluster's: so every key whose value differs on the host (addresses, datanode host names) is
    final inside the cluster, and the executors keep the cluster's addresses.
    """
    files: dict[str, str] = {}
    host, _ = host_config.host_profile(profile)  # only allow-listed overrides reach host tools
    on_host = render.hadoop_files(host, plan, host=True)
    per_instance = [(f"hadoop-{i}", i) for i, s in instances(profile) if s in ("namenode", "datanode", "nodemanager")]
    for sub, inst in [("hadoop", None), *per_instance]:
        for name, props in render.hadoop_files(profile, plan, instance=inst).items():
            final = [k for k, v in props.items() if k in on_host[name] and on_host[name][k] != v]
            files[f"conf/{sub}/{name}.xml"] = render.site_xml(props, final)
    files["conf/hive/hive-site.xml"] = render.site_xml(render.hive_site(profile, plan, pw))
    files["conf/spark/spark-defaults.conf"] = render.spark_conf(render.spark_defaults(profile))
    files["conf/spark/hive-site.xml"] = render.site_xml({"hive.metastore.uris": render.metastore_uri(plan)})
    # beeline with no -u connects to this cluster's HiveServer2: in the Hive services and on the edge node
    files["conf/hive/beeline-site.xml"] = files["conf/edge-hive/beeline-site.xml"] = render.site_xml(render.beeline_site(plan))
    for name, props in on_host.items():
        files[f"client/hadoop/{name}.xml"] = render.site_xml(props)
    files["client/spark/spark-defaults.conf"] = render.spark_conf(
        render.spark_defaults(host, host=True, host_hive_jars=host_hive_jars, driver_bind=driver_bind))
    files["client/spark/hive-site.xml"] = render.site_xml(render.hive_site(host, plan, pw, host=True))
    files["client/hadoop/hive-site.xml"] = files["client/spark/hive-site.xml"]
    if plan.find("gateway", "http"):
        files.update({f"conf/gateway/{k}": v for k, v in gateway.files(plan).items()})
    return files


def driver_bind(cluster: str) -> str:
    """Where a Spark driver on the host listens so that the AM and executors reach it.

    On a native Linux engine the containers reach this host at their network's gateway (measured: not
    at the default bridge's address that host-gateway maps to), an address only they use. Elsewhere
    (Docker Desktop on macOS and Windows, or a gateway inside a VM, which this host cannot bind) the
    loopback, which Docker Desktop forwards host.docker.internal to. Before the network exists (the
    first up renders before Compose makes it) the loopback too; `up` renders again after.
    """
    import platform
    import socket

    from devenv import compose, docker

    gateway = docker.network_gateway(compose.project_name(cluster)) if platform.system() == "Linux" else None
    if not gateway:
        return "127.0.0.1"
    try:
        with socket.socket() as s:
            s.bind((gateway, 0))  # an address of this machine, not of a VM's
    except OSError:
        return "127.0.0.1"
    return gateway


def _label_config_digests(c: Cluster, model: dict[str, Any], files: Mapping[str, str]) -> None:
    """A change to a mounted config file changes its container's label, so Compose recreates just that container."""
    for svc in model["services"].values():
        mounted = sorted(v.split(":")[0] for v in svc["volumes"] if str(c.dir / "conf") in v)
        h = hashlib.sha256()
        for m in mounted:
            rel = Path(m).relative_to(c.dir).as_posix()
            for k in sorted(k for k in files if k.startswith(rel + "/") or k == rel):
                h.update(k.encode() + files[k].encode())
        svc["labels"][labels.CONFIG] = h.hexdigest()[:16]


def render_files(c: Cluster, profile: "Profile", plan: PortPlan, tags: Mapping[str, str],
                 host_hive_jars: list[str] | None = None, existing: Mapping[str, Mapping[str, str]] | None = None,
                 bind: str = "127.0.0.1") -> str:
    """Write conf/, client/ and compose.json; returns a digest of everything rendered (`existing`: see compose.render;
    `bind`: see driver_bind)."""
    files = config_files(profile, plan, db_password(c), host_hive_jars, bind)
    model = compose.render(profile, cluster=c.name, tags=tags, conf_dir=c.dir / "conf", ports=plan, secrets_dir=c.dir / "secrets",
                           existing=existing)
    _label_config_digests(c, model, files)
    files["compose.json"] = json.dumps(model, indent=1)
    h = hashlib.sha256()
    for k in sorted(files):
        h.update(k.encode() + b"\0" + files[k].encode())
    digest = h.hexdigest()
    if digest != c.state().get("rendered") or not c.compose_file.exists():
        write_in_place(c.dir, files)
    return digest


# conf/ is read by the containers' own users (uid 1000, 999) through the bind mounts, so it must be readable by
# "others"; the cluster directory itself is private (0700), so on the host only this user reaches it.
# client/ is for host tools run by this user only and holds the metastore password: private.
_MODES = {"conf": (0o755, 0o644), "client": (0o700, 0o600)}


def write_in_place(root: Path, files: Mapping[str, str]) -> None:
    """Write the rendered files without ever removing a directory a container mounts.

    Compose mounts the directories under conf/ (never single files) read-only; a container that is not recreated
    keeps the directory it was started with, so each file is replaced inside it (temp file + os.replace: the new
    content appears whole) and only files no longer rendered are removed.
    """
    fsutil.private_dir(root)
    for rel, text in files.items():
        top = rel.split("/", 1)[0]
        dmode, fmode = _MODES.get(top, (0o700, 0o600))
        path = root / rel
        for d in reversed(path.relative_to(root).parents[:-1]):
            (root / d).mkdir(exist_ok=True)
            os.chmod(root / d, dmode)
        fsutil.atomic_write(path, text, mode=fmode)
    for top in _MODES:
        base = root / top
        if not base.is_dir():
            continue
        for f in sorted(base.rglob("*")):
            if (f.is_file() or f.is_symlink()) and f.relative_to(root).as_posix() not in files:
                f.unlink()
