"""Benchmark the store at scale: insert rate (COPY vs bulk_create) and query latency at 10M rows.

Needs PostgreSQL (scripts/postgres.sh start). Run by hand:

    .venv/bin/python -m bench.storage insert  [--rows 1000000]
    .venv/bin/python -m bench.storage queries [--rows 10000000] [--runs 20]

Uses DATABASE_URL (default: the local test PostgreSQL's `devlogs` database) and empties its
log table and the block index. `queries` loads the rows through the real writer (rows/s and CPU
per line), runs the issue's queries on the row store, moves every chunk to the columnstore and
runs them again, and prints bytes per line; `--alternatives` also measures a tsvector GIN and an
expression index on the same data.
"""

import argparse
import json
import os
import random
import statistics
import time
from datetime import datetime, timedelta, timezone

from bench.common import HOSTS, LEVELS, PATHS, SERVICES, django_setup, table, truncate_logs

DEFAULT_DB = "postgres://devlogs:devlogs@127.0.0.1:5432/devlogs"
WORDS = ("timeout refused reset upstream cache miss hit retry payment order user session token "
         "database query slow fast queue worker shutdown started stopped deadline").split()
LEVEL_NUMBERS = {"trace": 1, "debug": 5, "info": 9, "warn": 13, "error": 17, "fatal": 21}


def setup():
    django_setup(DATABASE_URL=os.environ.get("DATABASE_URL", DEFAULT_DB), LOG_LEVEL="WARNING")
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return bench_apps()


def bench_apps() -> list:
    """Four tenants of five apps each (made once)."""
    from accounts.models import App, Tenant

    apps = []
    for t in range(4):
        tenant, _ = Tenant.objects.get_or_create(slug=f"bench{t}", defaults={"name": f"Bench {t}"})
        for a in range(5):
            apps.append(App.objects.get_or_create(tenant=tenant, slug=f"app{a}", defaults={"name": f"App {a}"})[0])
    return apps


def envelopes(apps, rows: int, *, span: timedelta, end: datetime, per_envelope: int = 5000, seed: int = 3,
              mixed: bool = False):
    """Realistic lines (mixed apps, levels, lengths, attributes, some stack traces) spread over `span`.

    `mixed`: the harness's workload (bench.common.make_mixed_line, 50–2,000-byte messages), drawn from
    a pool of 100,000 generated lines so that 10M rows load in minutes rather than generate for many.
    """
    from ingest.event_ids import uuid7_strings
    from logline.envelope import Envelope

    rng = random.Random(seed)
    start_ns = int((end - span).timestamp() * 1e9)
    span_ns = int(span.total_seconds() * 1e9)
    made = 0
    if mixed:
        yield from _mixed_envelopes(apps, rows, rng, start_ns, span_ns, per_envelope)
        return
    while made < rows:
        count = min(per_envelope, rows - made)
        app = apps[rng.randrange(len(apps))]
        ids = uuid7_strings(count)
        lines = []
        # Lines arrive roughly in time order, as from live apps: an envelope covers a short slice.
        slice_start = start_ns + made * span_ns // rows
        slice_ns = max(count * span_ns // rows, 1)
        for i in range(count):
            words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 12)))
            status = rng.choice([200] * 20 + [404, 500, 503])
            message = f"{rng.choice(['GET', 'POST'])} {rng.choice(PATHS)} {status} {words}"
            if rng.random() < 0.0001:
                message += " kaboom"  # a rare word: the search people actually struggle with
            if rng.random() < 0.02:
                message += "\nTraceback (most recent call last):\n" + "\n".join(
                    f'  File "/app/{rng.choice(WORDS)}.py", line {rng.randint(1, 900)}, in {rng.choice(WORDS)}'
                    for _ in range(rng.randint(3, 15)))
            lines.append({"id": ids[i], "ts": slice_start + rng.randrange(slice_ns),
                          "level": LEVEL_NUMBERS[rng.choice(LEVELS)], "message": message,
                          "service": rng.choice(SERVICES), "host": rng.choice(HOSTS), "trace_id": "", "span_id": "",
                          "attributes": {"user_id": rng.randint(1, 5000), "status": status,
                                         "region": rng.choice(["eu", "us", "ap"])}})
        made += count
        yield Envelope(tenant_id=app.tenant_id, app_id=app.id, received_ns=start_ns + span_ns, lines=lines)


