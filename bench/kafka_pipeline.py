"""Benchmark the Kafka path: HTTP → Kafka (ingest), and Kafka → PostgreSQL (processors).

The harness (`python -m bench ingest|processor`) runs these with its own settings and services;
by hand they need a broker and PostgreSQL (scripts/kafka.sh start; scripts/postgres.sh start):

    .venv/bin/python -m bench.kafka_pipeline ingest  [--seconds 15] [--concurrency 4,8] [--servers 1,2]
                                                     [--lines-per-request 100,1000] [--workloads 200B,mixed]
    .venv/bin/python -m bench.kafka_pipeline process [--lines 200000] [--processors 1,2,4] [--batches 100,1000,10000]
                                                     [--mixed]
    .venv/bin/python -m bench.kafka_pipeline profile [--lines 100000]   # cProfile, in-process

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
from collections import Counter
from pathlib import Path

from bench.common import ROOT, count_logs, lines_written, make_body, percentile, rss_mb, start_server, table, truncate_logs
from bench.services import CpuShare, service_pids

DEFAULT_DB = "postgres://devlogs:devlogs@127.0.0.1:5432/devlogs"


def _setup(topic: str, partitions: int):
    from bench.common import django_setup

    django_setup(DATABASE_URL=os.environ.get("DATABASE_URL", DEFAULT_DB), DEVLOGS_QUEUE="kafka",
                 KAFKA_TOPIC=topic, KAFKA_PARTITIONS=partitions, LOG_LEVEL="WARNING")
    from django.conf import settings
    from django.core.management import call_command

    from processing.kafka_admin import ensure_topics

    # Settings load once per process: a second run in the same process still gets its own topic.
    settings.KAFKA_TOPIC, settings.KAFKA_DLQ_TOPIC, settings.KAFKA_PARTITIONS = topic, f"{topic}.dlq", partitions

    call_command("migrate", verbosity=0)
    ensure_topics(settings)
    return settings


def _env(settings, **extra) -> dict:
    env = {"DATABASE_URL": os.environ.get("DATABASE_URL", DEFAULT_DB), "DEVLOGS_QUEUE": "kafka",
           "KAFKA_BOOTSTRAP_SERVERS": settings.KAFKA_BOOTSTRAP_SERVERS, "KAFKA_TOPIC": settings.KAFKA_TOPIC,
           "KAFKA_DLQ_TOPIC": settings.KAFKA_DLQ_TOPIC,
           "KAFKA_PARTITIONS": str(settings.KAFKA_PARTITIONS), "DEVLOGS_PROCESSOR_IN_SERVER": "0",
           "LOG_LEVEL": "WARNING", "DEVLOGS_DATA_DIR": tempfile.mkdtemp(prefix="devlogs-bench-")}
    env.update({k: str(v) for k, v in extra.items()})
    return env


# --- ingest: HTTP → Kafka ---------------------------------------------------------------------

def _client(port: int, key: str, body: bytes, lines: int, deadline: float, results: list, latencies: list):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    accepted, refused = 0, Counter()
    while time.monotonic() < deadline:
        started = time.perf_counter()
        conn.request("POST", "/api/v1/logs", body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        latencies.append(time.perf_counter() - started)
        if response.status == 202:
            accepted += lines
        else:
            refused[response.status] += 1
    conn.close()
    results.append((accepted, refused))


def bench_ingest(*, seconds: float, concurrency: list[int], servers: list[int], lines_per_request: list[int],
                 workloads=("200B",), apps: int = 8) -> list[dict]:
    """Lines/s and MB/s from HTTP to durably in Kafka, by request size, client threads, server processes."""
    settings = _setup(f"bench.ingest.{uuid.uuid4().hex[:8]}", 12)
    from accounts.keys import create_api_key_for_slugs

    # Several apps, as in life: an app's lines share one partition, so one app alone would be one partition.
    keys = [create_api_key_for_slugs(tenant_slug="bench", app_slug=f"ingest{i}", scopes="ingest")[1]
            for i in range(apps)]
    rows = []
    for server_count in servers:
        procs = [start_server(_env(settings), Path(tempfile.mktemp(suffix=".log"))) for _ in range(server_count)]
        try:
            for workload in workloads:
                for per_request in lines_per_request:
                    body = make_body(per_request, mixed=workload == "mixed")
                    for clients in concurrency:
                        ports = [p for _, p in procs]
                        _run_clients(ports, keys, body, per_request, 2, clients)  # warm-up: connections, metadata
                        groups = {"server": [p.pid for p, _ in procs], "client": [os.getpid()], **service_pids()}
                        with CpuShare(groups) as cpu:
                            accepted, refused, latencies, elapsed = _run_clients(ports, keys, body, per_request,
                                                                                 seconds, clients)
                        rows.append({
                            "workload": workload, "servers": server_count, "clients": clients,
                            "lines/request": per_request, "lines/s": round(accepted / elapsed),
                            "MB/s": round(len(body) * accepted / per_request / elapsed / 1e6, 1),
                            "p50 ms": round(statistics.median(latencies) * 1000, 1),
                            "p99 ms": round(percentile(latencies, 99) * 1000, 1), "non-202": refused or 0,
                            "server peak RSS MB": round(max(rss_mb(p.pid) for p, _ in procs)),
                            "CPU cores": cpu.cores,
                        })
                        print(json.dumps({"bench": "ingest", **rows[-1]}), flush=True)
        finally:
            for proc, _ in procs:
                proc.terminate()
                proc.wait(timeout=20)
    return rows


def _run_clients(ports, keys, body, lines, seconds, concurrency):
    results, latencies = [], []
    deadline = time.monotonic() + seconds
    started = time.monotonic()
    threads = [threading.Thread(target=_client, args=(ports[i % len(ports)], keys[i % len(keys)], body, lines, deadline,
                                                      results, latencies)) for i in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    return sum(a for a, _ in results), dict(sum((r for _, r in results), Counter())), latencies, elapsed


# --- process: Kafka → PostgreSQL -------------------------------------------------------------------

def _fill(settings, total: int, apps: int = 8, mixed: bool = False) -> None:
    """Queue `total` lines straight into the topic, as ingest would, across `apps` apps."""
    from accounts.keys import create_api_key_for_slugs
    from ingest.accept import accept_lines, now_ns
    from ingest.parsing import Limits, parse_body
    from processing.kafka_queue import KafkaProducer

    keys = [create_api_key_for_slugs(tenant_slug="bench", app_slug=f"app{i}", scopes="ingest")[0]
            for i in range(apps)]
    producer = KafkaProducer(settings)
    body = make_body(1000, mixed=mixed)
    lines_template = parse_body(body, content_type="application/json", content_encoding=None, received_ns=now_ns(),
                                limits=Limits()).lines
    sent = 0
    while sent < total:
        key = keys[(sent // 1000) % apps]
        lines = [dict(line) for line in lines_template[: min(1000, total - sent)]]
        accept_lines(key=key, lines=lines, received_ns=now_ns(), producer=producer)
        sent += len(lines)
    producer.close()


def bench_process(*, lines: int, processors: list[int], batches: list[int], mixed: bool = False,
                  timeout: float = 600, env: dict | None = None, label: str = "") -> list[dict]:
    """Rows/s from a full topic into PostgreSQL, by processor count and batch size."""
    settings = _setup(f"bench.process.{uuid.uuid4().hex[:8]}", 12)
    print(f"filling the topic with {lines} lines ...", flush=True)
    _fill(settings, lines, mixed=mixed)
    rows = []
    for count in processors:
        for batch in batches:
            rows.append(_drain(settings, lines=lines, processors=count, batch=batch, timeout=timeout, env=env or {}))
            rows[-1] = {"workload": "mixed" if mixed else "200B", **({"variant": label} if label else {}),
                        **rows[-1]}
            print(json.dumps({"bench": "process", **rows[-1]}), flush=True)
    return rows


def _drain(settings, *, lines: int, processors: int, batch: int, timeout: float, env: dict) -> dict:
    """A fresh consumer group of `processors` reads the topic from the start into an empty table."""
    truncate_logs()
    run_env = {**os.environ, **_env(settings, KAFKA_CONSUMER_GROUP=f"bench-{uuid.uuid4().hex[:8]}"), **env,
               "LOG_LEVEL": "INFO"}
    log_dir = Path(tempfile.mkdtemp(prefix="devlogs-bench-processors-"))
    procs = [subprocess.Popen([sys.executable, str(ROOT / "manage.py"), "run_processor", "--batch-lines", str(batch),
                               "--max-wait", "0.2"], env=run_env, stdout=open(log_dir / f"processor-{i}.log", "wb"),
                              stderr=subprocess.STDOUT) for i in range(processors)]
    first = None
    deadline = time.monotonic() + timeout
    count = 0
    cpu = CpuShare({"processors": [p.pid for p in procs], **service_pids()})
    try:
        while lines_written() == 0 and time.monotonic() < deadline:  # joining the group
            time.sleep(0.05)
        cpu.__enter__()
        while time.monotonic() < deadline:
            count = lines_written()
            if count and first is None:
                first = (time.monotonic(), count)
            if count >= lines:
                break
            time.sleep(0.05)
        done = time.monotonic()
        cpu.__exit__(None, None, None)
        count = count_logs()  # exact, once: every line stored once
        rss = max(rss_mb(p.pid) for p in procs)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=60)
    if count < lines:
        print(f"incomplete: {count} of {lines} rows; processor logs in {log_dir}", flush=True)
    if first is None:
        return {"processors": processors, "batch": batch, "lines": lines, "rows/s": 0, "seconds": None,
                "stored": count, "processor peak RSS MB": round(rss)}
    return {"processors": processors, "batch": batch, "lines": lines,
            "rows/s": round((count - first[1]) / max(done - first[0], 1e-9)), "seconds": round(done - first[0], 1),
            "stored": count, "processor peak RSS MB": round(rss), "CPU cores": cpu.cores}


def bench_profile(args) -> None:
    """One processor in this process under cProfile: where does a batch's time go?"""
    settings = _setup(f"bench.profile.{uuid.uuid4().hex[:8]}", 4)
    _fill(settings, args.lines)
    truncate_logs()
    settings.KAFKA_CONSUMER_GROUP = f"bench-profile-{uuid.uuid4().hex[:8]}"
    from logs.store import get_store
    from processing.kafka_queue import KafkaConsumer
    from processing.processor import Processor

    processor = Processor(consumer=KafkaConsumer(settings), write=get_store().write, batch_lines=args.batch,
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
    ingest.add_argument("--lines-per-request", type=ints, default=[1000])
    ingest.add_argument("--workloads", type=lambda t: t.split(","), default=["200B"], help="200B,mixed")
    process = sub.add_parser("process")
    process.add_argument("--lines", type=int, default=200_000)
    process.add_argument("--processors", type=ints, default=[1, 2, 4])
    process.add_argument("--batches", type=ints, default=[100, 1000, 10000])
    process.add_argument("--timeout", type=float, default=600, help="seconds allowed per run")
    process.add_argument("--mixed", action="store_true", help="the issue's mixed lines instead of ~200-byte ones")
    profile = sub.add_parser("profile")
    profile.add_argument("--lines", type=int, default=100_000)
    profile.add_argument("--batch", type=int, default=10_000)
    args = parser.parse_args(argv)
    if args.what == "ingest":
        print(table(bench_ingest(seconds=args.seconds, concurrency=args.concurrency, servers=args.servers,
                                 lines_per_request=args.lines_per_request, workloads=args.workloads)))
    elif args.what == "process":
        print(table(bench_process(lines=args.lines, processors=args.processors, batches=args.batches,
                                  mixed=args.mixed, timeout=args.timeout)))
    else:
        bench_profile(args)


if __name__ == "__main__":
    main()
