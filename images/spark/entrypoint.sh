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
# on HDFS, creating it, for at most SPARK_HISTORY_WAIT seconds, default 300; 0: don't).
# Every setting is checked and all problems are reported together (exit 64);
# then the daemon is exec'd, so tini's SIGTERM reaches the JVM.
set -euo pipefail
# shellcheck source=images/lib/entrypoint.sh
. "${DEVENV_ENTRYPOINT_LIB:-/usr/local/lib/devenv/entrypoint.sh}"

: "${SPARK_CONF_DIR:=/etc/spark/conf}"
: "${HADOOP_CONF_DIR:=/etc/hadoop/conf}"
: "${SPARK_HISTORY_MKDIR:=1}"
: "${SPARK_HISTORY_WAIT:=300}"
export SPARK_CONF_DIR HADOOP_CONF_DIR

# spark.history.fs.logDirectory from spark-defaults.conf (empty when unset).
history_log_dir() {
  sed -n 's/^[[:space:]]*spark\.history\.fs\.logDirectory[[:space:]=]\{1,\}\([^[:space:]]*\).*/\1/p' \
    "$SPARK_CONF_DIR/spark-defaults.conf" 2>/dev/null | tail -n1
}

check_settings() {
  check_conf_dir SPARK_CONF_DIR spark-defaults.conf
  check_xml "$HADOOP_CONF_DIR"
  check_java
  [[ -x "${SPARK_HOME:-}/bin/spark-class" ]] || problem "no spark-class in SPARK_HOME=${SPARK_HOME:-}"
  check_memory SPARK_DAEMON_MEMORY 512m
  check_one_of SPARK_HISTORY_MKDIR "$SPARK_HISTORY_MKDIR" 0 1
  check_uint SPARK_HISTORY_WAIT "$SPARK_HISTORY_WAIT"
  [[ ! -r "$SPARK_CONF_DIR/spark-defaults.conf" || -n "$(history_log_dir)" ]] \
    || problem "spark.history.fs.logDirectory is not set in $SPARK_CONF_DIR/spark-defaults.conf"
}

wait_for_log_dir() {
  # The NameNode may still be starting (or in safe mode): poll until the
  # directory exists or can be made, for at most SPARK_HISTORY_WAIT seconds.
  local logdir="$1" deadline=$(( SECONDS + SPARK_HISTORY_WAIT ))
  until HADOOP_ROOT_LOGGER=ERROR,console hdfs dfs -test -d "$logdir" 2>/dev/null \
        || HADOOP_ROOT_LOGGER=ERROR,console hdfs dfs -mkdir -p "$logdir" 2>/dev/null; do
    (( SECONDS < deadline )) || die "$logdir does not exist and could not be created within $SPARK_HISTORY_WAIT s (is HDFS up?)"
    sleep 1
  done
}

role="${1:-}"
case "$role" in
  spark-history)
    shift
    check_settings
    report_problems
    logdir="$(history_log_dir)"
    if [[ "$SPARK_HISTORY_MKDIR" == 1 && "$logdir" != file:* ]] && command -v hdfs >/dev/null \
       && [[ -r "$HADOOP_CONF_DIR/core-site.xml" ]]; then
      wait_for_log_dir "$logdir"
    fi
    export SPARK_DAEMON_MEMORY
    run_daemon "$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.history.HistoryServer "$@" ;;
  # NodeManagers run this image so that Spark and Python are on every node.
  namenode|datanode|secondarynamenode|resourcemanager|nodemanager|proxyserver|historyserver)
    exec hadoop-entrypoint "$@" ;;
  "") die "no role given: spark-history, a Hadoop role, or a command (spark-submit, pyspark, ...)" ;;
  *)  exec "$@" ;;
esac
