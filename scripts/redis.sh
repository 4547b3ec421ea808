#!/usr/bin/env bash
# A local Redis for the Channels layer (live tail across processes) in development and tests.
#   scripts/redis.sh start|stop|status|url      (127.0.0.1:${DEVLOGS_REDIS_PORT:-6379}, nothing persisted)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PORT="${DEVLOGS_REDIS_PORT:-6379}"
DIR="$ROOT/var/redis-$PORT"

install() {
  if ! command -v redis-server >/dev/null; then
    echo "redis.sh: installing redis-server (apt)" >&2
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  fi
}

up() { redis-cli -p "$PORT" ping 2>/dev/null | grep -q PONG; }

start() {
  install
  if ! up; then
    mkdir -p "$DIR"
    redis-server --daemonize yes --bind 127.0.0.1 --port "$PORT" --save "" --appendonly no \
      --dir "$DIR" --pidfile "$DIR/redis.pid" --logfile "$DIR/redis.log"
    for _ in $(seq 1 50); do up && break; sleep 0.1; done
    up || { echo "redis.sh: redis did not start; see $DIR/redis.log" >&2; exit 1; }
  fi
  echo "redis://127.0.0.1:$PORT/0"
}

stop() {
  if [ -f "$DIR/redis.pid" ]; then
    kill "$(cat "$DIR/redis.pid")" 2>/dev/null || true
    rm -f "$DIR/redis.pid"
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if up; then echo "running on 127.0.0.1:$PORT"; else echo "stopped"; exit 1; fi ;;
  url) echo "redis://127.0.0.1:$PORT/0" ;;
  *) echo "usage: $0 start|stop|status|url" >&2; exit 2 ;;
esac
