"""A Spark driver on the host with executors in the cluster (`spark-submit --master yarn` after client-config).

Spark ships the driver's whole Hadoop configuration to the AM and executors and lays it over the
cluster's (`__spark_hadoop_conf__.xml`): the host's addresses must not win inside the cluster, so every
key the host sees differently is final there. The driver must be reachable from the containers.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from devenv import cluster_files, docker, profile, services


def _files(bind: str = "127.0.0.1") -> dict[str, str]:
    p = profile.load_profile(profile.builtin_dir() / "default.toml")
    return cluster_files.config_files(p, services.ports(p), "pw", [], bind)


def _props(xml: str) -> dict[str, tuple[str, bool]]:
    out = {}
    for prop in ET.fromstring(xml).iter("property"):
        out[prop.findtext("name")] = (prop.findtext("value"), prop.findtext("final") == "true")
    return out


def _overlay(cluster: dict[str, tuple[str, bool]], shipped: dict[str, tuple[str, bool]]) -> dict[str, str]:
    """Hadoop's rule: a resource loaded later overrides every key but the final ones."""
    out = {k: v for k, (v, _f) in cluster.items()}
    for k, (v, _f) in shipped.items():
        if not cluster.get(k, ("", False))[1]:
            out[k] = v
    return out


@pytest.mark.parametrize("name", ["core-site", "hdfs-site", "yarn-site", "mapred-site"])
def test_the_host_config_laid_over_the_cluster_leaves_the_cluster_addresses(name: str) -> None:
    files = _files()
    for sub in ("hadoop", "hadoop-nodemanager-1", "hadoop-datanode-1"):
        inside, host = _props(files[f"conf/{sub}/{name}.xml"]), _props(files[f"client/hadoop/{name}.xml"])
        assert _overlay(inside, host) == {k: v for k, (v, _f) in inside.items()} | {k: v for k, (v, _f) in host.items() if k not in inside}


def test_only_the_keys_that_differ_on_the_host_are_final() -> None:
    files = _files()
    inside = _props(files["conf/hadoop/hdfs-site.xml"])
    final = sorted(k for k, (_v, f) in inside.items() if f)
    assert final == ["dfs.client.use.datanode.hostname", "dfs.namenode.http-address.devenv.nn1", "dfs.namenode.rpc-address.devenv.nn1"]
    assert inside["dfs.namenode.rpc-address.devenv.nn1"] == ("namenode:8020", True)
    assert sorted(k for k, (_v, f) in _props(files["conf/hadoop/yarn-site.xml"]).items() if f) == [
        "yarn.resourcemanager.address", "yarn.resourcemanager.webapp.address"]
    assert not any(f for _v, f in _props(files["client/hadoop/hdfs-site.xml"]).values())  # the host's own are plain


def _spark(files: dict[str, str]) -> dict[str, str]:
    lines = files["client/spark/spark-defaults.conf"].splitlines()[1:]
    return dict(line.split(" ", 1) for line in lines)


def test_a_host_driver_is_reachable_from_the_containers_on_fixed_ports() -> None:
    desktop = _spark(_files("127.0.0.1"))
    assert desktop["spark.driver.host"] == "host.docker.internal" and desktop["spark.driver.bindAddress"] == "127.0.0.1"
    assert (desktop["spark.driver.port"], desktop["spark.driver.blockManager.port"]) == ("7078", "7079")
    assert desktop["spark.yarn.jars"] == "local:/opt/spark/jars/*"  # nothing uploaded per job
    # the cluster's Hadoop config (final addresses) comes before the shipped host config in the AM and executors
    assert desktop["spark.yarn.am.extraClassPath"] == desktop["spark.executor.extraClassPath"] == "/etc/hadoop/conf"
    assert desktop["spark.master"] == "local[*]"  # --master yarn is asked for, as before
    linux = _spark(_files("172.29.0.1"))
    assert linux["spark.driver.host"] == linux["spark.driver.bindAddress"] == "172.29.0.1"
    assert "spark.driver.host" not in _files()["conf/spark/spark-defaults.conf"]


def _engine(monkeypatch: pytest.MonkeyPatch, system: str, gateway: Any) -> list[str]:
    import platform

    monkeypatch.setattr(platform, "system", lambda: system)
    asked: list[str] = []
    monkeypatch.setattr(docker, "network_gateway", lambda name: asked.append(name) or gateway)
    return asked


@pytest.mark.parametrize(("system", "gateway", "bind"), [
    ("Linux", "127.0.0.1", "127.0.0.1"),    # an address this machine has: a native engine's gateway
    ("Linux", "192.0.2.77", "127.0.0.1"),   # TEST-NET, not this machine's: a gateway inside Docker Desktop's VM
    ("Linux", None, "127.0.0.1"),           # the cluster's network does not exist yet
    ("Darwin", "192.0.2.77", "127.0.0.1"),
    ("Windows", None, "127.0.0.1"),
])
def test_the_driver_binds_at_the_gateway_only_when_this_machine_has_it(monkeypatch: pytest.MonkeyPatch, system: str,
                                                                        gateway: Any, bind: str) -> None:
    asked = _engine(monkeypatch, system, gateway)
    assert cluster_files.driver_bind("team") == bind
    assert asked == (["devenv-team"] if system == "Linux" else [])  # the cluster's own network


@pytest.mark.skipif(sys.platform != "linux", reason="127.0.0.2 is an address of every Linux machine only")
def test_a_local_gateway_is_the_bind_address(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    local = socket.gethostbyname(socket.gethostname())  # some address of this machine besides the loopback, if any
    _engine(monkeypatch, "Linux", "127.0.0.2")
    assert cluster_files.driver_bind("team") == "127.0.0.2"  # all of 127/8 is local on Linux
    _engine(monkeypatch, "Linux", local)
    assert cluster_files.driver_bind("team") == local


def test_the_rendered_files_record_the_bind_so_a_new_engine_rerenders() -> None:
    assert _files("127.0.0.1")["client/spark/spark-defaults.conf"] != _files("172.29.0.1")["client/spark/spark-defaults.conf"]
