"""Issue 4: `devenv up` starts the default cluster ready and reachable; jobs run on YARN; host clients work;
state survives down/up; a second cluster runs beside it; failures keep containers and say why."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from integration.conftest import IT_PROFILE, REPO, devenv, integration_home

pytestmark = pytest.mark.docker

# benchmarks/profiles.py runs this module against other built-in profiles (DEVENV_IT_PROFILE) under another name
NAME = os.environ.get("DEVENV_IT_NAME", "ci-default")
SERVICES = {"namenode", "datanode-1", "resourcemanager", "nodemanager-1", "historyserver", "spark-history",
            "metastore-db", "metastore", "hiveserver2", "gateway"}


def ex(service: str, *cmd: str, name: str = NAME, check: bool = True, timeout: float = 600):
    return devenv("exec", service, "--name", name, "--", *cmd, check=check, timeout=timeout)


@pytest.fixture(scope="module")
def cluster():
    devenv("down", "--name", NAME, "--volumes", "--yes", check=False)
    r = devenv("--json", "up", "--name", NAME)
    events = r.events()
    yield events
    out = integration_home() / "exported-logs" / NAME
    devenv("logs", "--name", NAME, "--export", str(out), check=False)
    devenv("down", "--name", NAME, "--volumes", "--yes", check=False)


def test_up_waits_for_every_service_and_prints_endpoints(cluster) -> None:
    ready = cluster[-1]
    assert ready["event"] == "ready" and ready["cluster"] == NAME
    assert set(ready["services"]) == SERVICES
    urls = {e["url"] for e in ready["endpoints"]}
    assert {"http://localhost:9870", "hdfs://localhost:8020", "thrift://localhost:9083", "jdbc:hive2://localhost:10000/default",
            "http://localhost:8088"} <= urls
    assert {e["service"] for e in cluster if e["event"] == "service-ready"} == SERVICES


def test_ports_bind_to_loopback_only(cluster) -> None:
    from devenv import docker

    for c in docker.containers(NAME):
        for bind, _host, _cont in c.ports:
            assert bind == "127.0.0.1", (c.name, c.ports)


def test_names_have_no_underscores_and_carry_labels(cluster) -> None:
    from devenv import docker

    conts = docker.containers(NAME)
    assert {c.service for c in conts} == SERVICES
    assert [n.name for n in docker.networks(NAME)] == [f"devenv-{NAME}"]
    assert all("_" not in c.name for c in conts)
    assert len(docker.volumes(NAME)) == len(SERVICES)


def test_up_on_a_healthy_cluster_returns_at_once(cluster) -> None:
    r = devenv("--json", "up", "--name", NAME)
    assert r.events()[-1]["already_running"] is True


def test_status_reports_health_and_endpoints(cluster) -> None:
    st = devenv("--json", "status", "--name", NAME).json()
    assert st["ready"] is True
    assert {s["service"] for s in st["services"]} == SERVICES
    nn = next(s for s in st["services"] if s["service"] == "namenode")
    assert {e["url"] for e in nn["endpoints"]} == {"hdfs://localhost:8020", "http://localhost:9870"}


def test_hdfs_and_yarn_report_the_topology(cluster) -> None:
    assert "Live datanodes (1)" in ex("namenode", "hdfs", "dfsadmin", "-report").out
    assert "Total Nodes:1" in ex("resourcemanager", "yarn", "node", "-list").out
    assert "Safe mode is OFF" in ex("namenode", "hdfs", "dfsadmin", "-safemode", "get").out


def rm_app(name: str, app_type: str) -> dict:
    """The newest application of that name and type, as the ResourceManager's REST API reports it."""
    import urllib.request

    url = f"http://localhost:8088/ws/v1/cluster/apps?applicationTypes={app_type}"
    with urllib.request.urlopen(url, timeout=30) as resp:
        apps = (json.load(resp).get("apps") or {}).get("app") or []
    mine = sorted((a for a in apps if a["name"] == name), key=lambda a: a["startedTime"])
    assert mine, f"no {app_type} application named {name!r} in the ResourceManager: {[(a['name'], a['applicationType']) for a in apps]}"
    return mine[-1]


