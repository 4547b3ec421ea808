#!/bin/sh
# Restore a dump made by scripts/backup.sh into a new, empty database.
#
#   scripts/restore.sh [-j JOBS] DUMP TARGET_DATABASE_URL
#
# Creates the target database when it does not exist (the role needs CREATEDB) and refuses one
# that already has tables. Checks the dump against its .sha256 when that is there.
# - PostgreSQL: pg_restore with JOBS parallel jobs (default: the number of cores).
# - TimescaleDB (the dump has the extension): CREATE EXTENSION timescaledb (the same version as the
#   source, written in the dump's .meta), timescaledb_pre_restore(), pg_restore in one job (the
#   extension's catalog is restored in dump order), timescaledb_post_restore().
# Ownership and grants are not restored: the restoring role owns everything. Ends with ANALYZE.
# POSIX sh, like backup.sh. docs/operations.md has the whole procedure.
set -eu

usage() { echo "usage: $0 [-j JOBS] DUMP TARGET_DATABASE_URL" >&2; exit 2; }
die() { echo "restore.sh: $*" >&2; exit 1; }

JOBS="$(nproc 2>/dev/null || echo 2)"
while getopts "j:h" opt; do
  case "$opt" in
    j) JOBS="$OPTARG" ;;
    *) usage ;;
  esac
done
shift $((OPTIND - 1))
[ $# -eq 2 ] || usage
DUMP="$1"
case "$JOBS" in ''|*[!0-9]*|0) usage ;; esac
[ -f "$DUMP" ] || die "no dump at $DUMP"

if [ -f "$DUMP.sha256" ]; then
  (cd "$(dirname "$DUMP")" && sha256sum -c "$(basename "$DUMP").sha256" >/dev/null) \
    || die "$DUMP does not match its checksum"
fi

TARGET="$(printf '%s' "$2" | sed -E 's#^[a-z0-9+]*://#postgresql://#')"
case "$TARGET" in postgresql://*/*) ;; *) die "TARGET_DATABASE_URL must name a database: postgres://user:pass@host:5432/NAME" ;; esac
NAME="$(printf '%s' "$TARGET" | sed -E 's#^postgresql://[^/]*/##; s#\?.*$##')"
[ -n "$NAME" ] || die "TARGET_DATABASE_URL must name a database"
# The server's maintenance database, to create the target from.
ADMIN="$(printf '%s' "$TARGET" | sed -E 's#^(postgresql://[^/]*/)[^?]*#\1postgres#')"

psql_at() { db="$1"; shift; psql -X -q -tA -v ON_ERROR_STOP=1 -d "$db" "$@"; }

exists="$(printf '%s\n' "SELECT 1 FROM pg_database WHERE datname = :'name';" | psql_at "$ADMIN" -v name="$NAME")"
if [ "$exists" = "1" ]; then
  tables="$(psql_at "$TARGET" -c "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")"
  [ "$tables" = "0" ] || die "database $NAME already has $tables tables; restore into a new or empty database"
else
  printf '%s\n' 'CREATE DATABASE :"name";' | psql_at "$ADMIN" -v name="$NAME"
  echo "restore.sh: created database $NAME" >&2
fi

if pg_restore -l "$DUMP" | grep -Eq 'EXTENSION - timescaledb( |$)'; then
  echo "restore.sh: the dump has TimescaleDB: pre_restore, one job, post_restore" >&2
  psql_at "$TARGET" -c "CREATE EXTENSION IF NOT EXISTS timescaledb" -c "SELECT timescaledb_pre_restore()" >/dev/null
  pg_restore --no-owner --no-privileges --exit-on-error -d "$TARGET" "$DUMP"
  psql_at "$TARGET" -c "SELECT timescaledb_post_restore()" >/dev/null
else
  pg_restore --jobs "$JOBS" --no-owner --no-privileges --exit-on-error -d "$TARGET" "$DUMP"
fi
psql_at "$TARGET" -c "SET client_min_messages = error" -c "ANALYZE"  # the shared catalogs are not ours to analyze

lines="$(psql_at "$TARGET" -c "SELECT count(*) FROM logs_logentry" 2>/dev/null || echo "?")"
echo "restore.sh: restored $(basename "$DUMP") into $NAME ($lines log lines)" >&2
