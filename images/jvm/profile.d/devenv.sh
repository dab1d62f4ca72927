# devenv: login shells (`devenv shell`, `bash -l`) see what `docker exec` sees.
#
# Debian's and Ubuntu's /etc/profile reset PATH for non-root users, which drops
# /opt/hadoop/bin, /opt/hive/bin and /opt/spark/bin. The image's /etc/profile
# saves the inherited PATH first (DEVENV_INHERITED_PATH, see the jvm
# Dockerfile); here it is put back, so a login shell has the image's tools in
# the image's order.
if [ -n "${DEVENV_INHERITED_PATH:-}" ]; then
  PATH="$DEVENV_INHERITED_PATH"
  export PATH
fi
unset DEVENV_INHERITED_PATH

# The prompt names the cluster: Debian's ~/.bashrc and /etc/bash.bashrc put
# ${debian_chroot} in brackets before user@host.
if [ -n "${DEVENV_CLUSTER:-}" ]; then
  debian_chroot="$DEVENV_CLUSTER"
fi

# `devenv shell` asks for a short banner of what is here (DEVENV_BANNER=1).
if [ "${DEVENV_BANNER:-}" = 1 ] && [ -t 1 ]; then
  unset DEVENV_BANNER
  _devenv_tools=""
  for _t in hdfs yarn mapred hadoop spark-submit pyspark spark-shell spark-sql beeline hive schematool psql; do
    command -v "$_t" >/dev/null 2>&1 && _devenv_tools="$_devenv_tools $_t"
  done
  printf 'devenv cluster %s, service %s\n' "${DEVENV_CLUSTER:-?}" "${HOSTNAME:-$(hostname)}"
  [ -n "$_devenv_tools" ] && printf '  tools:%s\n' "$_devenv_tools"
  [ -n "${HADOOP_CONF_DIR:-}" ] && printf '  HADOOP_CONF_DIR=%s   your HDFS home: /user/%s\n' "$HADOOP_CONF_DIR" "$(id -un)"
  command -v beeline >/dev/null 2>&1 && [ -r "${HIVE_CONF_DIR:-/etc/hive/conf}/beeline-site.xml" ] \
    && printf '  beeline connects to this cluster'\''s HiveServer2 by itself: beeline -e '\''show databases'\''\n'
  command -v pyspark >/dev/null 2>&1 \
    && printf '  Spark runs on YARN; finished applications: the Spark history URL in `devenv status`\n'
  printf '  leave: exit (or Ctrl-D)\n'
  unset _devenv_tools _t
fi