def test_mapreduce_example_runs_on_yarn(cluster) -> None:
    r = ex("resourcemanager", "bash", "-c", "hadoop jar /opt/hadoop/share/hadoop/common/lib/hadoop-mapreduce-examples-*.jar pi 2 20 2>&1")
    assert "Estimated value of Pi is" in r.out
    # a local run prints "Job job_local..." too: the ResourceManager must have run it as a MAPREDUCE application
    app = rm_app("QuasiMonteCarlo", "MAPREDUCE")
    assert (app["state"], app["finalStatus"]) == ("FINISHED", "SUCCEEDED"), app
    assert "Job " + app["id"].replace("application_", "job_") in r.out, r.out[-2000:]


JOB = textwrap.dedent("""
    from pyspark.sql import SparkSession
    spark = SparkSession.builder.appName("devenv-{mode}").getOrCreate()
    n = spark.sparkContext.parallelize(range(1000), 4).map(lambda x: x * 2).sum()
    assert n == 999000, n
    print("master", spark.sparkContext.master, "result", n)
    spark.stop()
""")


@pytest.mark.parametrize("mode", ["client", "cluster"])
def test_spark_submit_on_yarn(cluster, mode: str) -> None:
    script = JOB.format(mode=mode)
    r = ex("spark-history", "bash", "-c",
           f"cat > /tmp/job-{mode}.py <<'EOF'\n{script}\nEOF\nspark-submit --master yarn --deploy-mode {mode} --name devenv-{mode} /tmp/job-{mode}.py 2>&1")
    if mode == "client":
        assert "master yarn result 999000" in r.out
    else:
        assert "final status: SUCCEEDED" in r.out
    app = rm_app(f"devenv-{mode}", "SPARK")
    assert (app["state"], app["finalStatus"]) == ("FINISHED", "SUCCEEDED"), app


def beeline(sql: str, name: str = NAME) -> str:
    return ex("hiveserver2", "beeline", "-u", "jdbc:hive2://localhost:10000/default", "-n", "hadoop", "--silent=true",
              "--outputformat=csv2", "-e", sql, name=name).out


def test_hive_queries_run_on_yarn(cluster) -> None:
    beeline("CREATE TABLE IF NOT EXISTS people (id INT, name STRING) STORED AS PARQUET")
    beeline("INSERT INTO people VALUES (1, 'ada'), (2, 'grace')")
    assert beeline("SELECT count(*) AS n FROM people").split()[-1] == "2"
    apps = ex("resourcemanager", "yarn", "application", "-list", "-appStates", "FINISHED", "-appTypes", "MAPREDUCE").out
    assert "INSERT INTO people" in apps  # the INSERT ran as a MapReduce job on YARN, not in local mode


# Issue 14: the web UIs through the gateway in a real browser, on this cluster and the applications run above
from integration.gateway_browser import (  # noqa: E402,F401
    browser, test_a_running_spark_app_through_yarns_proxy_then_in_the_history, test_hiveserver2_ui_lists_a_finished_query,
    test_namenode_browse_and_download_through_the_gateway, test_yarn_shows_a_finished_mapreduce_apps_container_logs)


def test_host_webhdfs_client_writes_and_reads_through_a_datanode(cluster) -> None:
    from hdfs import InsecureClient

    client = InsecureClient("http://127.0.0.1:9870", user="hadoop")
    path = f"/tmp/host-{uuid.uuid4().hex}.txt"
    client.write(path, data="written from the host\n", encoding="utf-8")  # the namenode redirects to a datanode
    with client.read(path, encoding="utf-8") as f:
        assert f.read() == "written from the host\n"


