#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers and prints a DATABASE_URL for it.
# Order: an existing DATABASE_URL that answers → a server on the default socket → a private
# cluster under .data/ci-postgres (installing Debian's postgresql first if no binaries exist).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { echo "[ensure-postgres] $*" >&2; }

if [ -n "${DATABASE_URL:-}" ] && psql "$DATABASE_URL" -qtAc 'select 1' >/dev/null 2>&1; then
  log "using DATABASE_URL from the environment"; echo "$DATABASE_URL"; exit 0
fi

PGPORT_PRIVATE=${PGPORT_PRIVATE:-55432}
URL="postgres://pin:pin@127.0.0.1:${PGPORT_PRIVATE}/pin"
if psql "$URL" -qtAc 'select 1' >/dev/null 2>&1; then
  log "private cluster already running on ${PGPORT_PRIVATE}"; echo "$URL"; exit 0
fi

bindir=""
for d in /usr/lib/postgresql/*/bin; do [ -x "$d/pg_ctl" ] && bindir="$d"; done
if [ -z "$bindir" ]; then
  log "no PostgreSQL binaries: installing Debian's postgresql"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/pg_ctl" ] && bindir="$d"; done
fi
[ -n "$bindir" ] || { log "PostgreSQL could not be installed"; exit 1; }

data="$PWD/.data/ci-postgres"
mkdir -p "$data"
# postgres refuses to run as root: the cluster belongs to the 'postgres' system user when we are root.
runas=()
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --home "$data" postgres
  chown -R postgres "$data"
  chmod 755 "$PWD/.data"
  runas=(runuser -u postgres --)
fi
if [ ! -f "$data/PG_VERSION" ]; then
  log "initdb in $data"
  "${runas[@]}" "$bindir/initdb" -D "$data" -U postgres --auth=trust -E UTF8 >/dev/null
fi
log "starting PostgreSQL ($bindir) on 127.0.0.1:${PGPORT_PRIVATE}"
"${runas[@]}" "$bindir/pg_ctl" -D "$data" -l "$data/server.log" -w -o "-p ${PGPORT_PRIVATE} -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off -c synchronous_commit=off" start >&2
psql "postgres://postgres@127.0.0.1:${PGPORT_PRIVATE}/postgres" -qtAc "DO \$\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='pin') THEN CREATE ROLE pin LOGIN SUPERUSER PASSWORD 'pin'; END IF; END\$\$;" >&2
psql "postgres://postgres@127.0.0.1:${PGPORT_PRIVATE}/postgres" -qtAc "SELECT 1 FROM pg_database WHERE datname='pin'" | grep -q 1 || \
  psql "postgres://postgres@127.0.0.1:${PGPORT_PRIVATE}/postgres" -qtAc "CREATE DATABASE pin OWNER pin" >&2
echo "$URL"