def _mixed_envelopes(apps, rows, rng, start_ns, span_ns, per_envelope):
    from bench.common import make_lines
    from ingest.event_ids import uuid7_strings
    from logline.envelope import Envelope

    pool = [{"level": LEVEL_NUMBERS[line["level"]], "message": line["message"], "service": line["service"],
             "host": line["host"], "trace_id": "", "span_id": "", "attributes": line["attributes"]}
            for line in make_lines(min(rows, 100_000), mixed=True, seed=rng.randrange(1 << 30))]
    made = 0
    while made < rows:
        count = min(per_envelope, rows - made)
        app = apps[rng.randrange(len(apps))]
        ids = uuid7_strings(count)
        offset = rng.randrange(len(pool))
        slice_start, slice_ns = start_ns + made * span_ns // rows, max(count * span_ns // rows, 1)
        lines = [{**pool[(offset + i) % len(pool)], "id": ids[i], "ts": slice_start + rng.randrange(slice_ns)}
                 for i in range(count)]
        made += count
        yield Envelope(tenant_id=app.tenant_id, app_id=app.id, received_ns=start_ns + span_ns, lines=lines)


def bench_insert(args) -> list[dict]:
    apps = setup()
    from logs.writer import bulk_create_envelopes, copy_envelopes

    rows = []
    for name, write in (("COPY + INSERT … ON CONFLICT", copy_envelopes), ("bulk_create", bulk_create_envelopes)):
        truncate_logs()
        batch = list(envelopes(apps, args.rows, span=timedelta(days=1), end=datetime.now(timezone.utc)))
        started = time.perf_counter()
        for envelope in batch:
            write([envelope])
        elapsed = time.perf_counter() - started
        rows.append({"writer": name, "rows": args.rows, "seconds": round(elapsed, 1),
                     "rows/s": round(args.rows / elapsed)})
        print(json.dumps({"bench": "insert", **rows[-1]}), flush=True)
    return rows


def _timed(runs: int, fn) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[max(int(len(times) * 0.95) - 1, 0)]


def _backend_cpu_seconds(connection) -> float:
    """CPU seconds used so far by this connection's PostgreSQL backend (same machine)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _with_request_ids(batch_envelopes, rng):
    """Each line gets a unique `request_id=req-<hex>` in its message, as the issue's workload has,
    and a unique `order_id` attribute (a request-style attribute for the equality query)."""
    for envelope in batch_envelopes:
        for line in envelope.lines:
            line["message"] = f"{line['message']} request_id=req-{rng.getrandbits(64):016x}"
            line["attributes"] = {**line["attributes"], "order_id": f"ord-{rng.getrandbits(48):012x}"}
        yield envelope


def _store_size(connection, table_name) -> tuple[int, int]:
    """Bytes of the log table (hypertable with its chunks, indexes, compressed chunks) and of the block index."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM timescaledb_information.hypertables WHERE hypertable_name = %s", [table_name])
        if cursor.fetchone():
            cursor.execute("SELECT hypertable_size(%s)", [table_name])
        else:
            cursor.execute(f"SELECT pg_total_relation_size('{table_name}')")
        table_bytes = cursor.fetchone()[0]
        cursor.execute("SELECT pg_total_relation_size('logs_tokenblock')")
        return table_bytes, cursor.fetchone()[0]


def standard_queries(request_id: str, order_id: str, service: str) -> list[tuple[str, str | None, int]]:
    """The storage issue's queries, the same for every store: (name, query text — None for levels per
    minute, a histogram — hours back from the newest line)."""
    return [
        ("one request id over 24 h", request_id, 24),
        ("word, newest 100 over 1 h", "deadline", 1),
        ("rare word over 24 h", "kaboom", 24),
        ("substring (*eadlin*) over 1 h", "*eadlin*", 1),
        ("levels per minute over 24 h", None, 24),
        ("newest 100 of a service", f'service:"{service}"', 24),
        ("errors of a tenant, last hour", "level:>=error", 1),
        ("attributes.user_id = 42 over 24 h", "attributes.user_id:42", 24),
        ("one order_id attribute over 24 h", f'attributes.order_id:"{order_id}"', 24),
    ]


