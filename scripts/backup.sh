#!/bin/sh
# Back up the devlogs database (PostgreSQL or TimescaleDB) with pg_dump's custom format.
#
#   scripts/backup.sh [-o DIR] [-k KEEP] [DATABASE_URL]
#
# The database is DATABASE_URL (argument or environment), else libpq's PG* variables.
# Writes DIR/devlogs-<UTC time>.dump (default DIR: var/backups), its .sha256, and a .meta file with
# the server and TimescaleDB versions a restore needs; prints the dump's path. With -k, only the
# newest KEEP dumps in DIR are kept. POSIX sh: it also runs inside the TimescaleDB container
# (docs/operations.md). Restore with scripts/restore.sh.
set -eu

usage() { echo "usage: $0 [-o DIR] [-k KEEP] [DATABASE_URL]" >&2; exit 2; }

OUT="${DEVLOGS_BACKUP_DIR:-$(cd "$(dirname "$0")/.." && pwd)/var/backups}"
KEEP=0
while getopts "o:k:h" opt; do
  case "$opt" in
    o) OUT="$OPTARG" ;;
    k) KEEP="$OPTARG" ;;
    *) usage ;;
  esac
done
shift $((OPTIND - 1))
[ $# -le 1 ] || usage
URL="${1:-${DATABASE_URL:-}}"
case "$KEEP" in ''|*[!0-9]*) usage ;; esac

# Django's URL schemes (postgres, pgsql, postgis, timescale…) all mean libpq's postgresql://.
conninfo() { printf '%s' "$1" | sed -E 's#^[a-z0-9+]*://#postgresql://#'; }
if [ -n "$URL" ]; then
  case "$URL" in sqlite*) echo "backup.sh: $URL is SQLite; copy the file while the server is stopped" >&2; exit 2 ;; esac
  DB="$(conninfo "$URL")"
else
  DB=""  # libpq's PGHOST, PGUSER, PGDATABASE… decide
fi
psql_db() { if [ -n "$DB" ]; then psql -X -q -tA -v ON_ERROR_STOP=1 -d "$DB" "$@"; else psql -X -q -tA -v ON_ERROR_STOP=1 "$@"; fi; }

mkdir -p "$OUT"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
dump="$OUT/devlogs-$stamp.dump"
partial="$dump.partial"
trap 'rm -f "$partial"' EXIT

server="$(psql_db -c 'SHOW server_version')"
timescale="$(psql_db -c "SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'")"

# One consistent snapshot of the whole database. On TimescaleDB pg_dump warns about circular
# foreign keys in its catalog: expected, and harmless for a whole-database dump and restore.
if [ -n "$DB" ]; then pg_dump -Fc -d "$DB" -f "$partial"; else pg_dump -Fc -f "$partial"; fi
mv "$partial" "$dump"
(cd "$OUT" && sha256sum "$(basename "$dump")" > "$(basename "$dump").sha256")
{
  echo "created_at=$stamp"
  echo "server_version=$server"
  echo "timescaledb_version=${timescale:-none}"
  echo "pg_dump_version=$(pg_dump --version)"
} > "$dump.meta"

if [ "$KEEP" -gt 0 ]; then
  # Names sort by time; everything but the newest KEEP goes, with its checksum and notes.
  ls "$OUT"/devlogs-*.dump 2>/dev/null | sort -r | tail -n +"$((KEEP + 1))" | while read -r old; do
    rm -f "$old" "$old.sha256" "$old.meta"
  done
fi
echo "$dump"
