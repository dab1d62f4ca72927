"""Which production settings an import keeps, drops (and why), treats as secret, or scales: one data table.

Rules are tried in order; the first whose file and pattern match decides. A
property no rule names is kept: it changes behaviour a developer can observe
(formats, codecs, queue layout, MapReduce, Spark and Hive defaults) unless a
rule says it cannot apply on a laptop.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KEEP, DROP, SECRET, SCALE = "keep", "drop", "secret", "scale"

# Why each group of dropped settings cannot apply locally: one comment per group in the profile.
GROUPS: dict[str, str] = {
    "secrets": "secrets are never copied: each is named here, its value is not written anywhere",
    "addresses": "host names, addresses and ports name production machines; devenv wires its own services",
    "paths": "local paths are production's disks and HDFS layout; devenv's containers have their own",
    "ha": "HA and federation wiring (nameservices, JournalNodes, ZooKeeper, RM failover): devenv runs one NameNode and one ResourceManager",
    "security": "Kerberos principals, keytabs and secure-mode switches: devenv has no secure mode yet (ACLs stay in the queue layout, unenforced)",
    "sizing": "daemon sizing and tuning: devenv sizes its daemons and NodeManagers from [resources] and schedules by memory "
              "(a laptop's few vcores would starve nested queues); production's NodeManager memory sets the scale factor",
    "wiring": "settings devenv owns so that its cluster runs (framework, classpaths, metastore database, event logs, JVM flags for its Java)",
    "services": "services devenv does not run: Tez and LLAP (its HiveServer2 runs queries on MapReduce), the YARN timeline service",
    "shuffle": "Spark's external shuffle service is not on devenv's NodeManagers: dynamic allocation uses shuffle tracking instead",
}


@dataclass(frozen=True)
class Rule:
    files: tuple[str, ...]   # empty: any file
    pattern: str             # a full-match regular expression on the property name
    action: str
    group: str = ""          # DROP: the reason group; SCALE: the kind of value

    def matches(self, file: str, name: str) -> bool:
        return (not self.files or file in self.files) and re.fullmatch(self.pattern, name) is not None


_YARN, _MR, _SPARK, _HIVE, _CS = ("yarn-site",), ("mapred-site",), ("spark-defaults",), ("hive-site",), ("capacity-scheduler",)

RULES: tuple[Rule, ...] = (
    # secrets first: whatever else a key looks like, its value is never copied
    Rule((), r"(?i).*(password|passwd|secret|credential|\.access\.key|\.secret\.key|truststore\.pass|keystore\.pass).*|.*[._]token", SECRET, "secrets"),
    Rule((), r".*(principal|keytab|kerberos|spnego|\.sasl\.|\.ssl\.|https?\.policy).*", DROP, "security"),
    Rule((), r"hadoop\.security\..*|hadoop\.rpc\.protection|dfs\.data\.transfer\.protection|dfs\.block\.access\.token\.enable|"
             r"hadoop\.http\.authentication\..*|yarn\.acl\.enable|yarn\.admin\.acl|hive\.server2\.authentication.*|"
             r"hive\.metastore\.sasl\.enabled|spark\.authenticate.*|spark\.acls\.enable|spark\.(admin|ui\.view|modify)\.acls.*|"
             r"hadoop\.proxyuser\..*|dfs\.encrypt\.data\.transfer.*|hive\.security\..*", DROP, "security"),
    Rule((), r"dfs\.nameservices|dfs\.internal\.nameservices|dfs\.ha\..*|dfs\.namenode\.(rpc|http|https|servicerpc|lifeline\.rpc)-address\..*|"
             r"dfs\.client\.failover\..*|dfs\.journalnode\..*|dfs\.namenode\.shared\.edits\.dir.*|ha\.zookeeper\..*|hadoop\.zk\..*|"
             r"yarn\.resourcemanager\.ha\..*|yarn\.resourcemanager\.cluster-id|yarn\.resourcemanager\.zk-.*|yarn\.resourcemanager\.recovery\..*|"
             r"yarn\.resourcemanager\.store\.class|yarn\.resourcemanager\.(address|scheduler\.address|resource-tracker\.address|admin\.address|"
             r"webapp\.address|webapp\.https\.address|hostname)\..*|dfs\.federation\..*|fs\.viewfs\..*|"
             r"hive\.server2\.support\.dynamic\.service\.discovery|hive\.server2\.zookeeper\..*|hive\.zookeeper\..*|"
             r"hive\.server2\.active\.passive\.ha\..*|hive\.metastore\.uri\.selection", DROP, "ha"),
    Rule(("hive-site",), r"hive\.execution\.engine|hive\.tez\..*|tez\..*|hive\.llap\..*|hive\.server2\.tez\..*|hive\.prewarm\..*|"
                         r"hive\.execution\.mode|hive\.server2\.llap\..*", DROP, "services"),
    Rule(_YARN, r"yarn\.timeline-service\..*|yarn\.system-metrics-publisher\..*", DROP, "services"),
    Rule(_YARN, r"yarn\.nodemanager\.aux-services.*", DROP, "shuffle"),
    Rule(_SPARK, r"spark\.shuffle\.service\..*", DROP, "shuffle"),
    # production's sizes, scaled to the laptop's budget
    Rule(_YARN, r"yarn\.nodemanager\.resource\..*|yarn\.nodemanager\.vmem-.*|yarn\.nodemanager\.pmem-.*", DROP, "sizing"),
    Rule(_YARN, r"yarn\.scheduler\.(maximum|minimum)-allocation-mb", SCALE, "mb"),
    Rule(_YARN, r"yarn\.scheduler\.(maximum|minimum)-allocation-vcores", SCALE, "vcores"),
    Rule(_MR, r"mapreduce\.(map|reduce)\.memory\.mb|yarn\.app\.mapreduce\.am\.resource\.mb", SCALE, "container-mb"),
    Rule(_MR, r"mapreduce\.task\.io\.sort\.mb", SCALE, "task-buffer-mb"),
    Rule(_MR, r"mapreduce\.(map|reduce)\.cpu\.vcores|yarn\.app\.mapreduce\.am\.resource\.cpu-vcores", SCALE, "vcores"),
    Rule(_SPARK, r"spark\.(executor|driver|yarn\.am)\.memory", SCALE, "jvm-size"),
    Rule(_SPARK, r"spark\.(executor|driver|yarn\.am)\.memoryOverhead", SCALE, "overhead-size"),
    Rule(_SPARK, r"spark\.(executor|driver)\.cores|spark\.yarn\.am\.cores", SCALE, "vcores"),
    Rule(_SPARK, r"spark\.executor\.instances|spark\.dynamicAllocation\.(max|initial|min)Executors", SCALE, "executors"),
    Rule(_CS, r"yarn\.scheduler\.capacity\.root\..*\.maximum-allocation-mb", SCALE, "mb"),
    Rule(_CS, r"yarn\.scheduler\.capacity\.root(\..*)?\.(maximum-)?capacity", SCALE, "queue-capacity"),
    Rule(_CS, r"yarn\.scheduler\.capacity\.maximum-am-resource-percent", DROP, "sizing"),
    # with a laptop's 2 vcores, counting them (DominantResourceCalculator) leaves a nested queue room for one container
    Rule(_CS, r"yarn\.scheduler\.capacity\.resource-calculator", DROP, "sizing"),
    # what devenv itself owns
    Rule((), r".*\.(java\.opts|command-opts|extraJavaOptions|extraClassPath|extraLibraryPath)|.*\.env|.*\.admin-env|"
             r"mapreduce\.framework\.name|.*\.classpath|yarn\.nodemanager\.env-whitelist|yarn\.log\.server\.url|"
             r"yarn\.log-aggregation-enable|yarn\.nodemanager\.remote-app-log-dir.*|spark\.master|spark\.submit\.deployMode|"
             r"spark\.sql\.catalogImplementation|spark\.sql\.hive\.metastore\..*|spark\.yarn\.(jars|archive|historyServer\..*)|"
             r"spark\.eventLog\.(enabled|dir)|spark\.history\..*|spark\.yarn\.dist\..*|spark\.(driver|executor)Env\..*|"
             r"javax\.jdo\..*|datanucleus\..*|hive\.metastore\.schema\.verification.*|hive\.metastore\.db\.type|"
             r"hive\.server2\.enable\.doAs|hive\.metastore\.warehouse\.(external\.)?dir|hive\.exec\.scratchdir|"
             r"hive\.server2\.(thrift|webui)\..*|hive\.metastore\.event\.db\.notification\.api\.auth|fs\.defaultFS|fs\.default\.name|"
             r"dfs\.replication|dfs\.namenode\.safemode\..*|hadoop\.tmp\.dir|dfs\.permissions\.superusergroup", DROP, "wiring"),
    Rule((), r".*(handler\.count|\.threads|thread-count|\.thread\.count|max\.transfer\.threads|\.heartbeat.*|-heartbeat.*|"
             r"\.cache\.size|\.queue\.size|\.heapsize|\.memory\.limit)", DROP, "sizing"),
    Rule((), r".*(\.address|\.hostname|\.hosts|\.host|\.port|\.uris?|\.url|\.quorum|\.servers|-address|\.webapp\..*address|\.endpoint)", DROP, "addresses"),
    Rule((), r"dfs\.client\.read\.shortcircuit.*|.*\.file\.name|.*\.script.*|.*(\.dir|\.dirs|-dir|-dirs|\.path|\.file|\.logDirectory|\.local-dirs|\.log-dirs|\.location)", DROP, "paths"),
)


def classify(file: str, name: str) -> Rule | None:
    """The first rule for this property; None: keep it as an override."""
    for rule in RULES:
        if rule.matches(file, name):
            return rule
    return None


def is_secret_value(value: str) -> bool:
    """A value that carries a credential whatever its key (`jdbc:...;password=...`, `user:pass@host`)."""
    return re.search(r"(?i)(password|passwd|pwd)=|://[^/@\s:]+:[^/@\s]+@", value) is not None
