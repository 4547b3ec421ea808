#!/usr/bin/env bash
# Install what devlogs needs on a Debian machine: Python virtualenv with the pinned
# requirements, and the dashboard built with npm. Idempotent and cached: re-running
# skips what is already up to date.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_install() {
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  elif command -v sudo >/dev/null; then
    sudo apt-get update -qq >/dev/null && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    echo "setup.sh: please install: $*" >&2; exit 1
  fi
}

PYTHON="${PYTHON:-python3}"
if ! command -v "$PYTHON" >/dev/null || ! "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null; then
  echo "setup.sh: installing python3-venv (apt)" >&2
  apt_install python3 python3-venv
fi
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "devlogs needs Python 3.11 or newer")'

if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
req_hash=$(sha256sum requirements.txt | cut -d' ' -f1)
if [ "$(cat .venv/.requirements.sha256 2>/dev/null)" != "$req_hash" ]; then
  echo "setup.sh: installing Python requirements" >&2
  .venv/bin/pip install -q --upgrade pip >/dev/null
  .venv/bin/pip install -q -r requirements.txt
  echo "$req_hash" > .venv/.requirements.sha256
fi

if ! command -v npm >/dev/null; then
  echo "setup.sh: installing nodejs and npm (apt)" >&2
  apt_install nodejs npm
fi
lock_hash=$(sha256sum frontend/package-lock.json | cut -d' ' -f1)
if [ "$(cat frontend/node_modules/.lock.sha256 2>/dev/null)" != "$lock_hash" ]; then
  echo "setup.sh: installing dashboard dependencies (npm ci)" >&2
  (cd frontend && npm ci --no-audit --no-fund --loglevel=error)
  echo "$lock_hash" > frontend/node_modules/.lock.sha256
fi
echo "setup.sh: building the dashboard" >&2
# Quiet when it works, the whole output when it does not.
(cd frontend && npm run --silent build >/tmp/devlogs-frontend-build.log 2>&1) \
  || { cat /tmp/devlogs-frontend-build.log >&2; echo "setup.sh: the dashboard build failed" >&2; exit 1; }
