"""Rendered configuration and the Compose model, from profiles."""

from __future__ import annotations

import dataclasses
import json
import socket
import struct
import threading
from pathlib import Path

import pytest

from devenv import compose, owner, profile, readiness, render, services


def data(**over):
    """The default profile with some sections changed (a typed Profile, as the renderers take)."""
    p = profile.resolve("default")
    d = p.to_dict()
    for k, v in over.items():
        d[k] = {**d[k], **v}
    return dataclasses.replace(p, data=d)


def test_overrides_win_over_devenv_defaults() -> None:
    d = data(config={"yarn-site": {"yarn.scheduler.minimum-allocation-mb": 512}, "core-site": {"fs.trash.interval": 60}})
    files = render.hadoop_files(d, services.ports(d))
    assert files["yarn-site"]["yarn.scheduler.minimum-allocation-mb"] == 512
    assert files["core-site"]["fs.trash.interval"] == 60
    assert files["core-site"]["fs.defaultFS"] == "hdfs://devenv"


def test_capacity_scheduler_queues_from_profile() -> None:
    d = data(config={"capacity-scheduler": {"yarn.scheduler.capacity.root.queues": "default,etl", "yarn.scheduler.capacity.root.etl.capacity": 40, "yarn.scheduler.capacity.root.default.capacity": 60}})
    cap = render.hadoop_files(d, services.ports(d))["capacity-scheduler"]
    assert cap["yarn.scheduler.capacity.root.queues"] == "default,etl"
    assert cap["yarn.scheduler.capacity.root.default.capacity"] == 60


def test_host_config_points_the_logical_name_at_published_ports() -> None:
    d = data(network={"bind": "127.0.0.1", "port_base": 20000})
    inside = render.hadoop_files(d, services.ports(d))["hdfs-site"]
    host = render.hadoop_files(d, services.ports(d), host=True)["hdfs-site"]
    assert inside["dfs.namenode.rpc-address.devenv.nn1"] == "namenode:8020"
    assert host["dfs.namenode.rpc-address.devenv.nn1"] == "localhost:20000"
    assert host["dfs.client.use.datanode.hostname"] is True and inside["dfs.client.use.datanode.hostname"] is False


def test_datanodes_listen_on_their_published_ports() -> None:
    d = data(topology={"datanodes": 2})
    ps = services.ports(d)
    dn2 = {p.name: p for p in ps if p.service == "datanode-2"}
    assert dn2["data"].host == dn2["data"].container == 9876
    hdfs = render.hadoop_files(d, services.ports(d), instance="datanode-2")["hdfs-site"]
    assert hdfs["dfs.datanode.address"] == "0.0.0.0:9876"
    assert hdfs["dfs.datanode.hostname"] == "localhost"
    assert render.hadoop_files(d, services.ports(d))["hdfs-site"]["dfs.replication"] == 2


def test_site_xml_escapes() -> None:
    xml = render.site_xml({"a<b": "x&y", "flag": True})
    assert "<name>a&lt;b</name><value>x&amp;y</value>" in xml and "<value>true</value>" in xml


def test_compose_model_names_labels_ports_and_memory(tmp_path: Path) -> None:
    d = data(topology={"datanodes": 2, "nodemanagers": 1})
    tags = {k: f"devenv/{k}:t" for k in ("hadoop", "hive", "spark", "postgres", "gateway")}
    m = compose.render(d, cluster="team", tags=tags, conf_dir=tmp_path / "conf", ports=services.ports(d), secrets_dir=tmp_path / "s")
    assert m["networks"]["cluster"]["name"] == "devenv-team"
    assert all("_" not in name for name in m["services"])
    assert set(m["services"]) == {"namenode", "datanode-1", "datanode-2", "resourcemanager", "nodemanager-1", "historyserver",
                                  "spark-history", "metastore-db", "metastore", "hiveserver2", "gateway"}
    nn = m["services"]["namenode"]
    assert nn["ports"] == ["127.0.0.1:8020:8020", "127.0.0.1:9870:9870"]
    assert nn["labels"] == {"devenv.managed": "true", "devenv.cluster": "team", "devenv.profile": "default", "devenv.service": "namenode",
                            "devenv.owner": owner.home_id()}
    # the network and every volume carry this home's owner id too (prune and down --volumes match on it)
    assert m["networks"]["cluster"]["labels"]["devenv.owner"] == owner.home_id()
    assert {v["labels"]["devenv.owner"] for v in m["volumes"].values()} == {owner.home_id()}
    assert m["services"]["nodemanager-1"]["mem_limit"] == "2368m"  # daemon 320m + yarn_memory 2g
    assert m["services"]["nodemanager-1"]["image"] == "devenv/spark:t"
    assert m["services"]["metastore-db"]["ports"] == []  # the database is not published
    assert m["volumes"]["datanode-2-data"]["name"] == "devenv-team-datanode-2-data"


def test_optional_services_can_be_turned_off() -> None:
    d = data(topology={"services": {"historyserver": False, "spark-history": True, "hiveserver2": False}})
    names = [i for i, _ in services.instances(d)]
    assert "historyserver" not in names and "hiveserver2" not in names and "spark-history" in names


def test_port_base_numbers_host_ports_in_order() -> None:
    ps = services.ports(data(network={"bind": "0.0.0.0", "port_base": 30000}))
    assert [p.host for p in ps] == list(range(30000, 30000 + len(ps)))
    assert ps[0].url == "hdfs://localhost:30000"


