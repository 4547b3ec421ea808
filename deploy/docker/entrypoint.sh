#!/bin/sh
# The image's entry point: the first argument chooses the role (docs/deploy.md).
#
#   web        daphne on :8000 (HTTP ingest, API, dashboard, live tail); /healthz, /readyz
#   processor  manage.py run_processor; /healthz, /readyz on DEVLOGS_HEALTH_PORT when set
#   alerts     manage.py run_alerts, with the health listener beside it
#   syslog     manage.py run_syslog, with the health listener beside it
#   maintenance  manage.py apply_retention --every DEVLOGS_MAINTENANCE_EVERY_SECONDS (300): the store's
#                periodic maintenance (retention, old idempotency keys, …) until SIGTERM; no health listener
#   migrate    one-shot: database migrations, then the Kafka topics (DEVLOGS_QUEUE=kafka)
#   manage     any management command: `manage createsuperuser`, `manage dlq list`
#   probe URL  exit 0 when URL answers 2xx (container health checks; the image has no curl)
#
# Every role runs with exec, so SIGTERM reaches the process itself (which finishes its batch).
set -eu
APP_DIR="$(cd "$(dirname "$0")/../.." && pwd)"
PYTHON="${PYTHON:-python}"
MANAGE="$APP_DIR/manage.py"
cd "$APP_DIR"

usage() {
  echo "usage: entrypoint.sh web|processor|alerts|syslog|maintenance|migrate|manage COMMAND…|probe URL [arguments]" >&2
  exit 2
}

role="${1:-}"
[ -n "$role" ] || usage
shift
case "$role" in
  web)
    exec "$PYTHON" -m daphne -b 0.0.0.0 -p 8000 "$@" devlogs.asgi:application ;;
  processor)
    exec "$PYTHON" "$MANAGE" run_processor "$@" ;;
  alerts)
    exec "$PYTHON" "$MANAGE" run_alerts "$@" ;;
  syslog)
    exec "$PYTHON" "$MANAGE" run_syslog "$@" ;;
  maintenance)
    exec "$PYTHON" "$MANAGE" apply_retention --every "${DEVLOGS_MAINTENANCE_EVERY_SECONDS:-300}" "$@" ;;
  migrate)
    "$PYTHON" "$MANAGE" migrate --no-input
    if [ "${DEVLOGS_QUEUE:-embedded}" = "kafka" ]; then
      "$PYTHON" "$MANAGE" kafka_setup
    fi ;;
  manage)
    exec "$PYTHON" "$MANAGE" "$@" ;;
  probe)
    [ $# -eq 1 ] || usage
    exec "$PYTHON" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=5)' "$1" ;;
  *)
    echo "entrypoint.sh: unknown role '$role'" >&2
    usage ;;
esac
