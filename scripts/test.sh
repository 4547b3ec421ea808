#!/usr/bin/env bash
# Run the whole test suite: Python tests on SQLite and on a real PostgreSQL with TimescaleDB (the
# pipeline and storage tests also on plain PostgreSQL), all with a real Kafka broker and Redis
# (each started here, and stopped again if this script started it), then the dashboard's
# component tests. Exits non-zero when anything fails or nothing ran.
# Under CI=true a service that cannot be started is a failure, not a skip.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh || exit 1

REPORTS="test-artifacts/reports"
rm -rf "$REPORTS" && mkdir -p "$REPORTS"
status=0
failed_stages=()
run() {  # run NAME REPORT COMMAND...: a stage; pytest's exit 5 (no tests) counts as a failure
  local name=$1 report=$2; shift 2
  local log="$REPORTS/stage-${#failed_stages[@]}-$RANDOM.log"
  echo "=== $name"
  "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  if [ $rc -ne 0 ]; then
    echo "=== $name FAILED (exit $rc)"
    status=1
    failed_stages+=("$name|$rc|$log|$report")
  fi
}
# At the very end, just above the summary line (what a reader of the run's tail sees first): each
# failed stage's last lines, and stages that crashed before writing their report count as failed.
report_failures() {
  local entry name rc log report
  crashed=()
  for entry in "${failed_stages[@]}"; do
    IFS='|' read -r name rc log report <<<"$entry"
    echo "=== FAILED: $name (exit $rc); its last lines:"
    tail -n 25 "$log" | cut -c1-300
    [ -s "$report" ] || crashed+=(--crashed "$name")
  done
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

run "python tests on SQLite" "$REPORTS/sqlite.xml" env -u DATABASE_URL "${PYTEST[@]}" --junitxml="$REPORTS/sqlite.xml" "$@"

# PostgreSQL with TimescaleDB: scripts/postgres.sh builds ../shared/vendor/timescaledb (once) and
# preloads it, so DEVLOGS_TIMESCALE=auto picks it (tests/test_timescale.py fails under CI=true if not).
# Then the pipeline and storage tests once more on plain PostgreSQL (DEVLOGS_TIMESCALE=off, a database
# of their own on the same cluster), so the plain-table code paths stay covered.
# The compression policy is a background job that could move a test's chunk to the columnstore at
# any moment; tests compress explicitly where that is what they check, so the policy waits here.
export DEVLOGS_TIMESCALE_COMPRESS_AFTER="${DEVLOGS_TIMESCALE_COMPRESS_AFTER:-3650 days}"
PLAIN_TESTS=(tests/test_kafka.py tests/test_round_trip.py tests/test_storage.py tests/test_search_api.py
             tests/test_query_language_db.py tests/test_backup.py)
if PG_URL=$(scripts/postgres.sh start) && [[ "$PG_URL" =~ ^postgres://[^[:space:]]+$ ]]; then
  # The dashboard's browser tests ran in the SQLite stage (marker `browser`, tests/conftest.py).
  run "python tests on PostgreSQL" "$REPORTS/postgres.xml" env DATABASE_URL="$PG_URL" "${PYTEST[@]}" -m "not browser" --junitxml="$REPORTS/postgres.xml" "$@"
  run "pipeline tests on plain PostgreSQL" "$REPORTS/postgres-plain.xml" env DATABASE_URL="${PG_URL%/*}/devlogs_plain" DEVLOGS_TIMESCALE=off \
    "${PYTEST[@]}" --junitxml="$REPORTS/postgres-plain.xml" "${PLAIN_TESTS[@]}"
elif [ "${CI:-}" = "true" ]; then
  echo "=== PostgreSQL could not be started (postgres.sh start printed: '${PG_URL:-}'); required under CI=true"
  status=1
else
  echo "=== PostgreSQL could not be started: its tests were skipped (they run under CI=true)"
fi

run "dashboard component tests (vitest)" "$REPORTS/vitest.xml" bash -c \
  "cd frontend && npx vitest run --reporter=default --reporter=junit --outputFile.junit=../$REPORTS/vitest.xml"

crashed=()
[ ${#failed_stages[@]} -gt 0 ] && report_failures
.venv/bin/python scripts/summarise_junit.py "${crashed[@]}" "$REPORTS"/*.xml || status=1
exit $status
