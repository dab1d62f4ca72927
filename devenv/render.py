"""Render the cluster's configuration files from the profile: *-site.xml, spark-defaults.conf.

devenv's defaults make a small cluster behave like production (YARN, not
local mode; a logical HDFS name; real memory numbers); the profile's
`[config.<file>]` overrides win over them. The same renderer writes the
host's client configuration, where only the namenode address differs: HDFS
is addressed by the logical name `hdfs://devenv`, which resolves to
`namenode:8020` inside the cluster and to the published port on the host, so
paths stored in the metastore work on both sides without editing /etc/hosts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Collection, Mapping
from xml.sax.saxutils import escape

from devenv import schema
from devenv.services import JDBC_DATABASE, PortPlan, public_host, uri_host

if TYPE_CHECKING:
    from devenv.profile import Profile

NAMESERVICE = "devenv"
FS = f"hdfs://{NAMESERVICE}"
DRIVER_PORT = 7078  # a driver on the host: spark.driver.port, and + 1 its block manager


def _mb(value: str) -> int:
    return schema.parse_memory(value) or 0


def site_xml(props: Mapping[str, Any], final: Collection[str] = ()) -> str:
    """A Hadoop *-site.xml; keys in `final` cannot be overridden by resources loaded later."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', "<!-- Rendered by devenv from the profile; edit the profile, not this file. -->", "<configuration>"]
    for k, v in props.items():
        if isinstance(v, bool):
            v = "true" if v else "false"
        fin = "<final>true</final>" if k in final else ""
        lines.append(f"  <property><name>{escape(str(k))}</name><value>{escape(str(v))}</value>{fin}</property>")
    lines.append("</configuration>")
    return "\n".join(lines) + "\n"


# Hive's MapReduce tasks reflect into these JDK packages; Java 8 rejects the flag itself.
_ADD_OPENS = ("java.lang", "java.net", "java.nio", "java.util", "java.util.concurrent.atomic")


def _opens(profile: "Profile") -> str:
    if profile.versions["java"] == "8":
        return ""
    return "".join(f" --add-opens=java.base/{p}=ALL-UNNAMED" for p in _ADD_OPENS)


def hadoop_files(profile: "Profile", plan: PortPlan, *, host: bool = False,
                 instance: str | None = None) -> dict[str, dict[str, Any]]:
    """core-site, hdfs-site, yarn-site, mapred-site, capacity-scheduler for one instance (or the host)."""
    files = {"core-site": _core(), "hdfs-site": _hdfs(profile, plan, host, instance), "yarn-site": _yarn(profile, plan, host, instance),
             "mapred-site": _mapred(profile), "capacity-scheduler": capacity_defaults()}
    for name, props in files.items():
        props.update(profile.config.get(name, {}))
    return files


def _core() -> dict[str, Any]:
    return {
        "fs.defaultFS": FS,
        "hadoop.tmp.dir": "/data/tmp",
        "hadoop.proxyuser.hadoop.hosts": "*",
        "hadoop.proxyuser.hadoop.groups": "*",
        "fs.trash.interval": 0,
    }


