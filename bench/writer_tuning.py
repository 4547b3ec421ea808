"""Writer tuning, measured: the COPY writer's rows/s into a table that already holds rows and all
indexes, under different session settings and batch sizes. No Kafka, no processes: just
`logs.writer.copy_envelopes`, so that each variant's effect on the database is what shows.

    .venv/bin/python -m bench.writer_tuning [--prefill 1000000] [--rows 200000] [--mixed]

Uses DATABASE_URL (default: the `devlogs_bench_writer` database of the local PostgreSQL).
The variants are in VARIANTS; the harness's docs/benchmarks.md says which were kept.
"""

import argparse
import json
import os
import time
from datetime import datetime, timedelta, timezone

from bench.common import table

# name → (session settings, index storage parameters, envelopes per transaction)
VARIANTS = [
    ("as shipped", [], {}, 1),
    ("gin_pending_list_limit 16MB", ["SET gin_pending_list_limit = '16MB'"], {}, 1),
    ("gin_pending_list_limit 64MB", ["SET gin_pending_list_limit = '64MB'"], {}, 1),
    ("64MB + work_mem 64MB", ["SET gin_pending_list_limit = '64MB'", "SET work_mem = '64MB'"], {}, 1),
    ("fastupdate off", [], {"fastupdate": "off"}, 1),
    ("2 envelopes per transaction", [], {}, 2),
    ("as shipped (again: drift)", [], {}, 1),
]
GIN_INDEXES = ("logentry_message_trgm", "logentry_attributes_gin")


def run(*, prefill: int, rows: int, mixed: bool, per_envelope: int = 5000, only: list[str] | None = None) -> list[dict]:
    from bench.common import django_setup

    django_setup(DATABASE_URL=os.environ.get("DATABASE_URL", "postgres://devlogs:devlogs@127.0.0.1:5432/"
                                                             "devlogs_bench_writer"), LOG_LEVEL="WARNING")
    from django.db import connection

    from bench.common import count_logs
    from bench.storage import envelopes, setup
    from logs.models import LogEntry
    from logs.writer import copy_envelopes

    apps = setup()
    table_name = LogEntry._meta.db_table
    now = datetime.now(timezone.utc)
    if count_logs() < prefill:
        from bench.common import truncate_logs

        truncate_logs()
        with connection.cursor() as cursor:
            for name in GIN_INDEXES:
                cursor.execute(f"DROP INDEX IF EXISTS {name}")
        for envelope in envelopes(apps, prefill, span=timedelta(days=1), end=now, mixed=mixed):
            copy_envelopes([envelope])
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '1GB'")
            cursor.execute(f"CREATE INDEX logentry_message_trgm ON {table_name} USING gin (message gin_trgm_ops)")
            cursor.execute(f"CREATE INDEX logentry_attributes_gin ON {table_name} USING gin (attributes jsonb_path_ops)")
            cursor.execute(f"VACUUM ANALYZE {table_name}")
        print(f"prefilled {prefill} rows", flush=True)
    results = []
    for seed, (name, settings, index_params, per_transaction) in enumerate(VARIANTS):
        if only and name not in only:
            continue
        batch = list(envelopes(apps, rows, span=timedelta(minutes=10), end=now, mixed=mixed, seed=100 + seed,
                               per_envelope=per_envelope))
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM {table_name}")  # every variant starts with an empty pending list
            for sql in settings:
                cursor.execute(sql)
            for param, value in index_params.items():
                for index in GIN_INDEXES:
                    cursor.execute(f"ALTER INDEX {index} SET ({param} = {value})")
        started = time.perf_counter()
        for start in range(0, len(batch), per_transaction):
            copy_envelopes(batch[start:start + per_transaction])
        written = time.perf_counter() - started
        query_ms = _rare_word_ms(connection, table_name, apps[0].tenant_id)
        # What a bigger pending list defers is still owed: merging it counts as part of the write.
        with connection.cursor() as cursor:
            for index in GIN_INDEXES:
                cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [index])
        elapsed = time.perf_counter() - started - query_ms["total s"]
        with connection.cursor() as cursor:
            cursor.execute("RESET ALL")
            for param in index_params:
                for index in GIN_INDEXES:
                    cursor.execute(f"ALTER INDEX {index} RESET ({param})")
        results.append({"variant": name, "rows": rows, "lines/transaction": per_envelope * per_transaction,
                        "rows/s": round(rows / elapsed), "rows/s before the final merge": round(rows / written),
                        "rare-word query p50 ms (list as left)": query_ms["p50"]})
        print(json.dumps({"bench": "writer", **results[-1]}), flush=True)
    return results


def _rare_word_ms(connection, table_name, tenant_id, runs: int = 5) -> dict:
    """A trigram search while the pending list is as the writes left it: GIN scans that list linearly."""
    times = []
    started = time.perf_counter()
    for _ in range(runs):
        begin = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id FROM {table_name} WHERE tenant_id = %s AND time >= now() - interval '1 day' "
                           f"AND message ILIKE %s ORDER BY time DESC, id DESC LIMIT 100", [tenant_id, "%kaboom%"])
            cursor.fetchall()
        times.append((time.perf_counter() - begin) * 1000)
    return {"p50": round(sorted(times)[len(times) // 2], 1), "total s": time.perf_counter() - started}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.writer_tuning", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prefill", type=int, default=1_000_000)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--mixed", action="store_true")
    parser.add_argument("--only", type=lambda t: t.split(","), help="variant names, comma-separated")
    args = parser.parse_args(argv)
    print(table(run(prefill=args.prefill, rows=args.rows, mixed=args.mixed, only=args.only)))


if __name__ == "__main__":
    main()
