#!/usr/bin/env bash
# Install everything and run the whole platform on embedded defaults at http://127.0.0.1:8000:
# SQLite, the local durable queue, the in-memory live feed, the processor inside the server.
# Prints a demo tenant, app, API key and admin login, and a curl line to send a log.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
HOST="${DEVLOGS_HOST:-127.0.0.1}"
PORT="${DEVLOGS_PORT:-8000}"
.venv/bin/python manage.py migrate --no-input -v0
.venv/bin/python manage.py demo_setup --url "http://$HOST:$PORT"
exec .venv/bin/daphne -b "$HOST" -p "$PORT" devlogs.asgi:application