def _hdfs(profile: "Profile", plan: PortPlan, host: bool, instance: str | None) -> dict[str, Any]:
    inside = not host
    hdfs = {
        "dfs.nameservices": NAMESERVICE,
        f"dfs.ha.namenodes.{NAMESERVICE}": "nn1",
        f"dfs.namenode.rpc-address.{NAMESERVICE}.nn1": plan.get("namenode", "rpc").hostport(inside),
        f"dfs.namenode.http-address.{NAMESERVICE}.nn1": plan.get("namenode", "http").hostport(inside),
        f"dfs.client.failover.proxy.provider.{NAMESERVICE}": "org.apache.hadoop.hdfs.server.namenode.ha.ConfiguredFailoverProxyProvider",
        # host clients reach datanodes by the name and port they advertise (published 1:1)
        "dfs.client.use.datanode.hostname": host,
        "dfs.replication": min(3, profile.topology["datanodes"]),
        "dfs.namenode.name.dir": "/data/namenode",
        "dfs.datanode.data.dir": "/data/datanode",
        "dfs.namenode.rpc-bind-host": "0.0.0.0",
        "dfs.namenode.servicerpc-bind-host": "0.0.0.0",
        "dfs.namenode.http-bind-host": "0.0.0.0",
        "dfs.namenode.datanode.registration.ip-hostname-check": False,
        "dfs.namenode.safemode.extension": 0,  # out of safe mode as soon as blocks are reported
        "dfs.permissions.superusergroup": "hadoop",
        "dfs.webhdfs.enabled": True,
    }
    if instance == "namenode":
        hdfs["dfs.ha.namenode.id"] = "nn1"
    if instance and instance.startswith("datanode-"):
        i = int(instance.rsplit("-", 1)[1]) - 1
        hdfs.update({
            # what the datanode advertises: clients on the host connect to it (IPv6 bracketed for host:port)
            "dfs.datanode.hostname": uri_host(public_host(plan.get(instance, "data").bind)),
            "dfs.datanode.address": f"0.0.0.0:{plan.get(instance, 'data').container}",
            "dfs.datanode.http.address": f"0.0.0.0:{plan.get(instance, 'http').container}",
            "dfs.datanode.ipc.address": f"0.0.0.0:{9867 + 10 * i}",
        })
    return hdfs


def _yarn(profile: "Profile", plan: PortPlan, host: bool, instance: str | None) -> dict[str, Any]:
    res, inside = profile.resources, not host
    yarn_mb = _mb(res["yarn_memory"])
    yarn = {
        "yarn.resourcemanager.hostname": "resourcemanager",
        "yarn.resourcemanager.address": plan.get("resourcemanager", "rpc").hostport(inside),
        "yarn.resourcemanager.webapp.address": plan.get("resourcemanager", "http").hostport(inside),
        "yarn.resourcemanager.bind-host": "0.0.0.0",
        "yarn.nodemanager.bind-host": "0.0.0.0",
        "yarn.nodemanager.aux-services": "mapreduce_shuffle",
        "yarn.nodemanager.aux-services.mapreduce_shuffle.class": "org.apache.hadoop.mapred.ShuffleHandler",
        "yarn.nodemanager.resource.memory-mb": yarn_mb,
        "yarn.nodemanager.resource.cpu-vcores": res["yarn_vcores"],
        "yarn.scheduler.minimum-allocation-mb": 128,
        "yarn.scheduler.maximum-allocation-mb": yarn_mb,
        "yarn.nodemanager.vmem-check-enabled": False,
        "yarn.nodemanager.local-dirs": "/data/nm-local",
        "yarn.nodemanager.log-dirs": "/data/nm-logs",
        "yarn.log-aggregation-enable": True,
        "yarn.nodemanager.remote-app-log-dir": "/tmp/logs",
        "yarn.log.server.url": "http://historyserver:19888/jobhistory/logs",
        "yarn.nodemanager.env-whitelist": "JAVA_HOME,HADOOP_COMMON_HOME,HADOOP_HDFS_HOME,HADOOP_CONF_DIR,CLASSPATH_PREPEND_DISTCACHE,HADOOP_YARN_HOME,HADOOP_HOME,PATH,LANG,TZ,HADOOP_MAPRED_HOME,SPARK_HOME,PYSPARK_PYTHON",
        "yarn.resourcemanager.nodemanagers.heartbeat-interval-ms": 500,
        "yarn.nodemanager.disk-health-checker.max-disk-utilization-per-disk-percentage": 99,
    }
    if instance and instance.startswith("nodemanager-"):
        i = int(instance.rsplit("-", 1)[1]) - 1
        yarn["yarn.nodemanager.webapp.address"] = f"0.0.0.0:{8042 + 10 * i}"
        yarn["yarn.nodemanager.hostname"] = instance
    return yarn


