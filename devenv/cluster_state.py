"""What devenv knows about a cluster on disk, and what is left of clusters it no longer knows.

A cluster is a Compose project named `devenv-<name>` whose rendered files live
in the state directory (`clusters/<name>/`): compose.json, conf/ (mounted
read-only), client/ (for host tools), state.json (profile, ports) and secrets/.
"""

from __future__ import annotations

import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from devenv import compose, docker, fsutil, owner, schema
from devenv.docker import ContainerInfo, ResourceInfo
from devenv.errors import DevenvError
from devenv.paths import paths

if TYPE_CHECKING:
    from devenv.profile import Profile


@dataclass(frozen=True)
class Cluster:
    name: str

    @property
    def dir(self) -> Path:
        return paths().state / "clusters" / self.name

    @property
    def project(self) -> str:
        return compose.project_name(self.name)

    @property
    def compose_file(self) -> Path:
        return self.dir / "compose.json"

    @property
    def state_file(self) -> Path:
        return self.dir / "state.json"

    def state(self) -> dict[str, Any]:
        """state.json; a damaged one falls back to state.json.bak, or is an error naming the file (never "no cluster")."""
        data = fsutil.read_json(self.state_file, default={}, fix=(
            f"remove {self.state_file} and run `devenv up --name {self.name}` to write it again (the cluster's data is in its volumes)"))
        if not isinstance(data, dict):
            raise DevenvError(f"{self.state_file} is not a JSON object", hint=f"remove it and run `devenv up --name {self.name}`")
        return data

    def write_state(self, state: Mapping[str, Any]) -> None:
        fsutil.private_dir(self.dir)
        fsutil.write_json(self.state_file, dict(state))

    def port_overrides(self) -> dict[tuple[str, str], int]:
        return {(k.split("/")[0], k.split("/")[1]): v for k, v in self.state().get("ports", {}).items()}


def client_env(c: Cluster) -> dict[str, str]:
    """The variables host tools (hdfs, pyspark, beeline) need for this cluster's client configuration (client/)."""
    if not (c.dir / "client" / "hadoop" / "core-site.xml").exists():
        raise DevenvError(f"no cluster named {c.name!r} has been started here", hint="start it with devenv up")
    return {
        "HADOOP_CONF_DIR": str(c.dir / "client" / "hadoop"),
        "SPARK_CONF_DIR": str(c.dir / "client" / "spark"),
        "HADOOP_USER_NAME": "hadoop",
    }


def cluster_name(name: str | None, profile: "Profile") -> str:
    n = name or profile.name
    if not re.fullmatch(schema.NAME_PATTERN, n):
        raise DevenvError(f"cluster name {n!r} must be lower-case letters, digits and '-' (it names hosts, networks and volumes)")
    return n


def known_clusters() -> list[str]:
    """Clusters devenv has state for (`devenv down` keeps it; they still exist)."""
    root = paths().state / "clusters"
    return sorted(p.name for p in root.iterdir() if (p / "compose.json").is_file()) if root.is_dir() else []


def save_state(c: Cluster, profile: "Profile", overrides: Mapping[tuple[str, str], int], digest: str, tags: Mapping[str, str],
               lock_digest: str = "") -> None:
    """state.json after rendering: the profile, chosen ports, what was rendered, the images and the lock (its sha256) they came from."""
    prev = c.state()
    c.write_state({
        "schema": 1, "cluster": c.name, "profile": profile.name, "profile_path": str(profile.path),
        "ports": {f"{i}/{n}": p for (i, n), p in overrides.items()}, "rendered": digest, "images": dict(tags), "lock_digest": lock_digest,
        "created": prev.get("created") or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "bootstrapped": prev.get("bootstrapped", False),
    })


def db_password(c: Cluster) -> str:
    """The metastore database's password, made once per cluster, in its private secrets/ directory."""
    f = c.dir / "secrets" / "db-password"
    fsutil.private_dir(c.dir)
    fsutil.private_dir(f.parent)  # before the file exists: nobody else can ever open it
    # Created once and never replaced: the file is bind-mounted on its own, so a new inode would not reach the
    # running database. Readable (0644) because the database reads it as its own uid through that mount;
    # only this user can reach it on the host, through the private (0700) secrets/ and cluster directories.
    fsutil.create_once(f, secrets.token_urlsafe(18), mode=0o644)
    os.chmod(f, 0o644)
    text = f.read_text(encoding="ascii").strip()
    if not text:
        raise DevenvError(f"{f} is empty", hint=f"remove the cluster and its data to make a new password: devenv down --name {c.name} --volumes")
    return text


# --- leftovers: the one definition (prune and doctor) -------------------------------

def leftovers_among(containers: Iterable[ContainerInfo], others: Iterable[ResourceInfo], known: Iterable[str], *,
                    mine: str | None, all_owners: bool = False) -> list[ResourceInfo]:
    """The resources of clusters that no longer exist: devenv has no state for them and none of their containers runs.

    Only this home's (those labelled with its owner id `mine`) unless `all_owners`: another home's
    clusters have no state here either, and a resource without the label (an older devenv's) is
    never ours to guess. Containers first, then `others` (networks, volumes) in the order given.
    """
    conts = list(containers)
    alive = set(known) | {c.cluster for c in conts if c.running}
    left = [ResourceInfo("container", c.name, c.labels) for c in conts if c.cluster not in alive]
    left += [r for r in others if r.cluster not in alive]
    return [r for r in left if all_owners or owner.is_mine(r.labels, mine)]


def leftovers(*, all_owners: bool = False) -> list[ResourceInfo]:
    """Leftovers on the engine now (containers, networks, volumes): this home's, or with `all_owners` everyone's."""
    return leftovers_among(docker.containers(), [*docker.networks(), *docker.volumes()], known_clusters(),
                           mine=owner.home_id(create=False), all_owners=all_owners)


def foreign(resources: Iterable[ResourceInfo], mine: str | None) -> list[ResourceInfo]:
    """The resources that are not this home's (another home's, or an older devenv's without an owner label)."""
    return [r for r in resources if not owner.is_mine(r.labels, mine)]


def remove_resources(resources: Sequence[ResourceInfo]) -> None:
    """Remove containers, volumes and networks (containers first, so their volumes and networks are free)."""
    by = {k: [r.name for r in resources if r.kind == k] for k in ("container", "network", "volume")}
    docker.remove(containers_=by["container"], volumes_=by["volume"], networks_=by["network"])
