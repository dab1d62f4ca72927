"""The engine seam and the rules built on it: the endpoint rule (IPv4, IPv6, inside and out),
the one service -> image table, and the one definition of a leftover. Only devenv.docker is faked."""

from __future__ import annotations

import dataclasses
import http.server
import json
import socket
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from devenv import cluster, compose, docker, doctor, images, owner, profile, readiness, render, services
from devenv.console import Ui
from devenv.context import Context
from devenv.doctor.probes import Probes
from devenv.paths import paths

TAGS = {k: f"devenv/{k}:t" for k in ("hadoop", "hive", "spark", "postgres", "gateway")}


def prof(bind: str = "127.0.0.1", **topology):
    p = profile.resolve("default")
    d = p.to_dict()
    d["network"] = {**d["network"], "bind": bind}
    d["topology"] = {**d["topology"], **topology}
    return dataclasses.replace(p, data=d)


# --- the endpoint rule ------------------------------------------------------------

def test_ipv4_endpoints_inside_and_from_the_host() -> None:
    plan = services.ports(prof("127.0.0.1"))
    nn = plan.get("namenode", "http")
    assert (nn.connect_host(inside=True), nn.connect_port(inside=True)) == ("namenode", 9870)
    assert nn.hostport(inside=True) == "namenode:9870"
    assert nn.url_to("/jmx", inside=True) == "http://namenode:9870/jmx"
    assert nn.url_to("/jmx") == "http://localhost:9870/jmx"
    assert nn.url_to("/jmx", numeric=True) == "http://127.0.0.1:9870/jmx"
    assert nn.publish == "127.0.0.1:9870:9870"
    assert plan.get("hiveserver2", "jdbc").url_to(services.JDBC_DATABASE) == "jdbc:hive2://localhost:10000/default"
    assert plan.get("hiveserver2", "jdbc").url_to(services.JDBC_DATABASE, inside=True) == "jdbc:hive2://hiveserver2:10000/default"
    assert plan.get("resourcemanager", "rpc").url == "localhost:8032"  # plain TCP: host:port


def test_ipv6_loopback_is_bracketed_in_every_url_and_port_string() -> None:
    p = prof("::1", datanodes=2)
    plan = services.ports(p)
    nn = plan.get("namenode", "http")
    assert nn.connect_host() == nn.connect_host(numeric=True) == "::1"
    assert nn.hostport() == "[::1]:9870"
    url = nn.url_to(services.NAMENODE_INFO, numeric=True)
    assert url == "http://[::1]:9870/jmx?qry=Hadoop:service=NameNode,name=NameNodeInfo"
    assert (urlsplit(url).hostname, urlsplit(url).port) == ("::1", 9870)
    assert nn.url_to("/x", inside=True) == "http://namenode:9870/x"  # inside the cluster nothing changes
    assert plan.get("namenode", "rpc").url == "hdfs://[::1]:8020"
    assert plan.get("metastore", "thrift").url == "thrift://[::1]:9083"
    assert plan.get("hiveserver2", "jdbc").url_to(services.JDBC_DATABASE) == "jdbc:hive2://[::1]:10000/default"
    model = compose.render(p, cluster="v6", tags=TAGS, conf_dir=Path("/c"), ports=plan, secrets_dir=Path("/s"))
    assert model["services"]["namenode"]["ports"] == ["[::1]:8020:8020", "[::1]:9870:9870"]
    assert model["services"]["datanode-2"]["ports"] == ["[::1]:9874:9874", "[::1]:9876:9876"]
    host = render.hadoop_files(p, plan, host=True)
    assert host["hdfs-site"]["dfs.namenode.rpc-address.devenv.nn1"] == "[::1]:8020"
    assert host["hdfs-site"]["dfs.namenode.http-address.devenv.nn1"] == "[::1]:9870"
    assert host["yarn-site"]["yarn.resourcemanager.address"] == "[::1]:8032"
    assert host["yarn-site"]["yarn.resourcemanager.webapp.address"] == "[::1]:8088"
    assert render.hadoop_files(p, plan, instance="datanode-2")["hdfs-site"]["dfs.datanode.hostname"] == "[::1]"
    assert render.hive_site(p, plan, "pw", host=True)["hive.metastore.uris"] == "thrift://[::1]:9083"
    assert render.hive_site(p, plan, "pw")["hive.metastore.uris"] == "thrift://metastore:9083"
    assert [u for _s, _w, u in cluster.endpoints(plan) if "jdbc" in u] == ["jdbc:hive2://[::1]:10000/default"]


def test_ipv6_any_connects_to_ipv6_loopback_and_inside_is_unchanged() -> None:
    plan = services.ports(prof("::"))
    nn = plan.get("namenode", "rpc")
    assert (nn.publish, nn.hostport(), nn.hostport(inside=True)) == ("[::]:8020:8020", "[::1]:8020", "namenode:8020")


def test_a_bind_of_ipv6_loopback_passes_the_profile_schema(tmp_path: Path) -> None:
    f = tmp_path / "v6.toml"
    f.write_text('schema = 1\nname = "v6"\nextends = "default"\n[network]\nbind = "::1"\n', encoding="utf-8")
    assert services.ports(profile.load_profile(f)).get("namenode", "http").url == "http://[::1]:9870"


