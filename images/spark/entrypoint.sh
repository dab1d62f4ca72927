#!/usr/bin/env bash
# Entrypoint of the devenv Spark image (runs under tini).
#
#   spark-history     Spark history server in the foreground (port 18080)
#   namenode, nodemanager, ... (the Hadoop roles)   handed to hadoop-entrypoint
#   anything else     exec'd as given (spark-submit ..., pyspark, bash ...)
#
# Environment: SPARK_CONF_DIR (/etc/spark/conf), HADOOP_CONF_DIR (/etc/hadoop/conf),
# SPARK_DAEMON_MEMORY (history server heap, default 512m), SPARK_HISTORY_OPTS,
# SPARK_DAEMON_JAVA_OPTS (extra JVM options for the history server),
# SPARK_HISTORY_MKDIR (default 1: wait until spark.history.fs.logDirectory exists
# on HDFS, creating it, for at most SPARK_HISTORY_WAIT seconds, default 300).
set -euo pipefail

: "${SPARK_CONF_DIR:=/etc/spark/conf}"
: "${HADOOP_CONF_DIR:=/etc/hadoop/conf}"
export SPARK_CONF_DIR HADOOP_CONF_DIR

log() { printf '[entrypoint] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 64; }

check_conf() {
  [[ -d "$SPARK_CONF_DIR" ]] || die "SPARK_CONF_DIR=$SPARK_CONF_DIR is not a directory (mount the rendered config there)"
  [[ -r "$SPARK_CONF_DIR/spark-defaults.conf" ]] || die "$SPARK_CONF_DIR/spark-defaults.conf is missing or unreadable"
  [[ -x "${JAVA_HOME:-/opt/java}/bin/java" ]] || die "no java at JAVA_HOME=${JAVA_HOME:-}"
  local f
  for f in "$HADOOP_CONF_DIR"/*.xml; do
    [[ -e "$f" ]] || continue
    python3 -c 'import sys, xml.dom.minidom as m; m.parse(sys.argv[1])' "$f" 2>/dev/null \
      || die "$f is not well-formed XML"
  done
  [[ "${SPARK_DAEMON_MEMORY:-512m}" =~ ^[0-9]+[kKmMgG]$ ]] \
    || die "SPARK_DAEMON_MEMORY must look like 512m, got: $SPARK_DAEMON_MEMORY"
}

wait_for_log_dir() {
  # The NameNode may still be starting (or in safe mode): poll until the
  # directory exists or can be made, for at most SPARK_HISTORY_WAIT seconds.
  local logdir="$1" deadline=$(( SECONDS + ${SPARK_HISTORY_WAIT:-300} ))
  until HADOOP_ROOT_LOGGER=ERROR,console hdfs dfs -test -d "$logdir" 2>/dev/null \
        || HADOOP_ROOT_LOGGER=ERROR,console hdfs dfs -mkdir -p "$logdir" 2>/dev/null; do
    (( SECONDS < deadline )) || die "$logdir does not exist and could not be created within ${SPARK_HISTORY_WAIT:-300} s (is HDFS up?)"
    sleep 1
  done
}

role="${1:-}"
case "$role" in
  spark-history)
    check_conf
    logdir="$(sed -n 's/^[[:space:]]*spark\.history\.fs\.logDirectory[[:space:]=]\{1,\}\([^[:space:]]*\).*/\1/p' \
      "$SPARK_CONF_DIR/spark-defaults.conf" | tail -n1)"
    [[ -n "$logdir" ]] || die "spark.history.fs.logDirectory is not set in $SPARK_CONF_DIR/spark-defaults.conf"
    if [[ "${SPARK_HISTORY_MKDIR:-1}" == 1 && "$logdir" != file:* ]] && command -v hdfs >/dev/null \
       && [[ -r "$HADOOP_CONF_DIR/core-site.xml" ]]; then
      wait_for_log_dir "$logdir"
    fi
    export SPARK_DAEMON_MEMORY="${SPARK_DAEMON_MEMORY:-512m}"
    shift
    exec "$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.history.HistoryServer "$@" ;;
  # NodeManagers run this image so that Spark and Python are on every node.
  namenode|datanode|secondarynamenode|resourcemanager|nodemanager|proxyserver|historyserver)
    exec hadoop-entrypoint "$@" ;;
  "") die "no role given: spark-history, a Hadoop role, or a command (spark-submit, pyspark, ...)" ;;
  *)  exec "$@" ;;
esac
