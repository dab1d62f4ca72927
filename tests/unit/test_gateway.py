"""Issue 14: the gateway's routes, its rendered nginx configuration and where its URLs are shown."""

from __future__ import annotations

import json
import re
from pathlib import Path

from test_render import data  # the default profile with sections changed

from devenv import cluster, cluster_files, compose, gateway, profile, services


def test_every_web_ui_gets_a_prefix_and_its_addresses_inside_the_cluster() -> None:
    plan = services.ports(data(topology={"datanodes": 2, "nodemanagers": 2}))
    rs = {r.prefix: r for r in gateway.routes(plan)}
    assert list(rs) == ["namenode", "datanode-1", "datanode-2", "yarn", "nodemanager-1", "nodemanager-2", "jobhistory",
                        "spark-history", "hiveserver2", "spark-ui"]
    assert rs["yarn"].upstream == "resourcemanager:8088"
    assert rs["nodemanager-2"].upstream == "nodemanager-2:8052"
    # a datanode is also known by the address it advertises to clients (the NameNode's WebHDFS redirects)
    assert rs["datanode-2"].aliases == ("datanode-2:9874", "localhost:9874", "127.0.0.1:9874")
    assert rs["spark-ui"].upstream == "spark-history:4040"


def test_with_a_port_base_the_datanode_redirect_address_is_the_published_port() -> None:
    plan = services.ports(data(network={"bind": "127.0.0.1", "port_base": 30000}))
    dn = next(r for r in gateway.routes(plan) if r.prefix == "datanode-1")
    host_port = plan.get("datanode-1", "http").host
    assert dn.upstream == f"datanode-1:{host_port}" and f"localhost:{host_port}" in dn.aliases
    assert gateway.url(plan, "namenode") == f"http://localhost:{plan.get('gateway', 'http').host}/namenode/"


def test_nginx_conf_routes_each_prefix_and_rewrites_links_and_redirects() -> None:
    plan = services.ports(data())
    out = gateway.files(plan)
    conf, links = out["nginx.conf"], out["links.conf"]
    assert "listen 8480;" in conf and "user " not in conf  # the image's non-root user; no privileged port
    for prefix in ("namenode", "datanode-1", "yarn", "nodemanager-1", "jobhistory", "spark-history", "hiveserver2", "spark-ui"):
        assert f"location /{prefix}/ {{" in conf
        assert f"proxy_redirect ~^(/.*)$ /{prefix}$1;" in conf
    # the NameNode's redirect to a datanode, NodeManager links, YARN's proxy to a Spark UI, history links
    assert "proxy_redirect 'http://localhost:9864/' '/datanode-1/';" in links
    assert "sub_filter 'http://nodemanager-1:8042' '/nodemanager-1';" in links
    assert "sub_filter '//nodemanager-1:8042' '/nodemanager-1';" in links
    assert "proxy_redirect 'http://resourcemanager:8088/' '/yarn/';" in links
    assert "proxy_redirect 'http://historyserver:19888/' '/jobhistory/';" in links
    assert "proxy_redirect 'http://spark-history:18080/' '/spark-history/';" in links
    # root paths the pages' scripts use stay inside their own UI
    assert "sub_filter '\"/webhdfs' '\"/namenode/webhdfs';" in conf
    assert "sub_filter '\\'/jmx' '\\'/namenode/jmx';" in conf
    assert "sub_filter '\"/proxy' '\"/yarn/proxy';" in conf
    assert "proxy_set_header X-Forwarded-Context /spark-history;" in conf
    assert conf.count("{") == conf.count("}")


def test_the_rendered_config_goes_to_the_gateway_mounted_read_only(tmp_path: Path) -> None:
    d = data()
    plan = services.ports(d)
    files = cluster_files.config_files(d, plan, "pw", None)
    assert set(k for k in files if k.startswith("conf/gateway/")) == {"conf/gateway/nginx.conf", "conf/gateway/links.conf"}
    tags = {k: f"devenv/{k}:t" for k in ("hadoop", "hive", "spark", "postgres", "gateway")}
    m = compose.render(d, cluster="c", tags=tags, conf_dir=tmp_path / "conf", ports=plan, secrets_dir=tmp_path / "s")
    gw = m["services"]["gateway"]
    assert gw["image"] == "devenv/gateway:t" and gw["ports"] == ["127.0.0.1:8480:8480"] and gw["mem_limit"] == "64m"
    assert f"{tmp_path / 'conf' / 'gateway'}:/etc/nginx/devenv:ro" in gw["volumes"]


def test_the_endpoint_table_lists_every_ui_through_the_gateway() -> None:
    rows = cluster.endpoints(services.ports(data()))
    gw = {w: u for s, w, u in rows if s == "gateway"}
    assert gw["HDFS web UI"] == "http://localhost:8480/namenode/"
    assert gw["YARN web UI"] == "http://localhost:8480/yarn/cluster"
    assert gw["MapReduce history"] == "http://localhost:8480/jobhistory/jobhistory"
    assert gw["every web UI (gateway)"] == "http://localhost:8480"
    # the direct URLs stay
    assert ("namenode", "HDFS web UI", "http://localhost:9870") in rows


def test_without_the_gateway_nothing_is_rendered_or_shown() -> None:
    d = data(topology={"services": {"gateway": False}})
    plan = services.ports(d)
    assert "gateway" not in [i for i, _ in services.instances(d)]
    assert gateway.ui_urls(plan) == [] and gateway.url(plan, "namenode") is None
    assert not [k for k in cluster_files.config_files(d, plan, "pw", None) if "gateway" in k]
    assert not [r for r in cluster.endpoints(plan) if r[0] == "gateway"]
    assert not re.search(r"gateway", " ".join(u for _s, _w, u in cluster.endpoints(plan)))


def test_devenv_open_prints_a_uis_gateway_url_and_names_the_uis_it_knows(tmp_path: Path, cli) -> None:
    from test_trust import started  # a cluster as `up` leaves it, without an engine

    f = tmp_path / "web.toml"
    f.write_text('schema = 1\nname = "web"\nextends = "default"\n\n[network]\nport_base = 31000\n')
    started(f, "web")
    port = services.ports(profile.load_profile(f)).get("gateway", "http").host
    r = cli("open", "yarn", "--name", "web", "--print")
    assert r.code == 0 and r.out.strip() == f"http://localhost:{port}/yarn/cluster"
    assert json.loads(cli("--json", "open", "--name", "web", "--print").out)["url"] == f"http://localhost:{port}/"
    bad = cli("open", "nosuch", "--name", "web", "--print")
    assert bad.code == 1 and "no web UI named 'nosuch'" in bad.err and "jobhistory" in bad.err


def test_devenv_open_says_when_the_cluster_runs_no_gateway(tmp_path: Path, cli) -> None:
    from test_trust import started

    f = tmp_path / "bare.toml"
    f.write_text('schema = 1\nname = "bare"\nextends = "default"\n\n[topology.services]\ngateway = false\n')
    started(f, "bare")
    r = cli("open", "--name", "bare", "--print")
    assert r.code == 1 and "cluster 'bare' runs no gateway" in r.err
