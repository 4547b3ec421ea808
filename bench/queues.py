"""The queue backends side by side (issue #24): Kafka and Redis Streams, same machine, same lines,
same store. `python -m bench queues [--queues kafka,redis-always,redis-everysec] [--runs 3]`.

Backends: `kafka` (the local broker of scripts/kafka.sh, a fresh 12-partition topic per run),
`redis-always` and `redis-everysec` (a redis-server started here, on a free port in a temp dir,
with `--appendonly yes --appendfsync always|everysec`, fresh each run), and `embedded` (the SQLite
queue file, as a reference without a queue service).

One run of one backend, in its own process (`_stage queues --queue NAME`), with its own data dir:

  ingest → queue   one daphne server; SENDERS keep-alive senders post 1,000-line requests of ~200-byte
                   lines (bench.common.make_body) for `seconds` after a 2 s warm-up. lines/s answered 202,
                   and the CPU-seconds per million accepted lines of the server and of the queue service
                   (redis-server, or the Kafka JVM), both from /proc over the timed window; request
                   latency p50/p99 (a request is answered once its lines are durable in the queue).
                   Redis: its memory and its files (append-only dir) per queued line, once ingest has stopped.
  queue → store    then one processor (manage.py run_processor, 5,000-line batches) drains everything
                   ingest queued (warm-up included) into an empty log table. lines/s from its first
                   stored line to the last; CPU-s per million lines of the processor and the queue
                   service over that window. Stored must equal accepted: anything else is reported.

The store is SQLite in the run's data dir, or with `--pg` the local PostgreSQL's devlogs_bench
(whose log table is emptied). The harness reports each run and, per backend, the medians.
"""

import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from bench.common import ROOT, free_port, make_body, percentile, start_server
from bench.services import cpu_seconds, pid_listening

BACKENDS = ("kafka", "redis-always", "redis-everysec", "embedded")
DEFAULT_BACKENDS = ("kafka", "redis-always", "redis-everysec")
SENDERS = 4
LINES_PER_REQUEST = 1000
APPS = 8  # lines of one app share a partition (Kafka) or a stream (Redis): spread them as in life
KAFKA_PORT = 9092


# --- the queue services -----------------------------------------------------------------------