def bench_queries(*, rows: int, runs: int, seed: bool = True, reuse: bool = False, mixed: bool = False,
                  alternatives: bool = True, compress: bool = True) -> list[dict]:
    """The issue's queries at `rows` stored rows over 24 h. `reuse` keeps a table that already holds them.

    Loading goes through the real writer (COPY, blocks, every index present), timed, with the CPU
    of this process and of its PostgreSQL backend; then the queries on the row store, then (where
    the table is a hypertable) all chunks moved to the columnstore, sizes, and the queries again.
    """
    apps = setup()
    from django.db import connection

    from bench.common import count_logs
    from logs.histogram import histogram
    from logs.models import LogEntry
    from logs.search import Search
    from logs.timescale import compress_chunks_older_than, is_hypertable
    from logs.writer import copy_envelopes

    table_name = LogEntry._meta.db_table
    results = []
    if reuse and abs(count_logs() - rows) <= rows // 100:
        print(f"reusing the {rows} rows already stored", flush=True)
        seed = False
    if seed:
        truncate_logs()
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE logs_tokenblock")
        rng = random.Random(11)
        started, cpu0, pg0 = time.perf_counter(), time.process_time(), _backend_cpu_seconds(connection)
        for envelope in _with_request_ids(envelopes(apps, rows, span=timedelta(hours=24),
                                                    end=datetime.now(timezone.utc), mixed=mixed), rng):
            copy_envelopes([envelope])
        elapsed = time.perf_counter() - started
        # Python CPU here includes making the lines (the processor's decode is not in it).
        py_cpu, pg_cpu = time.process_time() - cpu0, _backend_cpu_seconds(connection) - pg0
        load = {"query": "load (COPY writer, blocks, all indexes)", "rows": rows, "rows/s": round(rows / elapsed),
                "python+generate CPU s per 1M": round(py_cpu / rows * 1e6, 1),
                "PostgreSQL CPU s per 1M": round(pg_cpu / rows * 1e6, 1)}
        results.append(load)
        print(json.dumps({"bench": "load", **load}), flush=True)
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {table_name}")
            cursor.execute("VACUUM ANALYZE logs_tokenblock")
        if is_hypertable(connection):  # as the refresh policy would have, minute by minute
            from logs.timescale import refresh_minute_counts

            refresh_minute_counts(connection, None, None)
    tenant = apps[0].tenant
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT max(time) FROM {table_name} WHERE tenant_id = %s", [tenant.id])
        now = cursor.fetchone()[0] + timedelta(seconds=1)
        # A request id from the middle of the day: the search must find exactly that line.
        cursor.execute(f"SELECT substring(message from 'req-[0-9a-f]{{16}}') FROM {table_name} "
                       f"WHERE tenant_id = %s AND time < %s ORDER BY time DESC LIMIT 1",
                       [tenant.id, now - timedelta(hours=12)])
        request_id = (cursor.fetchone() or ["req-0"])[0]
        cursor.execute(f"SELECT attributes->>'order_id' FROM {table_name} "
                       f"WHERE tenant_id = %s AND time < %s ORDER BY time DESC LIMIT 1",
                       [tenant.id, now - timedelta(hours=12)])
        order_id = (cursor.fetchone() or ["ord-0"])[0]
        cursor.execute(f"SELECT service FROM {table_name} WHERE tenant_id = %s LIMIT 1", [tenant.id])
        service = cursor.fetchone()[0]

    def search(query, since):
        return Search.for_tenant(tenant, query, since=since, until=now)

    def page(query, since):
        return lambda: list(search(query, since).queryset().order_by("-time", "-id")[:100])

    def levels_per_minute():
        return histogram(search("", now - timedelta(hours=24)), interval_seconds=60)

    queries = [(name, levels_per_minute if query is None else page(query, now - timedelta(hours=hours)))
               for name, query, hours in standard_queries(request_id, order_id, service)]
    found = len(search(request_id, now - timedelta(hours=24)).queryset())
    print(f"request id {request_id}: {found} line(s)", flush=True)

    def measure(store: str):
        for name, fn in queries:
            fn()  # warm
            p50, p95 = _timed(runs, fn)
            results.append({"query": name, "store": store, "rows": rows, "p50 ms": round(p50, 1),
                            "p95 ms": round(p95, 1)})
            print(json.dumps({"bench": "query", **results[-1]}), flush=True)

    def size(store: str):
        table_bytes, block_bytes = _store_size(connection, table_name)
        row = {"query": f"disk ({store})", "rows": rows, "table bytes/line": round(table_bytes / rows, 1),
               "block index bytes/line": round(block_bytes / rows, 1),
               "total bytes/line": round((table_bytes + block_bytes) / rows, 1)}
        results.append(row)
        print(json.dumps({"bench": "size", **row}), flush=True)

    measure("row store")
    size("row store")
    if alternatives:
        results += _alternatives(connection, table_name, tenant, now, rows, runs)
    if compress and is_hypertable(connection):
        started = time.perf_counter()
        chunks = compress_chunks_older_than(connection, "-1 day")  # every chunk, the open one too
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {table_name}")
        print(f"compressed {chunks} chunks in {time.perf_counter() - started:.0f}s", flush=True)
        measure("columnstore")
        size("columnstore")
    return results


