# shellcheck shell=bash
# Sourced by the Hive launchers: builds the classpath and JVM options.
#
# Reads HIVE_HOME, HIVE_CONF_DIR, HADOOP_CONF_DIR, HIVE_HEAP (max heap of the
# servers, default 512m), HIVE_CLIENT_HEAP (beeline and schematool, default
# 256m), HIVE_JVM_FLAGS (GC/JIT flags, replaces the small-footprint default)
# and HIVE_JAVA_OPTS (extra JVM options, appended last).
# Defines hive_java ROLE MAINCLASS ARGS..., which execs the JVM.
# Uses log/die/memory_size from devenv's entrypoint library (jvm image).

# shellcheck source=images/lib/entrypoint.sh
. "${DEVENV_ENTRYPOINT_LIB:-/usr/local/lib/devenv/entrypoint.sh}"

: "${HIVE_HOME:=/opt/hive}"
: "${HIVE_CONF_DIR:=/etc/hive/conf}"
: "${HADOOP_CONF_DIR:=/etc/hadoop/conf}"
export HIVE_HOME HIVE_CONF_DIR HADOOP_CONF_DIR
# MetastoreSchemaTool looks for scripts/metastore/upgrade below this directory.
export METASTORE_HOME="${METASTORE_HOME:-$HIVE_HOME}"

# Java 17: the packages Hive 4.0.1 and Hadoop 3.4 reach into by reflection
# (DataNucleus/metastore init: java.net, HIVE-26473; Kryo plan serialisation
# and the Hadoop shell/IPC code: java.lang, java.util, java.nio, sun.nio.ch...).
HIVE_JAVA17_OPTS=(
  --add-opens=java.base/java.lang=ALL-UNNAMED
  --add-opens=java.base/java.lang.reflect=ALL-UNNAMED
  --add-opens=java.base/java.lang.invoke=ALL-UNNAMED
  --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/java.net=ALL-UNNAMED
  --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/java.util=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED
  --add-opens=java.base/java.util.regex=ALL-UNNAMED
  --add-opens=java.base/java.time=ALL-UNNAMED
  --add-opens=java.base/java.text=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens=java.base/sun.nio.cs=ALL-UNNAMED
  --add-opens=java.base/sun.security.action=ALL-UNNAMED
  --add-opens=java.base/sun.util.calendar=ALL-UNNAMED
  --add-opens=java.sql/java.sql=ALL-UNNAMED
)

# Java 8 is the JRE with lib/rt.jar (modules replaced it in 9); no JVM is started to ask.
java_9_or_later() {
  [[ ! -f "${JAVA_HOME:-/opt/java}/lib/rt.jar" ]]
}

# Hadoop's jars: a list fixed at image build time (hive-classpath), so the
# classpath does not depend on what happens to be on PATH at run time.
hadoop_classpath() {
  local f="$HIVE_HOME/etc/hadoop.classpath"
  [[ -s "$f" ]] && paste -sd: "$f"
}

hive_classpath() {
  # Config first (hive-site.xml, core-site.xml...), then the image's console
  # log4j2 files, then Hive's jars ahead of Hadoop's (as Hive's own scripts do).
  local cp="$HIVE_CONF_DIR:$HADOOP_CONF_DIR:$HIVE_HOME/etc:$HIVE_HOME/lib/*"
  local h
  h=$(hadoop_classpath || true)
  [[ -z "$h" ]] || cp="$cp:$h"
  echo "$cp"
}

# hive_java ROLE MAINCLASS ARGS...  (ROLE: server or client)
hive_java() {
  local role=$1 main=$2; shift 2
  local heap size opts=()
  if [[ $role == server ]]; then heap=${HIVE_HEAP:-512m}; else heap=${HIVE_CLIENT_HEAP:-256m}; fi
  size=$(memory_size "$heap") || die "invalid heap size '$heap' (HIVE_HEAP, HIVE_CLIENT_HEAP: e.g. 512m or 2g)"
  # Small footprint by default (dev cluster on a laptop): serial GC, C1 only,
  # small code cache, heap starting small. HIVE_JVM_FLAGS replaces these.
  # shellcheck disable=SC2206
  local jvm_flags=(${HIVE_JVM_FLAGS:--XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=64m -Xms64m})
  opts+=("-Xmx$size" "${jvm_flags[@]}" -XX:+ExitOnOutOfMemoryError -Djava.net.preferIPv4Stack=true)
  if java_9_or_later; then opts+=("${HIVE_JAVA17_OPTS[@]}"); fi
  opts+=("-Dhive.log.dir=${HIVE_LOG_DIR:-/tmp/hive}" -Dlog4j2.formatMsgNoLookups=true)
  # shellcheck disable=SC2206 # word splitting of user-supplied options is intended
  local extra=(${HIVE_JAVA_OPTS:-})
  exec "${JAVA_HOME:-/opt/java}/bin/java" "${opts[@]}" "${extra[@]}" \
    -cp "$(hive_classpath)" "$main" "$@"
}
