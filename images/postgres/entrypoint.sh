#!/bin/bash
# Entrypoint of the metastore database: initialise once, then exec postgres.
#
# Reads METASTORE_DB, METASTORE_DB_USER, METASTORE_DB_PASSWORD (or
# METASTORE_DB_PASSWORD_FILE) and PGDATA. The first start (no PG_VERSION in
# PGDATA) runs initdb in a temporary directory, creates the role and database,
# and only then moves the directory into place, so a failed first start leaves
# nothing half-initialised behind. Arguments other than "postgres" or an option
# are executed as given.
set -euo pipefail

die() { echo "postgres-entrypoint: $*" >&2; exit 64; }

if [[ $# -eq 0 || "$1" == -* ]]; then set -- postgres "$@"; fi
if [[ "$1" != postgres ]]; then exec "$@"; fi
shift

[[ "$(id -u)" != 0 ]] || die "must not run as root"
: "${PGDATA:?PGDATA must be set}"
[[ "$PGDATA" == /* ]] || die "PGDATA must be an absolute path, got '$PGDATA'"

init_cluster() {
    local db=${METASTORE_DB:-} user=${METASTORE_DB_USER:-} password=${METASTORE_DB_PASSWORD:-}
    local name_re='^[a-z_][a-z0-9_]{0,62}$'
    [[ "$db" =~ $name_re ]] || die "METASTORE_DB must match $name_re, got '$db'"
    [[ "$user" =~ $name_re ]] || die "METASTORE_DB_USER must match $name_re, got '$user'"
    [[ "$user" != postgres ]] || die "METASTORE_DB_USER must not be the superuser 'postgres'"
    if [[ -n "${METASTORE_DB_PASSWORD_FILE:-}" ]]; then
        [[ -z "$password" ]] || die "set METASTORE_DB_PASSWORD or METASTORE_DB_PASSWORD_FILE, not both"
        [[ -r "$METASTORE_DB_PASSWORD_FILE" ]] || die "cannot read METASTORE_DB_PASSWORD_FILE=$METASTORE_DB_PASSWORD_FILE"
        password=$(<"$METASTORE_DB_PASSWORD_FILE")
    fi
    [[ -n "$password" ]] || die "METASTORE_DB_PASSWORD (or METASTORE_DB_PASSWORD_FILE) is required to initialise the database"

    local tmp="${PGDATA}.init"
    rm -rf "$tmp"
    echo "postgres-entrypoint: initialising $PGDATA (database $db, owner $user)"
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
    echo "postgres-entrypoint: initialised"
}

mkdir -p "$(dirname "$PGDATA")"
[[ -s "$PGDATA/PG_VERSION" ]] || init_cluster

exec postgres -D "$PGDATA" -c listen_addresses='*' -c port=5432 \
    -c unix_socket_directories=/run/postgresql "$@"