def test_host_hive_client_queries_over_thrift(cluster) -> None:
    from pyhive import hive

    if "people" not in beeline("SHOW TABLES"):
        test_hive_queries_run_on_yarn(cluster)
    with hive.connect(host="127.0.0.1", port=10000, username="hadoop") as conn:
        cur = conn.cursor()
        cur.execute("SELECT name FROM people ORDER BY id")
        assert [r[0] for r in cur.fetchall()] == ["ada", "grace"]


def _host_pyspark_python() -> str:
    """A Python with the pinned pyspark, installed from devenv's own verified cache (no second download)."""
    from devenv import profile as prof

    pin = str(prof.resolve(IT_PROFILE or None, cwd=REPO).versions["spark"])
    try:
        import pyspark  # noqa: F401

        if pyspark.__version__ == pin:
            return sys.executable
    except ImportError:
        pass
    cache = integration_home() / "cache" / "artifacts" / "pypi"
    files = [str(p) for p in cache.glob("py4j-*.whl")] + [str(cache / f"pyspark-{pin}.tar.gz")]
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", *files], check=True)
    return sys.executable


def test_host_pyspark_writes_hdfs_and_reads_a_hive_table(cluster) -> None:
    if "people" not in beeline("SHOW TABLES"):
        test_hive_queries_run_on_yarn(cluster)
    env = devenv("--json", "client-config", "--name", NAME).json()["env"]
    py = _host_pyspark_python()
    out = f"hdfs://devenv/tmp/host-spark-{uuid.uuid4().hex}"
    code = textwrap.dedent(f"""
        from pyspark.sql import SparkSession
        spark = SparkSession.builder.enableHiveSupport().getOrCreate()
        spark.range(5).write.parquet("{out}")
        assert spark.read.parquet("{out}").count() == 5
        names = [r.name for r in spark.table("default.people").orderBy("id").collect()]
        print("NAMES", names)
    """)
    r = subprocess.run([py, "-c", code], env={**os.environ, **env}, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "NAMES ['ada', 'grace']" in r.stdout


def test_shell_and_exec_and_restart(cluster) -> None:
    assert ex("namenode", "hdfs", "dfs", "-ls", "/").code == 0
    r = devenv("exec", "nosuch", "--name", NAME, "--", "true", check=False)
    assert r.code == 1 and f"cluster '{NAME}' has no service 'nosuch'" in r.err
    devenv("restart", "historyserver", "--name", NAME)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if devenv("--json", "status", "--name", NAME, check=False).code == 0:
            break
        time.sleep(2)
    assert devenv("--json", "status", "--name", NAME).json()["ready"] is True


def test_readme_quickstart_and_devenv_shell_typed_in_a_terminal(cluster) -> None:
    """Issue 19: the README's quickstart and its `devenv shell` session, typed into a real terminal as a user would."""
    import re

    from devenv import profile as prof
    from integration import readme_session as rs

    versions = prof.resolve(IT_PROFILE or None, cwd=REPO).versions
    pins = rs.Pins(hadoop=str(versions["hadoop"]), spark=str(versions["spark"]), cluster=NAME)
    term = rs.Terminal(rs.host_env(integration_home()))
    typed: list[str] = []
    try:
        for cmd in rs.readme_block("quickstart"):
            if cmd.startswith(rs.NOT_TYPED):
                continue
            typed.append(cmd)
            line = rs.with_name(cmd, NAME)
            if cmd.startswith("devenv shell"):
                _drive_edge_shell(term, line, pins, rs)
                continue
            out, rc = term.run(line)
            assert rc == 0, f"{line!r} exited {rc}:\n{term.transcript()}"
            rs.check_for(cmd, rs.HOST_CHECKS)(out, pins)
            if cmd.startswith("eval"):
                out, rc = term.run('echo "conf=$HADOOP_CONF_DIR"')
                assert re.search(rf"conf=\S*{NAME}\S*client", out), out
        assert any(c.startswith("devenv shell") for c in typed), typed
    except BaseException:
        print(term.transcript())
        raise
    finally:
        term.child.close(force=True)


def _drive_edge_shell(term, line: str, pins, rs) -> None:
    """`devenv shell`: the banner, a prompt naming the cluster, then every command of the README's shell session."""
    import re

    prompt = rf"\({re.escape(pins.cluster)}\)hadoop@spark-history:[^\r\n]*\$ "
    term.child.sendline(line)
    term.child.expect(prompt, timeout=60)
    banner = rs.plain(term.child.before)
    for promised in (f"devenv cluster {pins.cluster}", "tools: hdfs yarn mapred hadoop spark-submit pyspark",
                     "beeline connects to this cluster", "leave: exit"):
        assert promised in banner, f"{promised!r} not in the banner:\n{banner}"
    session = rs.readme_block("shell-session")
    assert session[-1] == "exit", session
    for cmd in session[:-1]:
        if cmd.startswith("pyspark"):
            term.child.sendline(cmd)
            term.child.expect_exact(">>> ", timeout=300)
            term.child.sendline("spark.range(1000).count()")
            term.child.expect(r"[\r\n]1000\r\n", timeout=300)  # after Spark's progress bar, which ends in \r
            term.child.expect_exact(">>> ", timeout=30)
            term.child.sendline("exit()")
            term.child.expect(prompt, timeout=120)
            assert term.last_rc(prompt) == 0, f"pyspark did not exit 0:\n{term.transcript()}"
            continue
        out, rc = term.run(cmd, prompt=prompt, timeout=300)
        assert rc == 0, f"{cmd!r} exited {rc} in devenv shell:\n{term.transcript()}"
        rs.check_for(cmd, rs.SHELL_CHECKS)(out, pins)
    term.child.sendline("exit")
    term.child.expect_exact(term.PROMPT, timeout=60)
    assert term.last_rc() == 0, f"devenv shell did not exit 0:\n{term.transcript()}"


def test_logs_export_gathers_everything(cluster, tmp_path: Path) -> None:
    devenv("logs", "--name", NAME, "--export", str(tmp_path))
    for svc in SERVICES:
        assert (tmp_path / f"{svc}.log").stat().st_size > 0
        assert json.loads((tmp_path / f"{svc}.inspect.json").read_text())
    assert (tmp_path / "conf" / "hadoop" / "core-site.xml").is_file()
    assert json.loads((tmp_path / "status.json").read_text())["cluster"] == NAME


def test_down_without_yes_does_not_delete_data(cluster) -> None:
    r = devenv("down", "--name", NAME, "--volumes", check=False)
    assert r.code == 1 and "add --yes" in r.err
    assert devenv("--json", "status", "--name", NAME).json()["ready"] is True


def test_doctor_reports_the_running_cluster_ok(cluster) -> None:
    r = devenv("--json", "doctor", "--check", "cluster", check=False)
    checks = {c["id"]: c for c in r.json()["checks"]}
    for cid in ("cluster.hdfs", "cluster.yarn", "cluster.versions", "cluster.config"):
        assert checks[cid]["state"] == "ok", checks[cid]


def test_down_and_up_keep_hdfs_data_and_the_metastore(cluster) -> None:
    if "people" not in beeline("SHOW TABLES"):
        test_hive_queries_run_on_yarn(cluster)
    ex("namenode", "bash", "-c", "echo kept | hdfs dfs -put -f - /tmp/marker.txt")
    devenv("down", "--name", NAME)
    from devenv import docker

    assert docker.containers(NAME) == []
    r = devenv("--json", "up", "--name", NAME)
    assert r.events()[-1]["already_running"] is False
    assert ex("namenode", "hdfs", "dfs", "-cat", "/tmp/marker.txt").out.strip() == "kept"
    assert beeline("SELECT count(*) AS n FROM people").split()[-1] == "2"
    nn_log = devenv("logs", "namenode", "--name", NAME, "--tail", "100000").out
    assert "formatting new NameNode" not in nn_log  # this start found its state
    ms_log = devenv("logs", "metastore", "--name", NAME, "--tail", "100000").out
    assert "Initialization script completed" not in ms_log and "already exists" not in ms_log


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def test_a_second_cluster_runs_beside_with_auto_ports(cluster) -> None:
    """Two datanodes, two NodeManagers, moved ports, a held port, on IPv6 loopback (bind = "::1") where the host has it."""
    wide = "ci-wide"
    v6 = _ipv6_loopback()
    assert v6 or os.environ.get("CI", "").lower() != "true", "CI machines have IPv6 loopback: the ::1 path must run there"
    profile, bind, family = ("tests/profiles/wide-v6.toml", "::1", socket.AF_INET6) if v6 else ("tests/profiles/wide.toml", "127.0.0.1", socket.AF_INET)
    devenv("down", "--name", wide, "--volumes", "--yes", check=False)
    # hold one of its ports: a fixed-port start must name it, --ports auto must move it
    holder = socket.socket(family)
    holder.bind((bind, 21001))
    holder.listen(1)
    try:
        r = devenv("up", "--profile", profile, "--name", wide, check=False)
        assert r.code == 1
        shown = f"[{bind}]" if v6 else bind
        assert f"port {shown}:21001 (namenode http) is in use" in r.err
        events = devenv("--json", "up", "--profile", profile, "--name", wide, "--ports", "auto").events()
    finally:
        holder.close()
    try:
        nn_http = next(e["url"] for e in events[-1]["endpoints"] if e["service"] == "namenode" and e["url"].startswith("http"))
        assert not nn_http.endswith(":21001")
        assert nn_http.startswith("http://[::1]:" if v6 else "http://localhost:"), nn_http
        st = devenv("--json", "status", "--name", wide).json()
        assert st["ready"] and {s["service"] for s in st["services"]} >= {"datanode-1", "datanode-2", "nodemanager-1", "nodemanager-2"}
        assert devenv("--json", "status", "--name", NAME).json()["ready"] is True  # the first one still runs
        assert "Live datanodes (2)" in ex("namenode", "hdfs", "dfsadmin", "-report", name=wide).out
        from hdfs import InsecureClient

        client = InsecureClient(nn_http.replace("localhost", "127.0.0.1"), user="hadoop")
        client.write("/tmp/two.txt", data="x" * 1000, overwrite=True, replication=2)
        assert client.status("/tmp/two.txt")["replication"] == 2
        with client.read("/tmp/two.txt") as f:
            assert f.read() == b"x" * 1000
    finally:
        devenv("down", "--name", wide, "--volumes", "--yes", check=False)


def test_prune_removes_leftovers_of_clusters_that_no_longer_exist(cluster) -> None:
    from python_on_whales import docker as pw

    from devenv import owner

    base = next(i.repo_tags[0] for i in pw.image.list() if i.repo_tags and i.repo_tags[0].startswith("devenv/jvm:"))
    # the ghost is the test home's own (prune touches nothing another home made: a developer's clusters survive the suite),
    # and created, never started: a cluster with a running container is alive, not a leftover (the one definition since issue 9)
    ghost = pw.container.create(base, ["sleep", "300"], pull="never",
                                labels={"devenv.managed": "true", "devenv.cluster": "ghost-cluster", "devenv.service": "namenode",
                                        "devenv.owner": str(owner.home_id())})
    ghost_name = ghost.name
    try:
        r = devenv("--json", "prune", "--yes").json()  # --yes: the test home's own leftover volumes, if any, go too
        assert ghost_name in r["containers"]
        assert not pw.container.exists(ghost_name)
        assert devenv("--json", "status", "--name", NAME).json()["ready"] is True  # a live cluster is untouched
    finally:
        if pw.container.exists(ghost_name):
            pw.container.remove(ghost_name, force=True)
