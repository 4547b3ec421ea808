"""Benchmark the streamed export: rows/s and the server's peak memory, at 100k and 1M rows.

    .venv/bin/python -m bench.export [--rows 1000000]

Needs PostgreSQL (scripts/postgres.sh start); empties the log table of DATABASE_URL.
"""

import argparse
import json
import os
import tempfile
import time
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bench.common import django_setup, rss_mb, start_server, table, truncate_logs

DEFAULT_DB = "postgres://devlogs:devlogs@127.0.0.1:5432/devlogs"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.export", description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    database = os.environ.get("DATABASE_URL", DEFAULT_DB)
    django_setup(DATABASE_URL=database, LOG_LEVEL="WARNING")
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from accounts.keys import create_api_key_for_slugs
    from bench.storage import envelopes
    from logs.writer import copy_envelopes

    key, raw = create_api_key_for_slugs(tenant_slug="export-bench", app_slug="web", scopes="read")
    app = key.app
    truncate_logs()
    rows = []
    seeded = 0
    server, port = start_server({"DATABASE_URL": database, "DEVLOGS_PROCESSOR_IN_SERVER": "0", "LOG_LEVEL": "WARNING",
                                 "DEVLOGS_DATA_DIR": tempfile.mkdtemp()}, Path(tempfile.mktemp(suffix=".log")))
    try:
        for target in sorted({args.rows // 10, args.rows}):
            for envelope in envelopes([app], target - seeded, span=timedelta(days=1),
                                      end=datetime.now(timezone.utc), seed=target):
                copy_envelopes([envelope])
            seeded = target
            request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/logs/export?order=oldest",
                                             headers={"Authorization": f"Bearer {raw}"})
            started, size = time.perf_counter(), 0
            with urllib.request.urlopen(request, timeout=3600) as response:
                while chunk := response.read(1 << 20):
                    size += len(chunk)
            elapsed = time.perf_counter() - started
            rows.append({"rows": target, "MB": round(size / 1e6), "seconds": round(elapsed, 1),
                         "rows/s": round(target / elapsed), "server peak RSS MB": round(rss_mb(server.pid))})
            print(json.dumps({"bench": "export", **rows[-1]}), flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(table(rows))


if __name__ == "__main__":
    main()
