#!/bin/bash
# Entrypoint of the metastore database (runs under tini): initialise once,
# then exec postgres.
#
# Reads METASTORE_DB, METASTORE_DB_USER, METASTORE_DB_PASSWORD (or
# METASTORE_DB_PASSWORD_FILE) and PGDATA. The first start (no PG_VERSION in
# PGDATA) runs initdb in a temporary directory, creates the role and database,
# and only then moves the directory into place, so a failed first start leaves
# nothing half-initialised behind. Arguments other than "postgres" or an option
# are executed as given. Every setting is checked and all problems are
# reported together (exit 64) before anything is touched.
set -euo pipefail
# shellcheck source=images/lib/entrypoint.sh
. "${DEVENV_ENTRYPOINT_LIB:-/usr/local/lib/devenv/entrypoint.sh}"

if [[ $# -eq 0 || "$1" == -* ]]; then set -- postgres "$@"; fi
if [[ "$1" != postgres ]]; then exec "$@"; fi
shift

db=${METASTORE_DB:-} user=${METASTORE_DB_USER:-} password=${METASTORE_DB_PASSWORD:-}

# The first start's settings (database, owner, password) only matter when
# PGDATA holds no cluster yet.
check_settings() {
  [[ "$(id -u)" != 0 ]] || problem "must not run as root"
  if [[ "${PGDATA:-}" != /* ]]; then problem "PGDATA must be an absolute path, got '${PGDATA:-}'"; return 0; fi
  [[ ! -s "$PGDATA/PG_VERSION" ]] || return 0
  local name_re='^[a-z_][a-z0-9_]{0,62}$' file=${METASTORE_DB_PASSWORD_FILE:-}
  [[ "$db" =~ $name_re ]] || problem "METASTORE_DB must match $name_re, got '$db'"
  [[ "$user" =~ $name_re ]] || problem "METASTORE_DB_USER must match $name_re, got '$user'"
  [[ "$user" != postgres ]] || problem "METASTORE_DB_USER must not be the superuser 'postgres'"
  if [[ -n "$file" && -n "$password" ]]; then
    problem "set METASTORE_DB_PASSWORD or METASTORE_DB_PASSWORD_FILE, not both"
  elif [[ -n "$file" && ! -r "$file" ]]; then
    problem "cannot read METASTORE_DB_PASSWORD_FILE=$file"
  elif [[ -n "$file" ]]; then
    password=$(<"$file")
    [[ -n "$password" ]] || problem "METASTORE_DB_PASSWORD_FILE=$file is empty"
  else
    [[ -n "$password" ]] || problem "METASTORE_DB_PASSWORD (or METASTORE_DB_PASSWORD_FILE) is required to initialise the database"
  fi
}

init_cluster() {
    local tmp="${PGDATA}.init"
    rm -rf "$tmp"
    log "initialising $PGDATA (database $db, owner $user)"
    initdb --pgdata="$tmp" --username=postgres --encoding=UTF8 --locale=C.UTF-8 \
        --auth-local=peer --auth-host=scram-sha-256 >/dev/null
    {
        echo "host all all 0.0.0.0/0 scram-sha-256"
        echo "host all all ::/0 scram-sha-256"
    } >>"$tmp/pg_hba.conf"

    # Socket-only server while the role and database are created.
    pg_ctl --pgdata="$tmp" --silent --wait \
        -o "-c listen_addresses='' -c unix_socket_directories=/run/postgresql" start
    psql --no-psqlrc --quiet --set=ON_ERROR_STOP=1 --host=/run/postgresql --username=postgres \
        --dbname=postgres --set=db="$db" --set=user="$user" --set=password="$password" <<'SQL'
CREATE ROLE :"user" LOGIN PASSWORD :'password';
CREATE DATABASE :"db" OWNER :"user" ENCODING 'UTF8';
\connect :"db"
ALTER SCHEMA public OWNER TO :"user";
SQL
    pg_ctl --pgdata="$tmp" --silent --wait --mode=fast stop
    mv "$tmp" "$PGDATA"
    log "initialised"
}

check_settings
report_problems
mkdir -p "$(dirname "$PGDATA")"
[[ -s "$PGDATA/PG_VERSION" ]] || init_cluster

run_daemon postgres -D "$PGDATA" -c listen_addresses='*' -c port=5432 \
    -c unix_socket_directories=/run/postgresql "$@"
