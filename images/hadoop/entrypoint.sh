#!/usr/bin/env bash
# Entrypoint of the devenv Hadoop image (runs under tini).
#
#   namenode | datanode | resourcemanager | nodemanager | historyserver |
#   secondarynamenode | proxyserver     run that daemon in the foreground
#   anything else                       exec'd as given (hdfs dfs -ls /, bash ...)
#
# Environment: HADOOP_CONF_DIR (default /etc/hadoop/conf, must hold core-site.xml
# for daemons), HDFS_CLUSTER_ID (cluster id used when the NameNode formats,
# default devenv), plus everything the `hadoop` launcher reads.
# The NameNode formats only when none of its name dirs has current/VERSION.
# Every setting is checked and all problems are reported together (exit 64);
# then the daemon is exec'd, so tini's SIGTERM reaches the JVM.
set -euo pipefail
# shellcheck source=images/lib/entrypoint.sh
. "${DEVENV_ENTRYPOINT_LIB:-/usr/local/lib/devenv/entrypoint.sh}"

: "${HADOOP_CONF_DIR:=/etc/hadoop/conf}"
: "${HADOOP_LOG_DIR:=/data/logs}"
export HADOOP_CONF_DIR HADOOP_LOG_DIR

check_settings() {
  check_conf_dir HADOOP_CONF_DIR core-site.xml
  check_java
  check_writable_dir HADOOP_LOG_DIR "$HADOOP_LOG_DIR"
  check_memory HADOOP_HEAPSIZE_MAX
  check_memory HADOOP_HEAPSIZE_MIN
}

# Checks the name dirs (after the config itself is known to be good), then
# formats a NameNode none of whose dirs holds current/VERSION.
format_namenode_if_new() {
  local dirs d formatted=""
  dirs="$(hdfs getconf -confKey dfs.namenode.name.dir 2>/dev/null)" \
    || die "cannot read dfs.namenode.name.dir from $HADOOP_CONF_DIR"
  IFS=',' read -ra dirs <<<"$dirs"
  for d in "${dirs[@]}"; do
    d="${d#file://}"; d="${d#file:}"
    [[ -f "$d/current/VERSION" ]] && formatted=yes
    check_writable_dir "NameNode dir" "$d"
  done
  report_problems
  if [[ -z "$formatted" ]]; then
    log "formatting new NameNode in ${dirs[*]} (cluster id ${HDFS_CLUSTER_ID:-devenv})"
    hdfs namenode -format -nonInteractive -clusterid "${HDFS_CLUSTER_ID:-devenv}"
  fi
}

role="${1:-}"
case "$role" in
  namenode)          shift; check_settings; report_problems; format_namenode_if_new; run_daemon hdfs namenode "$@" ;;
  datanode|secondarynamenode)
                     shift; check_settings; run_daemon hdfs "$role" "$@" ;;
  resourcemanager|nodemanager|proxyserver)
                     shift; check_settings; run_daemon yarn "$role" "$@" ;;
  historyserver)     shift; check_settings; run_daemon mapred historyserver "$@" ;;
  "")                die "no role given: namenode, datanode, resourcemanager, nodemanager, historyserver, or a command" ;;
  *)                 exec "$@" ;;
esac