def _mapred(profile: "Profile") -> dict[str, Any]:
    return {
        "mapreduce.framework.name": "yarn",
        "mapreduce.jobhistory.address": "historyserver:10020",
        "mapreduce.jobhistory.webapp.address": "historyserver:19888",
        "mapreduce.jobhistory.bind-host": "0.0.0.0",
        "yarn.app.mapreduce.am.env": "HADOOP_MAPRED_HOME=/opt/hadoop",
        "mapreduce.map.env": "HADOOP_MAPRED_HOME=/opt/hadoop",
        "mapreduce.reduce.env": "HADOOP_MAPRED_HOME=/opt/hadoop",
        "yarn.app.mapreduce.am.resource.mb": 512,
        "mapreduce.map.memory.mb": 512,
        "mapreduce.reduce.memory.mb": 512,
        "mapreduce.map.java.opts": f"-Xmx384m{_opens(profile)}",
        "mapreduce.reduce.java.opts": f"-Xmx384m{_opens(profile)}",
        "yarn.app.mapreduce.am.command-opts": f"-Xmx384m{_opens(profile)}",
    }


def capacity_defaults() -> dict[str, Any]:
    """devenv's capacity-scheduler.xml before the profile's overrides: one queue, room for ApplicationMasters."""
    return {
        "yarn.scheduler.capacity.root.queues": "default",
        "yarn.scheduler.capacity.root.default.capacity": 100,
        "yarn.scheduler.capacity.root.default.maximum-capacity": 100,
        # a laptop-sized cluster: the default 10 % would leave no room for an ApplicationMaster
        "yarn.scheduler.capacity.maximum-am-resource-percent": 0.5,
        "yarn.scheduler.capacity.root.default.acl_submit_applications": "*",
    }


def metastore_uri(plan: PortPlan, *, host: bool = False) -> str:
    """thrift:// address of the metastore, for clients inside the cluster or on the host."""
    thrift = plan.find("metastore", "thrift")
    return thrift.url_to(inside=not host) if thrift else "thrift://metastore:9083"


def hive_site(profile: "Profile", plan: PortPlan, db_password: str, *, host: bool = False) -> dict[str, Any]:
    props: dict[str, Any] = {
        "hive.metastore.uris": metastore_uri(plan, host=host),
        "hive.metastore.warehouse.dir": "/user/hive/warehouse",
    }
    if not host:
        props.update({
            "javax.jdo.option.ConnectionURL": "jdbc:postgresql://metastore-db:5432/metastore",
            "javax.jdo.option.ConnectionDriverName": "org.postgresql.Driver",
            "javax.jdo.option.ConnectionUserName": "hive",
            "javax.jdo.option.ConnectionPassword": db_password,
            "datanucleus.autoCreateSchema": False,
            "hive.metastore.schema.verification": True,
            "hive.execution.engine": "mr",
            "hive.server2.enable.doAs": False,
            "hive.server2.thrift.bind.host": "0.0.0.0",
            "hive.server2.thrift.port": 10000,
            "hive.server2.webui.host": "0.0.0.0",
            "hive.server2.webui.port": 10002,
            "hive.metastore.event.db.notification.api.auth": False,
            "hive.exec.scratchdir": "/tmp/hive",
            "hive.server2.logging.operation.enabled": False,
            "hive.stats.autogather": True,
            "hive.exec.mode.local.auto": False,
            "hive.exec.submit.local.task.via.child": False,
        })
    props.update(profile.config.get("hive-site", {}))
    return props


def beeline_site(plan: PortPlan) -> dict[str, Any]:
    """beeline-site.xml: Hive's beeline connects to this cluster's HiveServer2 when no -u is given.

    Beeline reads it from ~/.beeline, $HIVE_CONF_DIR or /etc/hive/conf (Hive 3.0+,
    HIVE-18251); `beeline.hs2.jdbc.url.default` names the connection to use.
    """
    url = plan.get("hiveserver2", "jdbc").url_to(JDBC_DATABASE, inside=True)
    return {
        # an empty password given, so beeline on a terminal does not stop to ask for one (HS2 has no auth here)
        "beeline.hs2.jdbc.url.devenv": f"{url};user=hadoop;password=",
        "beeline.hs2.jdbc.url.default": "devenv",
    }


