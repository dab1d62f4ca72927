"""Issue 11: doctor sees drift that is caused for real under a running cluster, and names found vs required.

One cluster (ci-drift: default's stack on ports from 24500, so it runs beside the other test clusters) for the module:
each test breaks one thing with the engine's own CLI, asks `devenv --json doctor --check ID`, then puts
it back and waits until the check is ok again, so the tests do not depend on each other. The cluster is
deleted at the end.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from integration.conftest import devenv, integration_home

pytestmark = pytest.mark.docker

NAME = "ci-drift"
PROFILE_TEXT = '''schema = 1
name = "drift"
description = "default's stack for the drift tests"
extends = "default"

[network]
port_base = 24500
'''
SETTLE = 180.0  # the most a daemon takes to restart or the ResourceManager to see a NodeManager go or come


def docker_cli(*args: str) -> str:
    return subprocess.run(["docker", *args], check=True, capture_output=True, text=True, timeout=300).stdout.strip()


def container(service: str) -> str:
    """The container of `service` in ci-drift (compose names it devenv-<cluster>-<service>-1)."""
    return f"devenv-{NAME}-{service}-1"


def doctor(profile: Path, check: str) -> dict[str, Any]:
    r = devenv("--json", "doctor", "--profile", str(profile), "--check", check, check=False)
    doc = json.loads(r.out)
    (found,) = [c for c in doc["checks"] if c["id"] == check]
    assert r.code == (1 if doc["summary"]["fail"] else 0), r
    return found


def wait_for(profile: Path, check: str, state: str) -> dict[str, Any]:
    """Ask doctor until `check` is in `state` (a wait for the daemons, not a timing assertion)."""
    deadline = time.monotonic() + SETTLE
    while True:
        c = doctor(profile, check)
        if c["state"] == state or time.monotonic() > deadline:
            return c
        time.sleep(5)


@pytest.fixture(scope="module")
def devenv_options(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The plugin's cluster for this module (dogfooding devenv.pytest_plugin; pyproject sets devenv_scope = module):
    ci-drift from the drift profile on its fixed ports, always started afresh, removed with its data at the end."""
    prof = tmp_path_factory.mktemp("drift") / "drift.toml"
    prof.write_text(PROFILE_TEXT)
    devenv("down", "--name", NAME, "--volumes", "--yes", check=False)
    return {"profile": str(prof), "name": NAME, "reuse": False, "keep": "never", "ports": "fixed"}


@pytest.fixture(scope="module")
def cluster(devenv_options: dict[str, Any], devenv_cluster):
    """The profile file of the running ci-drift cluster."""
    prof = Path(devenv_options["profile"])
    assert devenv_cluster.name == NAME and devenv_cluster.profile == "drift"
    for check in ("cluster.config", "cluster.yarn", "cluster.images"):
        assert wait_for(prof, check, "ok")["state"] == "ok"
    return prof


def test_a_config_file_changed_under_the_resourcemanager_fails_cluster_config(cluster) -> None:
    site = integration_home() / "state" / "clusters" / NAME / "conf" / "hadoop" / "yarn-site.xml"
    text = site.read_text()
    key = "<name>yarn.scheduler.maximum-allocation-mb</name>"
    assert key in text
    start = text.index(key)
    end = text.index("</value>", start)
    changed = text[:start] + key + "\n    <value>1536" + text[end:]
    try:
        site.write_text(changed)
        docker_cli("restart", container("resourcemanager"))  # the daemon reads its conf/ again
        c = wait_for(cluster, "cluster.config", "fail")
        assert c["state"] == "fail", c
        assert "resourcemanager: yarn.scheduler.maximum-allocation-mb is 1536, [config.yarn-site] sets 2048" in c["message"], c
        assert c["found"].startswith("1 of ") and c["found"].endswith(" differ") and c["required"] == "every [config.*] override in effect", c
    finally:
        site.write_text(text)
        docker_cli("restart", container("resourcemanager"))
    assert wait_for(cluster, "cluster.config", "ok")["state"] == "ok"
    assert wait_for(cluster, "cluster.yarn", "ok")["state"] == "ok"


def test_a_stopped_nodemanager_fails_cluster_yarn(cluster) -> None:
    try:
        docker_cli("stop", container("nodemanager-1"))
        c = wait_for(cluster, "cluster.yarn", "fail")
        assert c["state"] == "fail", c
        assert c["message"].startswith("0 of 1 NodeManagers are active"), c
        assert c["found"].startswith("0 active") and c["required"] == "1 active NodeManagers", c
    finally:
        docker_cli("start", container("nodemanager-1"))
    assert wait_for(cluster, "cluster.yarn", "ok")["state"] == "ok"


def _compose_up_db(compose_file: Path) -> None:
    docker_cli("compose", "-p", f"devenv-{NAME}", "-f", str(compose_file), "up", "-d", "--no-deps", "metastore-db")


def test_an_image_tag_moved_under_a_running_container_is_reported_as_drift(cluster) -> None:
    """The metastore database is recreated from a tag of its own (the same image), and that tag is then
    pointed at another image: the container no longer runs its tag's current build. Image drift is a `warn`
    (cluster.images: the cluster still runs; `devenv up` recreates). No tag another cluster uses is touched.
    """
    state = integration_home() / "state" / "clusters" / NAME
    compose = json.loads((state / "compose.json").read_text())
    ref = compose["services"]["metastore-db"]["image"]
    original = docker_cli("image", "inspect", "--format", "{{.Id}}", ref)
    private = f"{NAME}/postgres:drift"
    other = next(i for i in docker_cli("images", "--quiet", "--no-trunc", "devenv/jvm").split() if i != original)
    moved = state / "compose-drift.json"
    compose["services"]["metastore-db"]["image"] = private
    moved.write_text(json.dumps(compose))
    try:
        docker_cli("tag", ref, private)
        _compose_up_db(moved)
        assert doctor(cluster, "cluster.images")["state"] == "ok"  # the same image under another name is no drift
        docker_cli("tag", other, private)
        c = doctor(cluster, "cluster.images")
    finally:
        _compose_up_db(state / "compose.json")  # back on the profile's tag
        docker_cli("rmi", private)
        moved.unlink()
    assert c["state"] == "warn", c
    assert f"metastore-db runs an older build of {private} (rebuilt since it started)" in c["message"], c
    n = int(c["found"].split(" of ")[1].split()[0])
    assert c["found"] == f"{n - 1} of {n} current" and c["required"] == "every container on its image's current build", c
    assert doctor(cluster, "cluster.images")["state"] == "ok"