class RedisServer:
    """A redis-server of this run's own: AOF on, the given fsync policy, data in a temp dir."""

    def __init__(self, fsync: str):
        self.fsync = fsync
        self.dir = Path(tempfile.mkdtemp(prefix=f"bench-redis-{fsync}-"))
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def __enter__(self):
        self.proc = subprocess.Popen(
            [shutil.which("redis-server") or "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--dir", str(self.dir), "--appendonly", "yes", "--appendfsync", self.fsync, "--save", "",
             "--maxmemory-policy", "noeviction", "--daemonize", "no", "--logfile", str(self.dir / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        import redis

        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 30
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError(f"redis-server did not start, see {self.dir / 'redis.log'}")
                time.sleep(0.05)
        client.close()
        return self

    def footprint(self, lines: int) -> dict:
        """Memory (used_memory) and append-only file bytes per queued line, for sizing the pod."""
        import redis

        client = redis.Redis.from_url(self.url)
        try:
            memory = client.info("memory")["used_memory"]
        finally:
            client.close()
        # The append-only dir: the incremental .aof files and, after a rewrite, its base (an .rdb).
        disk = sum(p.stat().st_size for p in self.dir.rglob("*") if p.is_file() and p.name != "redis.log")
        return {"queue memory B/line": round(memory / lines), "queue disk B/line": round(disk / lines)} if lines else {}

    def __exit__(self, *exc):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


class NoService:
    """The embedded queue: a file the server and the processor open; no service to measure."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass


# --- one run ----------------------------------------------------------------------------------

def _queue_env(backend: str, service, data_dir: Path, topic: str) -> dict:
    """What the server and the processor need to use `backend`."""
    if backend == "kafka":
        return {"DEVLOGS_QUEUE": "kafka", "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{KAFKA_PORT}", "KAFKA_TOPIC": topic,
                "KAFKA_DLQ_TOPIC": f"{topic}.dlq", "KAFKA_PARTITIONS": "12",
                "KAFKA_CONSUMER_GROUP": f"bench-{uuid.uuid4().hex[:8]}"}
    if backend.startswith("redis"):
        # The agreed settings (issue #24); the back-pressure bound far above what a run queues, so
        # that ingest measures the queue's speed, not its refusals.
        return {"DEVLOGS_QUEUE": "redis", "DEVLOGS_REDIS_QUEUE_URL": service.url, "DEVLOGS_REDIS_QUEUE_STREAMS": "8",
                "DEVLOGS_REDIS_QUEUE_PREFIX": f"bench:{uuid.uuid4().hex[:8]}",
                "DEVLOGS_REDIS_QUEUE_MAX_PENDING": "100000000"}
    return {"DEVLOGS_QUEUE": "embedded", "DEVLOGS_QUEUE_PATH": str(data_dir / "queue.sqlite3"),
            "DEVLOGS_EMBEDDED_DIRECT_WRITES": "false"}


def _service(backend: str):
    if backend.startswith("redis"):
        return RedisServer(backend.removeprefix("redis-"))
    return NoService()


def _service_pid(backend: str, service) -> int | None:
    if backend.startswith("redis"):
        return service.proc.pid
    if backend == "kafka":
        return pid_listening(KAFKA_PORT)
    return None


def _progress() -> int:
    """Lines stored so far, cheaply: a count(*) of SQLite's log table every 100 ms took a good part
    of a core on a 2-core machine from the processor it measured. The table is fresh, so its
    largest id is the rows inserted; PostgreSQL: bench.common.lines_written(). Exact counts at the end."""
    from django.db import connection

    from bench.common import lines_written
    from logs.models import LogEntry

    if connection.vendor != "sqlite":
        return lines_written()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {LogEntry._meta.db_table}")
        return int(cursor.fetchone()[0])


def _per_million(cpu: float, lines: int) -> float | None:
    return round(cpu / lines * 1e6, 1) if lines else None


def run_one(*, backend: str, seconds: float, database_url: str | None, timeout: float = 600) -> dict:
    """One ingest → queue → store run of `backend` (this process's Django set-up is for it alone)."""
    from bench.common import django_setup

    data_dir = Path(tempfile.mkdtemp(prefix=f"bench-queues-{backend}-"))
    topic = f"bench.queues.{uuid.uuid4().hex[:8]}"
    env = {"DEVLOGS_DATA_DIR": str(data_dir), "DEVLOGS_PROCESSOR_IN_SERVER": "0", "DEVLOGS_ALERTS_IN_SERVER": "0",
           "LOG_LEVEL": "WARNING"}
    if database_url:
        env["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    # This process only migrates, makes keys and counts rows: it never touches the queue (so it
    # needs no queue settings, except Kafka's to create the run's topic).
    django_setup(**env, **({"DEVLOGS_QUEUE": "kafka", "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{KAFKA_PORT}",
                            "KAFKA_TOPIC": topic, "KAFKA_PARTITIONS": 12} if backend == "kafka" else {}))
    from django.conf import settings
    from django.core.management import call_command

    from accounts.keys import create_api_key_for_slugs
    from bench.common import count_logs, truncate_logs
    from bench.kafka_pipeline import _run_clients

    call_command("migrate", verbosity=0)
    if database_url:
        truncate_logs()
    if backend == "kafka":
        from processing.kafka_admin import ensure_topics

        settings.KAFKA_TOPIC, settings.KAFKA_DLQ_TOPIC, settings.KAFKA_PARTITIONS = topic, f"{topic}.dlq", 12
        ensure_topics(settings)
    keys = [create_api_key_for_slugs(tenant_slug="bench", app_slug=f"queues{i}", scopes="ingest")[1]
            for i in range(APPS)]
    body = make_body(LINES_PER_REQUEST)
    row = {"queue": backend}
    with _service(backend) as service:
        run_env = {**os.environ, **env, **_queue_env(backend, service, data_dir, topic)}
        queue_pid = _service_pid(backend, service)

        # ingest → queue
        server, port = start_server(run_env, data_dir / "server.log")
        try:
            warm, _, _, _ = _run_clients([port], keys, body, LINES_PER_REQUEST, 2, SENDERS)
            before = {"server": cpu_seconds(server.pid), "queue": cpu_seconds(queue_pid) if queue_pid else 0.0}
            accepted, refused, latencies, elapsed = _run_clients([port], keys, body, LINES_PER_REQUEST, seconds, SENDERS)
            server_cpu = cpu_seconds(server.pid) - before["server"]
            queue_cpu = (cpu_seconds(queue_pid) - before["queue"]) if queue_pid else None
        finally:
            server.terminate()
            server.wait(timeout=30)
        row.update({"ingest lines/s": round(accepted / elapsed), "ingest non-202": sum(refused.values()),
                    "ingest p50 ms": round(statistics.median(latencies) * 1000, 1),
                    "ingest p99 ms": round(percentile(latencies, 99) * 1000, 1),
                    "ingest server CPU-s/M": _per_million(server_cpu, accepted),
                    "ingest queue CPU-s/M": _per_million(queue_cpu, accepted) if queue_pid else None})
        queued = warm + accepted
        if backend.startswith("redis"):
            row.update(service.footprint(queued))

        # queue → store
        processor = subprocess.Popen([sys.executable, str(ROOT / "manage.py"), "run_processor", "--batch-lines",
                                      "5000", "--max-wait", "0.2"], cwd=ROOT, env={**run_env, "LOG_LEVEL": "INFO"},
                                     stdout=open(data_dir / "processor.log", "wb"), stderr=subprocess.STDOUT)
        first = None
        count = 0
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline and processor.poll() is None:
                count = _progress()
                if count and first is None:
                    first = (time.monotonic(), count, cpu_seconds(processor.pid),
                             cpu_seconds(queue_pid) if queue_pid else 0.0)
                if count >= queued and count_logs() >= queued:
                    break
                time.sleep(0.1)
            done = time.monotonic()
            processor_cpu, queue_after = cpu_seconds(processor.pid), cpu_seconds(queue_pid) if queue_pid else 0.0
        finally:
            processor.send_signal(signal.SIGTERM)
            try:
                processor.wait(timeout=60)
            except subprocess.TimeoutExpired:
                processor.kill()
                processor.wait()
        stored = count_logs()
    if first is None or stored < queued:
        print(f"{backend}: {stored} of {queued} lines stored; logs in {data_dir}", flush=True)
    if first is not None:
        drained = count - first[1]
        row.update({"store lines/s": round(drained / max(done - first[0], 1e-9)),
                    "store processor CPU-s/M": _per_million(processor_cpu - first[2], drained),
                    "store queue CPU-s/M": _per_million(queue_after - first[3], drained) if queue_pid else None})
    row.update({"queued": queued, "stored": stored, "lost": max(queued - stored, 0)})
    if not stored < queued:
        shutil.rmtree(data_dir, ignore_errors=True)
    return row


def medians(rows: list[dict]) -> list[dict]:
    """Per backend, the median of each figure over its runs (`lost`: the sum, any loss must show)."""
    out = []
    for backend in dict.fromkeys(r["queue"] for r in rows):
        runs = [r for r in rows if r["queue"] == backend]
        summary = {"queue": backend, "runs": len(runs)}
        for column in dict.fromkeys(c for r in runs for c in r):
            values = [r.get(column) for r in runs]
            if column in ("queue", "run") or not all(isinstance(v, (int, float)) for v in values):
                continue
            summary[column] = sum(values) if column == "lost" else round(statistics.median(values), 1)
        out.append(summary)
    return out