def _serve_json(host: str, body: dict) -> tuple[int, list[str]]:
    """A one-shot JSON server on `host`; returns its port and the paths it was asked for."""
    asked: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            asked.append(self.path)
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *a) -> None:
            pass

    class Server(http.server.HTTPServer):
        address_family = socket.AF_INET6 if ":" in host else socket.AF_INET

    srv = Server((host, 0), Handler)
    threading.Thread(target=srv.handle_request, daemon=True).start()
    return srv.server_address[1], asked


@pytest.mark.parametrize("bind", ["127.0.0.1", "::1"])
def test_the_namenode_probe_reaches_a_daemon_on_the_bind_address(bind: str) -> None:
    if ":" in bind:
        try:
            socket.socket(socket.AF_INET6).bind(("::1", 0))
        except OSError:
            pytest.skip("this machine has no IPv6 loopback")
    port, asked = _serve_json(bind, {"beans": [{"Safemode": "", "LiveNodes": json.dumps({"dn:9866": {}})}]})
    p = prof(bind)
    plan = services.ports(p, {("namenode", "http"): port})
    assert readiness.namenode(plan, 1)() is None
    assert asked == [services.NAMENODE_INFO]


# --- one service -> image table ------------------------------------------------------

def test_every_service_builds_the_image_compose_runs() -> None:
    p = prof(nodemanagers=2)
    model = compose.render(p, cluster="t", tags=TAGS, conf_dir=Path("/c"), ports=services.ports(p), secrets_dir=Path("/s"))
    for inst, svc in model["services"].items():
        assert svc["image"] == TAGS[images.image_for(inst)], inst
    assert images.image_for("nodemanager-2") == "spark"


def test_build_service_nodemanager_plans_the_spark_image(monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = Context.load("default", Ui())
    planned = {p.name: p.tag for p in images.plan(ctx.profile, ctx.lock(), images.CLUSTER_IMAGES, ctx.ca_pem)}
    monkeypatch.setattr(docker, "images", lambda **kw: [docker.ImageInfo("id", tuple(planned.values()), 1, {}, "")])
    monkeypatch.setattr(docker, "build", lambda *a, **k: pytest.fail("nothing is missing: no build"))
    results = images.build_profile(ctx, services=["nodemanager"])
    assert [(p.name, r) for p, r in results] == [("jvm", "present"), ("hadoop", "present"), ("hive", "present"), ("spark", "present")]


def test_the_lock_is_read_once_per_context_until_it_changes() -> None:
    ctx = Context.load("default", Ui())
    first = ctx.lock()
    assert ctx.lock() is first and ctx.lock() is first
    f = ctx.lock_source()
    st = f.stat()
    import os

    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    try:
        again = ctx.lock()
        assert again is not first and again == first
    finally:
        os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))


# --- one definition of a leftover -----------------------------------------------------

def _box(name: str, cluster_: str, running: bool) -> docker.ContainerInfo:
    labels = {"devenv.managed": "true", "devenv.cluster": cluster_, "devenv.service": "namenode", "devenv.owner": str(owner.home_id())}
    return docker.ContainerInfo("id-" + name, name, "namenode", cluster_, "default", "running" if running else "exited",
                                0, "devenv/hadoop:t", "", (), "sha256:1", labels)


def _res(kind: str, name: str, cluster_: str) -> docker.ResourceInfo:
    return docker.ResourceInfo(kind, name, {"devenv.managed": "true", "devenv.cluster": cluster_, "devenv.owner": str(owner.home_id())})


def test_prune_and_doctor_agree_on_leftovers(monkeypatch: pytest.MonkeyPatch, cli) -> None:
    kept = paths().state / "clusters" / "kept"
    kept.mkdir(parents=True)
    (kept / "compose.json").write_text("{}", encoding="utf-8")
    conts = [_box("kept-nn", "kept", False), _box("stateless-nn", "stateless", True), _box("old-nn", "old", False)]
    monkeypatch.setattr(docker, "containers", lambda cluster=None, all=True: list(conts))
    monkeypatch.setattr(docker, "networks", lambda cluster=None: [_res("network", "old-net", "old"), _res("network", "kept-net", "kept")])
    monkeypatch.setattr(docker, "volumes", lambda cluster=None: [_res("volume", "old-data", "old"), _res("volume", "stateless-data", "stateless")])
    monkeypatch.setattr(docker, "engine_info", lambda: docker.EngineInfo("26", 8 << 30, 4, "linux", "x86_64", "/var/lib/docker", "default"))
    removed: list[tuple] = []
    monkeypatch.setattr(docker, "remove", lambda containers_=(), volumes_=(), networks_=(): removed.append((list(containers_), list(volumes_), list(networks_))))

    assert [(r.kind, r.name) for r in cluster.leftovers()] == [("container", "old-nn"), ("network", "old-net"), ("volume", "old-data")]
    r = cli("prune", "--dry-run", "--json")
    assert json.loads(r.out) == {"schema": 1, "dry_run": True, "containers": ["old-nn"], "volumes": ["old-data"], "networks": ["old-net"]}
    assert removed == []

    doctor.all_checks()
    from devenv.doctor.core import _run_one

    f = _run_one(doctor.REGISTRY["cluster.leftovers"], doctor.Context(Probes(), paths(), profile=profile.resolve("default")))
    assert f.safe_fix is not None and f.safe_fix.description == (
        "remove container old-nn (cluster 'old'), network old-net (cluster 'old'), volume old-data (cluster 'old')")
    f.safe_fix.apply()
    assert removed == [(["old-nn"], ["old-data"], ["old-net"])]
