"""The TimescaleDB code paths against a real TimescaleDB.

Debian 12 has no TimescaleDB package, so this runs an unofficial PGlite build with
TimescaleDB 2.23-dev (WebAssembly, npm, test-only; tests/timescale/) behind the PostgreSQL
wire protocol. It allows one connection and no COPY, so the check runs in one process with
DEVLOGS_PG_WRITER=insert; the COPY writer is exercised on real PostgreSQL by the rest of the suite.
"""

import json
import os
import shutil
import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT, free_port, require_service

SMOKE = ROOT / "tests" / "timescale"


@pytest.fixture
def timescaledb(tmp_path):
    if not (SMOKE / "node_modules" / "@unni-craftsman" / "pglite").exists() or not shutil.which("node"):
        require_service("TimescaleDB (PGlite)", "run `npm ci --legacy-peer-deps` in tests/timescale (scripts/test.sh does)")
    port = free_port()
    log = open(tmp_path / "pglite.log", "wb")
    proc = subprocess.Popen(["node", str(SMOKE / "server.mjs"), str(port)], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while b"listening" not in (tmp_path / "pglite.log").read_bytes():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"PGlite did not start: {(tmp_path / 'pglite.log').read_text()[-2000:]}")
            time.sleep(0.2)
        yield f"postgres://postgres:postgres@127.0.0.1:{port}/postgres?sslmode=disable"
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_timescaledb_hypertable_compression_aggregate_retention_and_deletes(timescaledb, tmp_path):
    env = {**os.environ, "DATABASE_URL": timescaledb, "DEVLOGS_PG_WRITER": "insert",
           "DEVLOGS_DATA_DIR": str(tmp_path / "data"), "LOG_LEVEL": "WARNING", "DEVLOGS_TIMESCALE": "auto"}
    done = subprocess.run([sys.executable, str(SMOKE / "check.py")], env=env, capture_output=True, text=True,
                          timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])

    assert result["engine"] == "timescale.db.backends.postgresql"  # chosen by detection
    assert result["hypertable"] is True  # made by django-timescaledb's migration
    assert result["rows"] == 960 and result["chunks"] >= 20
    assert result["compressed_chunks"] >= 17
    assert result["rows_after_rewrite"] == 960  # idempotent writes into compressed chunks
    assert result["histogram_buckets"] == 72
    assert result["histogram_aggregate_equals_table"] is True  # continuous aggregate == raw date_bin
    assert result["timeout_lines_alpha"] == 240
    assert result["user_3_lines_alpha"] == 96
    assert result["retention_deleted"] == {"alpha": 312, "bravo": 0}
    assert result["rows_after_retention"] == {"alpha": 168, "bravo": 480}
    assert result["deleted_by_query"] == 240
    assert result["rows_after_delete"] == {"alpha": 168, "bravo": 240}
    assert result["dropped_chunks"] >= 9
    assert result["rows_within_10_days_after_drop"] == result["rows_within_10_days"] > 0  # nothing recent dropped
    assert result["rows_older_than_11_days_after_drop"] == 0  # everything past the chunk boundary gone
    assert result["policies"] == 3  # compression, retention, continuous aggregate refresh
