#!/usr/bin/env bash
# Run the whole test suite: Python tests on SQLite and on a real PostgreSQL, both with a real
# Kafka broker and Redis (each started here, and stopped again if this script started it),
# then the dashboard's component tests. Exits non-zero when anything fails or nothing ran.
# Under CI=true a service that cannot be started is a failure, not a skip.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh || exit 1

REPORTS="test-artifacts/reports"
rm -rf "$REPORTS" && mkdir -p "$REPORTS"
status=0
run() {  # run NAME COMMAND...: a stage; pytest's exit 5 (no tests) counts as a failure
  local name=$1; shift
  echo "=== $name"
  "$@"
  local rc=$?
  if [ $rc -ne 0 ]; then
    echo "=== $name FAILED (exit $rc)"
    status=1
  fi
}

PYTEST=(.venv/bin/pytest -q)

# nginx for tests/test_reverse_proxy.py (the documented reverse-proxy config, run for real).
if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ] && [ "$(id -u)" = 0 ]; then
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null \
    || echo "=== nginx could not be installed"
  # Debian starts the packaged nginx on port 80; these tests run their own.
  (command -v systemctl >/dev/null && systemctl stop nginx) >/dev/null 2>&1 || nginx -s stop >/dev/null 2>&1 || true
fi

# Debian's Chromium for the dashboard's browser test (Playwright drives it; no browser download).
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ]; then
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
    || echo "=== Chromium could not be installed"
fi

# kustomize and docker compose for tests/test_deploy_manifests.py, built once from their Go modules
# and cached in ~/.cache/devlogs-tools (the schema validators come with requirements.txt).
scripts/validate-deploy.sh install || echo "=== deployment validators could not be installed"

# Test-only TimescaleDB (PGlite build) for tests/test_timescale.py.
lock_hash=$(sha256sum tests/timescale/package-lock.json | cut -d' ' -f1)
if [ "$(cat tests/timescale/node_modules/.lock.sha256 2>/dev/null)" != "$lock_hash" ]; then
  (cd tests/timescale && npm ci --legacy-peer-deps --no-audit --no-fund --loglevel=error) \
    && echo "$lock_hash" > tests/timescale/node_modules/.lock.sha256
fi

# Services: started here, stopped on exit if this script started them.
stop_kafka=0
if ! scripts/kafka.sh status >/dev/null 2>&1; then
  if scripts/kafka.sh start >/dev/null; then stop_kafka=1; else echo "=== Kafka could not be started"; fi
fi
export KAFKA_BOOTSTRAP_SERVERS="$(scripts/kafka.sh bootstrap)"
stop_redis=0
if ! scripts/redis.sh status >/dev/null 2>&1; then
  if scripts/redis.sh start >/dev/null; then stop_redis=1; else echo "=== Redis could not be started"; fi
fi
export DEVLOGS_TEST_REDIS_URL="$(scripts/redis.sh url)"
stop_pg=0
scripts/postgres.sh status >/dev/null 2>&1 || stop_pg=1
cleanup() {
  [ $stop_kafka = 1 ] && scripts/kafka.sh stop
  [ $stop_redis = 1 ] && scripts/redis.sh stop
  [ $stop_pg = 1 ] && scripts/postgres.sh stop
}
trap cleanup EXIT

run "python tests on SQLite" env -u DATABASE_URL "${PYTEST[@]}" --junitxml="$REPORTS/sqlite.xml" "$@"

if PG_URL=$(scripts/postgres.sh start); then
  run "python tests on PostgreSQL" env DATABASE_URL="$PG_URL" "${PYTEST[@]}" --junitxml="$REPORTS/postgres.xml" "$@"
elif [ "${CI:-}" = "true" ]; then
  echo "=== PostgreSQL could not be started; required under CI=true"
  status=1
else
  echo "=== PostgreSQL could not be started: its tests were skipped (they run under CI=true)"
fi

run "dashboard component tests (vitest)" bash -c \
  "cd frontend && npx vitest run --reporter=default --reporter=junit --outputFile.junit=../$REPORTS/vitest.xml"

.venv/bin/python scripts/summarise_junit.py "$REPORTS"/*.xml || status=1
exit $status
