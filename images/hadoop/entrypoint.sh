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
set -euo pipefail

: "${HADOOP_CONF_DIR:=/etc/hadoop/conf}"
: "${HADOOP_LOG_DIR:=/data/logs}"
export HADOOP_CONF_DIR HADOOP_LOG_DIR

log() { printf '[entrypoint] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 64; }

check_conf() {
  [[ -d "$HADOOP_CONF_DIR" ]] || die "HADOOP_CONF_DIR=$HADOOP_CONF_DIR is not a directory (mount the rendered config there)"
  [[ -r "$HADOOP_CONF_DIR/core-site.xml" ]] || die "$HADOOP_CONF_DIR/core-site.xml is missing or unreadable"
  local f
  for f in "$HADOOP_CONF_DIR"/*.xml; do
    python3 -c 'import sys, xml.dom.minidom as m; m.parse(sys.argv[1])' "$f" 2>/dev/null \
      || die "$f is not well-formed XML"
  done
  [[ -x "${JAVA_HOME:-/opt/java}/bin/java" ]] || die "no java at JAVA_HOME=${JAVA_HOME:-}"
  mkdir -p "$HADOOP_LOG_DIR" 2>/dev/null && [[ -w "$HADOOP_LOG_DIR" ]] \
    || die "HADOOP_LOG_DIR=$HADOOP_LOG_DIR is not writable by uid $(id -u) (is /data owned by uid 1000?)"
}

format_namenode_if_new() {
  local dirs d formatted=""
  dirs="$(hdfs getconf -confKey dfs.namenode.name.dir 2>/dev/null)" \
    || die "cannot read dfs.namenode.name.dir from $HADOOP_CONF_DIR"
  IFS=',' read -ra dirs <<<"$dirs"
  for d in "${dirs[@]}"; do
    d="${d#file://}"; d="${d#file:}"
    [[ -f "$d/current/VERSION" ]] && formatted=yes
    mkdir -p "$d" 2>/dev/null && [[ -w "$d" ]] || die "NameNode dir $d is not writable by uid $(id -u)"
  done
  if [[ -z "$formatted" ]]; then
    log "formatting new NameNode in ${dirs[*]} (cluster id ${HDFS_CLUSTER_ID:-devenv})"
    hdfs namenode -format -nonInteractive -clusterid "${HDFS_CLUSTER_ID:-devenv}"
  fi
}

role="${1:-}"
case "$role" in
  namenode)          check_conf; format_namenode_if_new; shift; exec hdfs namenode "$@" ;;
  datanode|secondarynamenode)
                     check_conf; shift; exec hdfs "$role" "$@" ;;
  resourcemanager|nodemanager|proxyserver)
                     check_conf; shift; exec yarn "$role" "$@" ;;
  historyserver)     check_conf; shift; exec mapred historyserver "$@" ;;
  "")                die "no role given: namenode, datanode, resourcemanager, nodemanager, historyserver, or a command" ;;
  *)                 exec "$@" ;;
esac