def _alternatives(connection, table_name, tenant, now, rows, runs) -> list[dict]:
    """The alternatives the indexes were chosen against, measured on the same data."""
    results = []
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE INDEX IF NOT EXISTS bench_message_tsv ON {table_name} "
                       f"USING gin (to_tsvector('simple', message))")
        cursor.execute(f"CREATE INDEX IF NOT EXISTS bench_user_id ON {table_name} "
                       f"(tenant_id, ((attributes->>'user_id')::bigint), time)")
        cursor.execute(f"ANALYZE {table_name}")

    def raw(sql, params):
        def run():
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                cursor.fetchall()
        return run

    since24, since7 = now - timedelta(hours=24), now - timedelta(days=7)
    alternatives = [
        *((f"{label} word over 24 h (tsvector GIN)", raw(
            f"SELECT id FROM {table_name} WHERE tenant_id = %s AND time >= %s AND "
            f"to_tsvector('simple', message) @@ plainto_tsquery('simple', %s) ORDER BY time DESC, id DESC LIMIT 100",
            [tenant.id, since24, word])) for label, word in (("common", "deadline"), ("rare", "kaboom"))),
        ("rare word over 24 h (no text index)", raw(
            f"SELECT id FROM {table_name} WHERE tenant_id = %s AND time >= %s AND message || '' ILIKE %s "
            f"ORDER BY time DESC, id DESC LIMIT 100", [tenant.id, since24, "%kaboom%"])),
        ("user_id = 42 over 7 days (expression btree)", raw(
            f"SELECT id FROM {table_name} WHERE tenant_id = %s AND ((attributes->>'user_id')::bigint) = 42 "
            f"AND time >= %s ORDER BY time DESC, id DESC LIMIT 100", [tenant.id, since7])),
    ]
    for name, fn in alternatives:
        fn()
        p50, p95 = _timed(runs, fn)
        results.append({"query": name, "rows": rows, "p50 ms": round(p50, 1), "p95 ms": round(p95, 1)})
        print(json.dumps({"bench": "query", **results[-1]}), flush=True)
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX IF EXISTS bench_message_tsv")
        cursor.execute("DROP INDEX IF EXISTS bench_user_id")
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.storage", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="what", required=True)
    insert = sub.add_parser("insert")
    insert.add_argument("--rows", type=int, default=1_000_000)
    queries = sub.add_parser("queries")
    queries.add_argument("--rows", type=int, default=10_000_000)
    queries.add_argument("--runs", type=int, default=20)
    queries.add_argument("--no-seed", dest="seed", action="store_false", help="reuse the rows already there")
    queries.add_argument("--alternatives", action="store_true")
    args = parser.parse_args(argv)
    print(table(bench_insert(args) if args.what == "insert" else
                bench_queries(rows=args.rows, runs=args.runs, seed=args.seed, alternatives=args.alternatives)))


if __name__ == "__main__":
    main()
