"""Benchmark the Kafka path: HTTP → Kafka (ingest), and Kafka → PostgreSQL (processors).

Needs a broker and PostgreSQL (scripts/kafka.sh start; scripts/postgres.sh start). Run by hand:

    .venv/bin/python -m bench.kafka_pipeline ingest  [--seconds 15] [--concurrency 4,8] [--servers 1,2]
    .venv/bin/python -m bench.kafka_pipeline process [--lines 200000] [--processors 1,2,4] [--batches 100,1000,10000]
    .venv/bin/python -m bench.kafka_pipeline profile [--lines 100000]

Prints a table and a JSON line per run. Uses its own topics and DATABASE_URL (default: the
local test PostgreSQL's `devlogs` database, whose log table it empties).
"""

import argparse
import cProfile
import http.client
import io
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from bench.common import ROOT, count_logs, make_body, rss_mb, start_server, table, truncate_logs

DEFAULT_DB = "postgres://devlogs:devlogs@127.0.0.1:5432/devlogs"


def _setup(topic: str, partitions: int):
    from bench.common import django_setup

    django_setup(DATABASE_URL=os.environ.get("DATABASE_URL", DEFAULT_DB), DEVLOGS_QUEUE="kafka",
                 KAFKA_TOPIC=topic, KAFKA_PARTITIONS=partitions, LOG_LEVEL="WARNING")
    from django.conf import settings
    from django.core.management import call_command

    from processing.kafka_admin import ensure_topics

    call_command("migrate", verbosity=0)
    ensure_topics(settings)
    return settings


def _env(settings, **extra) -> dict:
    env = {"DATABASE_URL": os.environ.get("DATABASE_URL", DEFAULT_DB), "DEVLOGS_QUEUE": "kafka",
           "KAFKA_BOOTSTRAP_SERVERS": settings.KAFKA_BOOTSTRAP_SERVERS, "KAFKA_TOPIC": settings.KAFKA_TOPIC,
           "KAFKA_PARTITIONS": str(settings.KAFKA_PARTITIONS), "DEVLOGS_PROCESSOR_IN_SERVER": "0",
           "LOG_LEVEL": "WARNING", "DEVLOGS_DATA_DIR": tempfile.mkdtemp(prefix="devlogs-bench-")}
    env.update({k: str(v) for k, v in extra.items()})
    return env


# --- ingest: HTTP → Kafka ---------------------------------------------------------------------

