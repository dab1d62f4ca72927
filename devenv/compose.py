"""The Compose project of a cluster, rendered from the profile.

One service per instance (namenode, datanode-1, ...), named as Hadoop needs
host names (no underscores), on a network named `devenv-<cluster>`. Every
container, volume and the network carry devenv's labels. Ports bind to the
profile's address (127.0.0.1 by default). Config directories are mounted
read-only: a config change needs a restart, not a rebuild.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from devenv import labels as lb
from devenv import schema
from devenv.services import SERVICE_IMAGE, PortPlan, instances

if TYPE_CHECKING:
    from devenv.profile import Profile

HEAP_SHARE = 0.7  # of a container's memory limit, for the JVM heap

# Stop order (Compose stops a service before the ones it depends on, and starts it after them).
# A client stopped after its server waits out the whole grace period: HiveServer2's shutdown hook
# deletes its scratch directories on HDFS and, with the NameNode already gone, retries the
# failover proxy for ~20 s; a NodeManager unregisters from the ResourceManager. So clients go first.
STOPS_BEFORE = {
    "hiveserver2": ("namenode", "metastore"),
    "metastore": ("metastore-db",),
    "nodemanager": ("resourcemanager",),
}


def project_name(cluster: str) -> str:
    return f"devenv-{cluster}"


def labels(cluster: str, profile: str, service: str | None = None) -> dict[str, str]:
    """devenv's labels for a resource of `cluster` (and of one instance, with `service`), owned by this home."""
    from devenv import owner

    out = {lb.MANAGED: "true", lb.CLUSTER: cluster, lb.PROFILE: profile, lb.OWNER: str(owner.home_id())}
    if service:
        out[lb.SERVICE] = service
    return out


def _kept(name: str, fresh: dict[str, str], existing: Mapping[str, Mapping[str, str]] | None) -> dict[str, str]:
    """An existing volume's or network's own devenv labels, else `fresh`.

    Labels are fixed when a volume is made, and newer Compose versions hash them: declaring
    other labels (an owner id an older devenv did not set) would make Compose offer to
    re-create the volume, deleting its data. So an existing one is declared as it is.
    """
    have = (existing or {}).get(name)
    chosen = {k: v for k, v in have.items() if k.startswith("devenv.")} if have is not None else fresh
    return dict(sorted(chosen.items()))  # the engine lists labels sorted: the same model either way, so up's fast path holds


def _mb(prof: "Profile", svc: str) -> int:
    return schema.parse_memory(prof.resources["memory"][svc]) or 256


def depends_on(prof: "Profile") -> dict[str, list[str]]:
    """Each instance's instances it stops before (and starts after), among those the profile runs."""
    by_service: dict[str, list[str]] = {}
    for inst, svc in instances(prof):
        by_service.setdefault(svc, []).append(inst)
    return {inst: sorted(i for dep in STOPS_BEFORE.get(svc, ()) for i in by_service.get(dep, []))
            for inst, svc in instances(prof) if any(by_service.get(dep) for dep in STOPS_BEFORE.get(svc, ()))}


def _in_stop_order(prof: "Profile", services: dict[str, Any]) -> dict[str, Any]:
    """The services with their `depends_on` (see STOPS_BEFORE)."""
    for inst, deps in depends_on(prof).items():
        services[inst]["depends_on"] = deps
    return services


def render(prof: "Profile", *, cluster: str, tags: Mapping[str, str], conf_dir: Path,
           ports: PortPlan, secrets_dir: Path, existing: Mapping[str, Mapping[str, str]] | None = None) -> dict[str, Any]:
    """The compose model (written as JSON, which Compose reads as YAML); `existing`: labels of volumes and networks already made."""
    profile = prof.name
    yarn_mb = schema.parse_memory(prof.resources["yarn_memory"]) or 0
    services: dict[str, Any] = {}
    volumes: dict[str, Any] = {}
    hadoop_conf = lambda inst: f"{conf_dir / ('hadoop-' + inst if inst.startswith(('datanode-', 'nodemanager-', 'namenode')) else 'hadoop')}:/etc/hadoop/conf:ro"  # noqa: E731
    for inst, svc in instances(prof):
        mem = _mb(prof, svc)
        heap = f"{int(mem * HEAP_SHARE)}m"
        limit = mem + (yarn_mb if svc == "nodemanager" else 0)
        vol = f"{inst}-data"
        vol_name = f"{project_name(cluster)}-{vol}"
        volumes[vol] = {"name": vol_name, "labels": _kept(vol_name, labels(cluster, profile, inst), existing)}
        s: dict[str, Any] = {
            "hostname": inst,
            "labels": labels(cluster, profile, inst),
            "networks": ["cluster"],
            "mem_limit": f"{limit}m",
            "stop_grace_period": "20s",
            "extra_hosts": ["host.docker.internal:host-gateway"],
            "volumes": [f"{vol}:/data"],
            "ports": [p.publish for p in ports.of(inst)],
            "image": tags[SERVICE_IMAGE[svc]],
        }
        env: dict[str, str] = {}
        if svc in ("namenode", "datanode", "resourcemanager", "historyserver", "nodemanager"):
            s["command"] = [svc]
            env["HADOOP_HEAPSIZE_MAX"] = heap
            s["volumes"].append(hadoop_conf(inst))
        elif svc == "spark-history":
            s["command"] = ["spark-history"]
            # the rest of this container's memory is for drivers run from the edge node (devenv shell)
            env["SPARK_DAEMON_MEMORY"] = "256m"
            # the edge node (devenv shell): beeline-site.xml only, no server settings or secrets
            s["volumes"] += [hadoop_conf(inst), f"{conf_dir / 'spark'}:/etc/spark/conf:ro", f"{conf_dir / 'edge-hive'}:/etc/hive/conf:ro"]
        elif svc in ("metastore", "hiveserver2"):
            s["command"] = [svc]
            # HiveServer2 keeps half its memory free for the beeline/hive clients people run inside it
            env["HIVE_HEAP"] = f"{mem // 2}m" if svc == "hiveserver2" else heap
            s["volumes"] += [hadoop_conf(inst), f"{conf_dir / 'hive'}:/etc/hive/conf:ro"]
        elif svc == "gateway":
            s["volumes"].append(f"{conf_dir / 'gateway'}:/etc/nginx/devenv:ro")
        elif svc == "metastore-db":
            s["command"] = ["postgres"]
            env.update({"METASTORE_DB": "metastore", "METASTORE_DB_USER": "hive",
                        "METASTORE_DB_PASSWORD_FILE": "/run/secrets/db-password"})
            s["volumes"].append(f"{secrets_dir / 'db-password'}:/run/secrets/db-password:ro")
        env["DEVENV_CLUSTER"] = cluster  # the prompt of `devenv shell` names the cluster
        s["environment"] = env
        services[inst] = s
    return {
        "name": project_name(cluster),
        "services": _in_stop_order(prof, services),
        "networks": {"cluster": {"name": project_name(cluster), "labels": _kept(project_name(cluster), labels(cluster, profile), existing)}},
        "volumes": volumes,
    }
