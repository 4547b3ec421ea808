#!/usr/bin/env bash
# A local PostgreSQL 15 with TimescaleDB for tests and development: install, start, stop, status.
# Listens on 127.0.0.1:${DEVLOGS_PG_PORT:-5432}; role and database "devlogs" (password "devlogs").
# Prints the DATABASE_URL on start, and nothing else on stdout.
#
# TimescaleDB: Debian 12 has no package for it, so `install`/`start` build the release kept in
# ../shared/vendor/timescaledb/ beside the repository (its build.sh: idempotent, ~80 s the first
# time; it apt-installs the build deps and upgrades postgresql-15 to its headers' minor release),
# then preload it (shared_preload_libraries, telemetry off) and restart the cluster if the running
# server has not loaded it. DEVLOGS_TIMESCALE_VENDOR points elsewhere; DEVLOGS_PG_TIMESCALE=0
# skips it. Where that folder is absent the cluster is plain PostgreSQL (said on stderr). The
# other route, where the machine reaches it, is Timescale's own apt repository
# (package timescaledb-2-postgresql-15): once installed,
# this script preloads it the same way.
set -euo pipefail
PORT="${DEVLOGS_PG_PORT:-5432}"
URL="postgres://devlogs:devlogs@127.0.0.1:${PORT}/devlogs"
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENDOR="${DEVLOGS_TIMESCALE_VENDOR:-$REPO/../shared/vendor/timescaledb}"

install() {
  if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    echo "postgres.sh: installing postgresql (apt)" >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  install_timescaledb || echo "postgres.sh: TimescaleDB could not be built: plain PostgreSQL" >&2
}

install_timescaledb() {
  [ "${DEVLOGS_PG_TIMESCALE:-1}" != 0 ] || { echo "postgres.sh: DEVLOGS_PG_TIMESCALE=0: plain PostgreSQL" >&2; return 0; }
  if [ ! -f "$VENDOR/build.sh" ]; then
    timescaledb_installed && return 0
    echo "postgres.sh: no TimescaleDB source at $VENDOR (and no timescaledb package): plain PostgreSQL." \
      "Timescale's apt repository (timescaledb-2-postgresql-15) is the other route where reachable." >&2
    return 0
  fi
  # build.sh removes its build directory first: never two at once (ours serialise on the lock;
  # one started by hand is waited for).
  exec 9>"${TMPDIR:-/tmp}/devlogs-timescaledb-build.lock"
  flock 9
  for _ in $(seq 1 600); do
    pgrep -f "^(/usr)?(/bin/)?bash [^ ]*timescaledb/build\.sh" >/dev/null || break
    sleep 1
  done
  bash "$VENDOR/build.sh" >&2
  local rc=$?
  flock -u 9; exec 9>&-  # the cluster started later must not inherit the lock
  return $rc
}

version() { ls /etc/postgresql | sort -V | tail -1; }

timescaledb_installed() {
  local v; v=$(version 2>/dev/null) || return 1
  [ -f "/usr/lib/postgresql/$v/lib/timescaledb.so" ] && [ -f "/usr/share/postgresql/$v/extension/timescaledb.control" ]
}

psql_su() { (cd / && runuser -u postgres -- psql -X -q -p "$PORT" -tA "$@"); }

# shared_preload_libraries gets timescaledb when it is installed, and loses it when it is not
# (a server asked to preload a missing library does not start). Prints "changed" on a change.
configure_timescaledb() {
  local conf=$1 current
  current=$(sed -nE "s/^shared_preload_libraries *= *'([^']*)'.*/\1/p" "$conf" | tail -1)
  if timescaledb_installed && [ "${DEVLOGS_PG_TIMESCALE:-1}" != 0 ]; then
    if ! grep -q "^timescaledb.telemetry_level" "$conf"; then
      printf "timescaledb.telemetry_level = off\n" >> "$conf"
    fi
    case ",${current// /}," in
      *,timescaledb,*) ;;
      *)
        sed -i "/^shared_preload_libraries *=/d" "$conf"
        printf "shared_preload_libraries = '%s'\n" "timescaledb${current:+,$current}" >> "$conf"
        echo changed ;;
    esac
  else
    case ",${current// /}," in
      *,timescaledb,*)
        local rest; rest=$(printf '%s' "${current// /}" | tr ',' '\n' | grep -vx timescaledb | paste -sd, -)
        sed -i "/^shared_preload_libraries *=/d; /^timescaledb\./d" "$conf"
        printf "shared_preload_libraries = '%s'\n" "$rest" >> "$conf"
        echo changed ;;
    esac
  fi
}

