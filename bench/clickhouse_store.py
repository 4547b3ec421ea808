"""The ClickHouse store at scale, on chDB in this process: load rate and CPU per line, the standard
queries, bytes per line. The same lines and queries as the TimescaleDB query stage (bench/storage.py),
so `python -m bench stores` sets the two side by side.

The load goes through the real store (`ClickHouseStore.write`, the processor's call: the stored-ids
check, the insert); chDB runs in this process, so the process's CPU is the engine's too. Tenants
and apps live in a throwaway SQLite database, as they would in Django's database.
"""

import json
import random
import shutil
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bench.common import django_setup


def bench_clickhouse(*, rows: int, runs: int, keep: str | None = None) -> list[dict]:
    directory = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="bench-chdb-"))
    django_setup(DEVLOGS_STORE="clickhouse", CLICKHOUSE_URL=f"chdb://{directory / 'chdb'}",
                 DEVLOGS_DATA_DIR=str(directory / "data"), LOG_LEVEL="WARNING")
    try:
        return _run(rows, runs)
    finally:
        if not keep:
            shutil.rmtree(directory, ignore_errors=True)


def _run(rows: int, runs: int) -> list[dict]:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from bench.storage import _timed, _with_request_ids, bench_apps, envelopes, standard_queries
    from logs.search import Search
    from logs.store import get_store

    apps = bench_apps()
    store = get_store()
    results = []
    rng = random.Random(11)
    end = datetime.now(timezone.utc)
    started, cpu0 = time.perf_counter(), time.process_time()
    generate = 0.0
    source = _with_request_ids(envelopes(apps, rows, span=timedelta(hours=24), end=end, mixed=True), rng)
    while True:
        made = time.process_time()
        envelope = next(source, None)
        generate += time.process_time() - made
        if envelope is None:
            break
        store.write([envelope])
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu0 - generate
    load = {"query": "load (ClickHouseStore.write, 5,000-line batches)", "store": "clickhouse (chDB)", "rows": rows,
            "rows/s": round(rows / elapsed), "CPU s per 1M (writer + engine)": round(cpu / rows * 1e6, 1)}
    results.append(load)
    print(json.dumps({"bench": "load", **load}), flush=True)

    tenant = apps[0].tenant
    table = store.table
    newest = store._rows(f"SELECT max(time) FROM {table} WHERE tenant_id = {tenant.id}")[0][0]
    now = newest.replace(tzinfo=timezone.utc) + timedelta(seconds=1)
    middle = now - timedelta(hours=12)
    request_id, order_id, service = store._rows(
        f"SELECT extract(message, 'req-[0-9a-f]{{16}}'), JSONExtractString(attributes, 'order_id'), service "
        f"FROM {table} WHERE tenant_id = {tenant.id} AND time < {{t:DateTime64(6, 'UTC')}} "
        f"ORDER BY time DESC LIMIT 1", {"t": middle})[0]

    def search(query, since):
        return Search.for_tenant(tenant, query, since=since, until=now)

    def page(query, since):
        return lambda: store.search(search(query, since), limit=100)

    def levels_per_minute():
        return store.histogram(search("", now - timedelta(hours=24)), interval_seconds=60)

    queries = [(name, levels_per_minute if query is None else page(query, now - timedelta(hours=hours)))
               for name, query, hours in standard_queries(request_id, order_id, service)]
    found = store.count(search(request_id, now - timedelta(hours=24)))
    print(f"request id {request_id}: {found} line(s)", flush=True)
    for name, fn in queries:
        fn()  # warm
        p50, p95 = _timed(runs, fn)
        results.append({"query": name, "store": "clickhouse (chDB)", "rows": rows, "p50 ms": round(p50, 1),
                        "p95 ms": round(p95, 1)})
        print(json.dumps({"bench": "query", **results[-1]}), flush=True)

    store._command(f"OPTIMIZE TABLE {table} FINAL")  # parts merged, as they are after ClickHouse's own merges
    on_disk, data, index = store._rows(
        "SELECT sum(bytes_on_disk), sum(data_compressed_bytes), sum(secondary_indices_compressed_bytes) "
        "FROM system.parts WHERE database = 'devlogs' AND table = 'log_lines' AND active")[0]
    size = {"query": "disk (merged parts)", "store": "clickhouse (chDB)", "rows": rows,
            "total bytes/line": round(on_disk / rows, 1), "columns bytes/line": round(data / rows, 1),
            "skip indexes bytes/line": round(index / rows, 1)}
    results.append(size)
    print(json.dumps({"bench": "size", **size}), flush=True)
    return results