def _fake_metastore(reply: bytes):
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    got: list[bytes] = []

    def serve():
        conn, _ = srv.accept()
        got.append(conn.recv(1024))
        conn.sendall(reply)
        conn.close()

    threading.Thread(target=serve, daemon=True).start()
    return srv.getsockname()[1], got


def _reply(dbs: list[str]) -> bytes:
    name = b"get_all_databases"
    body = struct.pack("!iI", -2147418112 | 2, len(name)) + name + struct.pack("!i", 1)
    body += struct.pack("!bhbi", 15, 0, 11, len(dbs)) + b"".join(struct.pack("!i", len(d)) + d.encode() for d in dbs) + b"\x00"
    return body


def test_thrift_probe_speaks_the_binary_protocol() -> None:
    port, got = _fake_metastore(_reply(["default", "tpch"]))
    assert readiness.thrift_get_all_databases("127.0.0.1", port) == ["default", "tpch"]
    assert got[0] == struct.pack("!iI", -2147418111, 17) + b"get_all_databases" + struct.pack("!i", 1) + b"\x00"


def test_thrift_probe_reports_exceptions() -> None:
    name = b"get_all_databases"
    port, _ = _fake_metastore(struct.pack("!iI", -2147418112 | 3, len(name)) + name + struct.pack("!i", 1))
    with pytest.raises(OSError) as e:
        readiness.thrift_get_all_databases("127.0.0.1", port)
    assert str(e.value) == "the metastore answered with a Thrift exception (message type 3)"


def test_beeline_connects_to_this_clusters_hiveserver2_without_a_url() -> None:
    props = render.beeline_site(services.ports(data()))
    assert props["beeline.hs2.jdbc.url.default"] == "devenv"
    assert props["beeline.hs2.jdbc.url.devenv"] == "jdbc:hive2://hiveserver2:10000/default;user=hadoop;password="
    # inside the cluster: the service name and container port, wherever the host ports are published
    moved = render.beeline_site(services.ports(data(network={"bind": "127.0.0.1", "port_base": 20000})))
    assert moved == props


def test_the_edge_node_gets_beeline_site_and_every_service_names_its_cluster(tmp_path: Path) -> None:
    d = data()
    tags = {k: f"devenv/{k}:t" for k in ("hadoop", "hive", "spark", "postgres", "gateway")}
    model = compose.render(d, cluster="c1", tags=tags, conf_dir=tmp_path / "conf", ports=services.ports(d), secrets_dir=tmp_path / "s")
    edge = model["services"]["spark-history"]
    assert f"{tmp_path / 'conf' / 'edge-hive'}:/etc/hive/conf:ro" in edge["volumes"]
    assert all(s["environment"]["DEVENV_CLUSTER"] == "c1" for s in model["services"].values())
    hs2 = model["services"]["hiveserver2"]
    assert not any("edge-hive" in v for v in hs2["volumes"])


def test_the_edge_hive_conf_dir_holds_only_beeline_site(isolated: Path) -> None:
    from devenv import cluster, cluster_files

    c = cluster.Cluster("edge")
    p = profile.resolve("default")
    tags = {k: f"devenv/{k}:t" for k in ("hadoop", "hive", "spark", "postgres", "gateway")}
    cluster_files.render_files(c, p, services.ports(p), tags, [])
    edge = c.dir / "conf" / "edge-hive"
    assert sorted(f.name for f in edge.iterdir()) == ["beeline-site.xml"]
    assert "ConnectionPassword" not in (edge / "beeline-site.xml").read_text()
    assert (c.dir / "conf" / "hive" / "beeline-site.xml").read_text() == (edge / "beeline-site.xml").read_text()


def test_jobs_run_on_yarn_inside_the_cluster_as_in_production() -> None:
    d = data()
    inside = render.hadoop_files(d, services.ports(d))["mapred-site"]
    assert inside["mapreduce.framework.name"] == "yarn"
    assert render.spark_defaults(d)["spark.master"] == "yarn"


def test_clients_stop_before_the_servers_they_talk_to(tmp_path: Path) -> None:
    # compose down stops a service before its depends_on: HiveServer2 before the NameNode (its
    # shutdown hook deletes scratch dirs on HDFS and waited out the grace period when the NameNode went first)
    d = data(topology={"datanodes": 2, "nodemanagers": 2})
    tags = {k: f"devenv/{k}:t" for k in ("hadoop", "hive", "spark", "postgres", "gateway")}
    m = compose.render(d, cluster="team", tags=tags, conf_dir=tmp_path / "conf", ports=services.ports(d), secrets_dir=tmp_path / "s")
    deps = {name: s.get("depends_on") for name, s in m["services"].items() if s.get("depends_on")}
    assert deps == {"hiveserver2": ["metastore", "namenode"], "metastore": ["metastore-db"],
                    "nodemanager-1": ["resourcemanager"], "nodemanager-2": ["resourcemanager"]}
    # every dependency is a service of the model, and the order has no cycle
    seen: list[str] = []
    while len(seen) < len(m["services"]):
        ready = [n for n in m["services"] if n not in seen and all(x in seen for x in deps.get(n, []))]
        assert ready, f"cycle among {set(m['services']) - set(seen)}"
        seen += ready


def test_stop_order_leaves_out_services_the_profile_turns_off(tmp_path: Path) -> None:
    d = data(topology={"services": {"hiveserver2": False}})
    assert "hiveserver2" not in compose.depends_on(d)
    assert compose.depends_on(d)["metastore"] == ["metastore-db"]