start() {
  # stdout carries only the URL (callers capture it): everything else goes to stderr, pg_ctlcluster
  # included, which prints "Removed stale pid file." to stdout after an unclean shutdown.
  exec 3>&1 1>&2
  install
  local v; v=$(version)
  [ -n "$v" ] || { echo "postgres.sh: no cluster under /etc/postgresql" >&2; exit 1; }
  local conf="/etc/postgresql/$v/main/postgresql.conf"
  if ! grep -q "^port = $PORT" "$conf"; then sed -i "s/^port = .*/port = $PORT/" "$conf"; fi
  # Tests create and drop databases constantly; durability of the test cluster is not the point.
  grep -q "^fsync = off" "$conf" || printf "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n" >> "$conf"
  configure_timescaledb "$conf" >/dev/null
  if pg_ctlcluster "$v" main status >/dev/null 2>&1; then
    # Running: restart when it has not loaded what the configuration preloads, or when its binary
    # was upgraded underneath it (build.sh upgrades postgresql-15; the new build needs the new server).
    local want loaded running binary
    want=$(sed -nE "s/^shared_preload_libraries *= *'([^']*)'.*/\1/p" "$conf" | tail -1)
    loaded=$(psql_su -c "SHOW shared_preload_libraries" 2>/dev/null || echo "?")
    running=$(psql_su -c "SHOW server_version" 2>/dev/null | cut -d' ' -f1 || true)
    binary=$("/usr/lib/postgresql/$v/bin/postgres" --version | awk '{print $3}')
    if [ "${want// /}" != "${loaded// /}" ] || [ "$running" != "$binary" ]; then
      echo "postgres.sh: restarting PostgreSQL $running → $binary (shared_preload_libraries '$loaded' → '$want')" >&2
      pg_ctlcluster --skip-systemctl-redirect "$v" main restart -m fast 3>&-
    fi
  else
    pg_ctlcluster --skip-systemctl-redirect "$v" main start 3>&-  # the server must not hold the caller's pipe
  fi
  for _ in $(seq 1 60); do
    pg_isready -q -h 127.0.0.1 -p "$PORT" && break
    sleep 0.5
  done
  pg_isready -q -h 127.0.0.1 -p "$PORT" || { echo "postgres.sh: server did not become ready" >&2; exit 1; }
  psql_su -c "SELECT 1 FROM pg_roles WHERE rolname='devlogs'" | grep -q 1 \
    || psql_su -c "CREATE ROLE devlogs LOGIN CREATEDB PASSWORD 'devlogs'"
  if psql_su -c "SHOW shared_preload_libraries" | tr ',' '\n' | tr -d ' ' | grep -qx timescaledb; then
    # TimescaleDB: the test/development role is a superuser of this local cluster. Every database
    # it migrates needs CREATE EXTENSION timescaledb (django-timescaledb's engine runs it in each one:
    # pytest-django's test_* databases, restore targets), which takes a superuser (the extension is
    # not trusted), and restore.sh's timescaledb_pre_restore() + pg_restore of the extension's
    # catalog need its owner. The alternative, the extension pre-created in template1 by postgres,
    # gives every new database TimescaleDB's catalog tables (restore.sh then refuses the target as
    # non-empty) and leaves the catalog owned by postgres. The timescale/timescaledb image does the
    # same (POSTGRES_USER is the superuser). Production roles: docs/storage.md.
    psql_su -c "ALTER ROLE devlogs SUPERUSER" >/dev/null
    echo "postgres.sh: TimescaleDB $(psql_su -c "SELECT default_version FROM pg_available_extensions WHERE name = 'timescaledb'") preloaded" >&2
  else
    echo "postgres.sh: plain PostgreSQL (no TimescaleDB loaded)" >&2
  fi
  psql_su -c "SELECT 1 FROM pg_database WHERE datname='devlogs'" | grep -q 1 \
    || psql_su -c "CREATE DATABASE devlogs OWNER devlogs"
  echo "$URL" >&3
}

stop() {
  local v; v=$(version 2>/dev/null || true)
  [ -n "$v" ] && pg_ctlcluster --skip-systemctl-redirect "$v" main stop 2>/dev/null || true
}

status() { pg_isready -h 127.0.0.1 -p "$PORT"; }

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  url) echo "$URL" ;;
  *) echo "usage: $0 install|start|stop|status|url" >&2; exit 2 ;;
esac
