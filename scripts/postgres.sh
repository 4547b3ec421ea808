#!/usr/bin/env bash
# A local PostgreSQL 15 for tests and development: install (apt), start, stop, status.
# Listens on 127.0.0.1:${DEVLOGS_PG_PORT:-5432}; role and database "devlogs" (password "devlogs",
# CREATEDB so pytest-django can make its test database). Prints the DATABASE_URL on start.
set -euo pipefail
PORT="${DEVLOGS_PG_PORT:-5432}"
URL="postgres://devlogs:devlogs@127.0.0.1:${PORT}/devlogs"

install() {
  if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    echo "postgres.sh: installing postgresql (apt)" >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
}

version() { ls /etc/postgresql | sort -V | tail -1; }

start() {
  install
  local v; v=$(version)
  [ -n "$v" ] || { echo "postgres.sh: no cluster under /etc/postgresql" >&2; exit 1; }
  local conf="/etc/postgresql/$v/main/postgresql.conf"
  if ! grep -q "^port = $PORT" "$conf"; then sed -i "s/^port = .*/port = $PORT/" "$conf"; fi
  # Tests create and drop databases constantly; durability of the test cluster is not the point.
  grep -q "^fsync = off" "$conf" || printf "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n" >> "$conf"
  if ! pg_ctlcluster "$v" main status >/dev/null 2>&1; then
    pg_ctlcluster --skip-systemctl-redirect "$v" main start
  fi
  for _ in $(seq 1 60); do
    pg_isready -q -h 127.0.0.1 -p "$PORT" && break
    sleep 0.5
  done
  pg_isready -q -h 127.0.0.1 -p "$PORT" || { echo "postgres.sh: server did not become ready" >&2; exit 1; }
  su postgres -c "psql -q -p $PORT -tAc \"SELECT 1 FROM pg_roles WHERE rolname='devlogs'\"" | grep -q 1 \
    || su postgres -c "psql -q -p $PORT -c \"CREATE ROLE devlogs LOGIN CREATEDB PASSWORD 'devlogs'\""
  su postgres -c "psql -q -p $PORT -tAc \"SELECT 1 FROM pg_database WHERE datname='devlogs'\"" | grep -q 1 \
    || su postgres -c "psql -q -p $PORT -c 'CREATE DATABASE devlogs OWNER devlogs'"
  echo "$URL"
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
