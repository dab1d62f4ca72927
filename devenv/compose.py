"""The Compose project of a cluster, rendered from the profile.

One service per instance (namenode, datanode-1, ...), named as Hadoop needs
host names (no underscores), on a network named `devenv-<cluster>`. Every
container, volume and the network carry devenv's labels. Ports bind to the
profile's address (127.0.0.1 by default). Config directories are mounted
read-only: a config change needs a restart, not a rebuild.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from devenv import schema
from devenv.services import Port, instances

HEAP_SHARE = 0.7  # of a container's memory limit, for the JVM heap


def project_name(cluster: str) -> str:
    return f"devenv-{cluster}"


def labels(cluster: str, profile: str, **extra: str) -> dict[str, str]:
    return {"devenv.managed": "true", "devenv.cluster": cluster, "devenv.profile": profile, **extra}


def _mb(data: Mapping[str, Any], svc: str) -> int:
    return schema.parse_memory(data["resources"]["memory"][svc]) or 256


def render(data: Mapping[str, Any], *, cluster: str, tags: Mapping[str, str], conf_dir: Path,
           ports: list[Port], secrets_dir: Path) -> dict[str, Any]:
    """The compose model (written as JSON, which Compose reads as YAML)."""
    profile = data["name"]
    yarn_mb = schema.parse_memory(data["resources"]["yarn_memory"]) or 0
    services: dict[str, Any] = {}
    volumes: dict[str, Any] = {}
    hadoop_conf = lambda inst: f"{conf_dir / ('hadoop-' + inst if inst.startswith(('datanode-', 'nodemanager-', 'namenode')) else 'hadoop')}:/etc/hadoop/conf:ro"  # noqa: E731
    for inst, svc in instances(data):
        mem = _mb(data, svc)
        heap = f"{int(mem * HEAP_SHARE)}m"
        limit = mem + (yarn_mb if svc == "nodemanager" else 0)
        vol = f"{inst}-data"
        volumes[vol] = {"name": f"{project_name(cluster)}-{vol}", "labels": labels(cluster, profile, **{"devenv.service": inst})}
        s: dict[str, Any] = {
            "hostname": inst,
            "labels": labels(cluster, profile, **{"devenv.service": inst}),
            "networks": ["cluster"],
            "mem_limit": f"{limit}m",
            "stop_grace_period": "20s",
            "extra_hosts": ["host.docker.internal:host-gateway"],
            "volumes": [f"{vol}:/data"],
            "ports": [f"{p.bind}:{p.host}:{p.container}" for p in ports if p.service == inst],
        }
        env: dict[str, str] = {}
        if svc in ("namenode", "datanode", "resourcemanager", "historyserver"):
            s["image"] = tags["hadoop"]
            s["command"] = [svc]
            env["HADOOP_HEAPSIZE_MAX"] = heap
            s["volumes"].append(hadoop_conf(inst))
        elif svc == "nodemanager":
            # NodeManagers run the Spark image: Spark and Python are on every node, as in production.
            s["image"] = tags["spark"]
            s["command"] = ["nodemanager"]
            env["HADOOP_HEAPSIZE_MAX"] = heap
            s["volumes"].append(hadoop_conf(inst))
        elif svc == "spark-history":
            s["image"] = tags["spark"]
            s["command"] = ["spark-history"]
            # the rest of this container's memory is for drivers run from the edge node (devenv shell)
            env["SPARK_DAEMON_MEMORY"] = "256m"
            # the edge node (devenv shell): beeline-site.xml only, no server settings or secrets
            s["volumes"] += [hadoop_conf(inst), f"{conf_dir / 'spark'}:/etc/spark/conf:ro", f"{conf_dir / 'edge-hive'}:/etc/hive/conf:ro"]
        elif svc in ("metastore", "hiveserver2"):
            s["image"] = tags["hive"]
            s["command"] = [svc]
            # HiveServer2 keeps half its memory free for the beeline/hive clients people run inside it
            env["HIVE_HEAP"] = f"{mem // 2}m" if svc == "hiveserver2" else heap
            s["volumes"] += [hadoop_conf(inst), f"{conf_dir / 'hive'}:/etc/hive/conf:ro"]
        elif svc == "metastore-db":
            s["image"] = tags["postgres"]
            s["command"] = ["postgres"]
            env.update({"METASTORE_DB": "metastore", "METASTORE_DB_USER": "hive",
                        "METASTORE_DB_PASSWORD_FILE": "/run/secrets/db-password"})
            s["volumes"].append(f"{secrets_dir / 'db-password'}:/run/secrets/db-password:ro")
        env["DEVENV_CLUSTER"] = cluster  # the prompt of `devenv shell` names the cluster
        s["environment"] = env
        services[inst] = s
    return {
        "name": project_name(cluster),
        "services": services,
        "networks": {"cluster": {"name": project_name(cluster), "labels": labels(cluster, profile)}},
        "volumes": volumes,
    }