def spark_defaults(profile: "Profile", *, host: bool = False, host_hive_jars: list[str] | None = None,
                   driver_bind: str = "127.0.0.1") -> dict[str, Any]:
    """spark-defaults.conf inside the cluster, or on the host (`driver_bind`: where a host driver listens, see cluster_files)."""
    props: dict[str, Any] = {
        "spark.master": "yarn",
        "spark.submit.deployMode": "client",
        "spark.sql.catalogImplementation": "hive",
        "spark.eventLog.enabled": True,
        "spark.eventLog.dir": f"{FS}/spark-logs",
        "spark.history.fs.logDirectory": f"{FS}/spark-logs",
        "spark.sql.warehouse.dir": f"{FS}/user/hive/warehouse",
        "spark.yarn.historyServer.address": "spark-history:18080",
        "spark.hadoop.fs.defaultFS": FS,
        # laptop-sized YARN containers: Spark's default 384 MB overheads would not fit two in one NodeManager
        "spark.executor.memoryOverhead": "256m",
        "spark.driver.memoryOverhead": "256m",
        "spark.yarn.am.memory": "256m",
        "spark.yarn.am.memoryOverhead": "128m",
    }
    hive = profile.versions["hive"]
    if not hive.startswith(("2.", "3.")):
        # Spark's built-in Hive 2.3 client calls Thrift methods (get_table) that a Hive 4 metastore
        # removed: talk to it through the pinned Hive jars instead (in the image, or on the host from
        # devenv's verified artifact cache).
        props["spark.sql.hive.metastore.version"] = hive
        props["spark.sql.hive.metastore.jars"] = "path"
        props["spark.sql.hive.metastore.jars.path"] = (
            ",".join(host_hive_jars or []) if host else "file:///opt/hive/lib/*.jar"
        )
    if not host:
        # Spark is installed on every NodeManager (they run the Spark image): nothing to upload per job.
        props["spark.yarn.jars"] = "local:/opt/spark/jars/*"
        props["spark.executorEnv.PYSPARK_PYTHON"] = "python3"
    else:
        props["spark.master"] = "local[*]"
        # --master yarn from the host: the driver stays here and the AM and executors reach it on fixed
        # ports, at the cluster network's gateway on a native Linux engine, else (Docker Desktop forwards it to the
        # host's loopback) at host.docker.internal; they use the Spark already installed on every
        # NodeManager instead of uploading the host's jars per job.
        props.update({
            "spark.driver.host": "host.docker.internal" if driver_bind == "127.0.0.1" else driver_bind,
            "spark.driver.bindAddress": driver_bind,
            "spark.driver.port": DRIVER_PORT, "spark.driver.blockManager.port": DRIVER_PORT + 1,
            "spark.yarn.jars": "local:/opt/spark/jars/*", "spark.executorEnv.PYSPARK_PYTHON": "python3",
            # measured: a with-Hadoop Spark puts only the shipped (host) Hadoop config on the AM's classpath, so
            # the AM called the NameNode at localhost; the cluster's own config goes first (its addresses are final)
            "spark.yarn.am.extraClassPath": "/etc/hadoop/conf", "spark.executor.extraClassPath": "/etc/hadoop/conf",
        })
    props.update(profile.config.get("spark-defaults", {}))
    return props


def spark_conf(props: Mapping[str, Any]) -> str:
    out = ["# Rendered by devenv from the profile; edit the profile, not this file."]
    for k, v in props.items():
        out.append(f"{k} {('true' if v else 'false') if isinstance(v, bool) else v}")
    return "\n".join(out) + "\n"