def _client(port: int, key: str, body: bytes, lines: int, deadline: float, results: list, latencies: list):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    accepted = refused = 0
    while time.monotonic() < deadline:
        started = time.perf_counter()
        conn.request("POST", "/api/v1/logs", body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        latencies.append(time.perf_counter() - started)
        if response.status == 202:
            accepted += lines
        else:
            refused += 1
    conn.close()
    results.append((accepted, refused))


def bench_ingest(args) -> list[dict]:
    settings = _setup(f"bench.ingest.{uuid.uuid4().hex[:8]}", 12)
    from accounts.keys import create_api_key_for_slugs

    _, key = create_api_key_for_slugs(tenant_slug="bench", app_slug="ingest", scopes="ingest")
    body = make_body(args.lines_per_request)
    rows = []
    for servers in args.servers:
        procs = [start_server(_env(settings), Path(tempfile.mktemp(suffix=".log"))) for _ in range(servers)]
        try:
            for concurrency in args.concurrency:
                # Warm-up: connections, producer metadata.
                _run_clients([p for _, p in procs], key, body, args.lines_per_request, 2, concurrency)
                accepted, refused, latencies, elapsed = _run_clients([p for _, p in procs], key, body,
                                                                     args.lines_per_request, args.seconds, concurrency)
                rows.append({
                    "servers": servers, "clients": concurrency, "lines/request": args.lines_per_request,
                    "lines/s": round(accepted / elapsed), "MB/s": round(len(body) * accepted / args.lines_per_request
                                                                        / elapsed / 1e6, 1),
                    "p50 ms": round(statistics.median(latencies) * 1000, 1),
                    "p99 ms": round(statistics.quantiles(latencies, n=100)[98] * 1000, 1), "non-202": refused,
                    "server RSS MB": round(max(rss_mb(p.pid) for p, _ in procs)),
                })
                print(json.dumps({"bench": "ingest", **rows[-1]}), flush=True)
        finally:
            for proc, _ in procs:
                proc.terminate()
                proc.wait(timeout=20)
    return rows


def _run_clients(ports, key, body, lines, seconds, concurrency):
    results, latencies = [], []
    deadline = time.monotonic() + seconds
    started = time.monotonic()
    threads = [threading.Thread(target=_client, args=(ports[i % len(ports)], key, body, lines, deadline, results,
                                                      latencies)) for i in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    return sum(a for a, _ in results), sum(r for _, r in results), latencies, elapsed


# --- process: Kafka → PostgreSQL -------------------------------------------------------------------

def _fill(settings, total: int, apps: int = 8) -> None:
    """Queue `total` lines straight into the topic, as ingest would, across `apps` apps."""
    import orjson

    from accounts.keys import create_api_key_for_slugs
    from ingest.accept import accept_lines, now_ns
    from ingest.parsing import Limits, parse_body
    from processing.kafka_queue import KafkaProducer

    keys = [create_api_key_for_slugs(tenant_slug="bench", app_slug=f"app{i}", scopes="ingest")[0]
            for i in range(apps)]
    producer = KafkaProducer(settings)
    body = make_body(1000)
    lines_template = parse_body(body, content_type="application/json", content_encoding=None, received_ns=now_ns(),
                                limits=Limits()).lines
    sent = 0
    while sent < total:
        key = keys[(sent // 1000) % apps]
        lines = [dict(line) for line in lines_template[: min(1000, total - sent)]]
        accept_lines(key=key, lines=lines, received_ns=now_ns(), producer=producer)
        sent += len(lines)
    producer.close()
    del orjson


def bench_process(args) -> list[dict]:
    settings = _setup(f"bench.process.{uuid.uuid4().hex[:8]}", 12)
    print(f"filling the topic with {args.lines} lines ...", flush=True)
    _fill(settings, args.lines)
    rows = []
    for processors in args.processors:
        for batch in args.batches:
            truncate_logs()
            env = _env(settings, KAFKA_CONSUMER_GROUP=f"bench-{uuid.uuid4().hex[:8]}")
            log_dir = Path(tempfile.mkdtemp(prefix="devlogs-bench-processors-"))
            procs = [subprocess.Popen([sys.executable, str(ROOT / "manage.py"), "run_processor", "--batch-lines",
                                       str(batch), "--max-wait", "0.2"], env={**os.environ, **env, "LOG_LEVEL": "INFO"},
                                      stdout=open(log_dir / f"processor-{i}.log", "wb"), stderr=subprocess.STDOUT)
                     for i in range(processors)]
            first = None
            deadline = time.monotonic() + args.timeout
            try:
                while time.monotonic() < deadline:
                    count = count_logs()
                    if count and first is None:
                        first = (time.monotonic(), count)
                    if count >= args.lines:
                        break
                    time.sleep(0.05)
                done = time.monotonic()
                rss = max(rss_mb(p.pid) for p in procs)
            finally:
                for p in procs:
                    p.terminate()
                for p in procs:
                    p.wait(timeout=60)
            rate = (args.lines - first[1]) / max(done - first[0], 1e-9)
            if count_logs() < args.lines:
                print(f"incomplete: {count_logs()} of {args.lines} rows; processor logs in {log_dir}", flush=True)
            rows.append({"processors": processors, "batch": batch, "lines": args.lines,
                         "rows/s": round(rate), "seconds": round(done - first[0], 1), "processor RSS MB": round(rss)})
            print(json.dumps({"bench": "process", **rows[-1]}), flush=True)
    return rows


def bench_profile(args) -> None:
    """One processor in this process under cProfile: where does a batch's time go?"""
    settings = _setup(f"bench.profile.{uuid.uuid4().hex[:8]}", 4)
    _fill(settings, args.lines)
    truncate_logs()
    settings.KAFKA_CONSUMER_GROUP = f"bench-profile-{uuid.uuid4().hex[:8]}"
    from logs.writer import write_envelopes
    from processing.kafka_queue import KafkaConsumer
    from processing.processor import Processor

    processor = Processor(consumer=KafkaConsumer(settings), write=write_envelopes, batch_lines=args.batch,
                          max_wait=0.2)
    while processor.run_once() == 0:  # join the group before timing
        pass
    profiler = cProfile.Profile()
    started = time.monotonic()
    profiler.enable()
    while count_logs() < args.lines and time.monotonic() - started < 300:
        processor.run_once()
    profiler.disable()
    elapsed = time.monotonic() - started
    processor.consumer.close()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats("tottime")
    stats.print_stats(18)
    total = sum(v[2] for v in stats.stats.values())
    in_db = sum(v[2] for k, v in stats.stats.items() if "psycopg" in k[0] or k[2] in ("execute", "fetchone"))
    print(out.getvalue())
    print(f"{args.lines} lines in {elapsed:.1f}s ({args.lines / elapsed:.0f} rows/s); "
          f"{100 * in_db / total:.0f}% of profiled time inside the database driver", flush=True)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.kafka_pipeline", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="what", required=True)
    ints = lambda text: [int(x) for x in text.split(",")]  # noqa: E731
    ingest = sub.add_parser("ingest")
    ingest.add_argument("--seconds", type=float, default=15)
    ingest.add_argument("--concurrency", type=ints, default=[4, 8])
    ingest.add_argument("--servers", type=ints, default=[1, 2])
    ingest.add_argument("--lines-per-request", type=int, default=1000)
    process = sub.add_parser("process")
    process.add_argument("--lines", type=int, default=200_000)
    process.add_argument("--processors", type=ints, default=[1, 2, 4])
    process.add_argument("--batches", type=ints, default=[100, 1000, 10000])
    process.add_argument("--timeout", type=float, default=600, help="seconds allowed per run")
    profile = sub.add_parser("profile")
    profile.add_argument("--lines", type=int, default=100_000)
    profile.add_argument("--batch", type=int, default=10_000)
    args = parser.parse_args(argv)
    if args.what == "ingest":
        print(table(bench_ingest(args)))
    elif args.what == "process":
        print(table(bench_process(args)))
    else:
        bench_profile(args)


if __name__ == "__main__":
    main()
