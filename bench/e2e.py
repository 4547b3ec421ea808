"""End to end at a fixed offered rate: HTTP → Kafka → processors → PostgreSQL, and on to Redis → WebSocket.

Every request carries one marker line (level `trace`, which the workload never uses otherwise,
message `zzmarker <run> <seq>`). Its send time is noted; a poller asks the database every
0.1 s for new markers (by the `(tenant_id, level, time)` index) and a WebSocket client
subscribed to `q=zzmarker` notes when each arrives: send-to-queryable and send-to-live-tail
latency, measured with a resolution of about 0.1 s. Memory (PSS, and peak RSS) of the server,
the processors, Kafka, PostgreSQL (postmaster and backends) and Redis is sampled throughout.
At the end the senders stop, the pipeline drains, and the rows stored are counted against the
lines accepted: nothing lost, nothing doubled.
"""

import asyncio
import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import deque
from pathlib import Path

import orjson

from bench.common import ROOT, count_logs, make_lines, percentile, start_server, truncate_logs
from bench.kafka_pipeline import _env, _setup
from bench.services import REDIS_URL, CpuMeter, group_memory_mb, refresh, service_pids

MARKER = "zzmarker"
TRACE = 1  # the level number of "trace"


class Markers:
    """Send times of marker lines and when each became queryable / reached the socket."""

    def __init__(self):
        self.sent: dict[int, tuple[float, int]] = {}  # seq → (sent at, tenant id)
        self.queryable: dict[int, float] = {}
        self.live: dict[int, float] = {}
        self.refused: set[int] = set()
        self.lock = threading.Lock()
        self.next_seq = 0

    def take(self, tenant_id: int) -> int:
        with self.lock:
            seq, self.next_seq = self.next_seq, self.next_seq + 1
            self.sent[seq] = (time.time(), tenant_id)
            return seq


def _body(run: str, seq: int, chunk: bytes) -> bytes:
    marker = orjson.dumps({"message": f"{MARKER} {run} {seq}", "level": "trace", "service": "bench"})
    return b"[" + marker + b"," + chunk[1:]


def _sender(port, keys, chunks, run, markers, schedule, stop, stats, lines_per_request):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    while not stop.is_set():
        slot = schedule.next()
        if slot is None:
            break
        key, tenant_id = keys[slot % len(keys)]
        seq = markers.take(tenant_id)
        body = _body(run, seq, chunks[slot % len(chunks)])
        try:
            conn.request("POST", "/api/v1/logs", body=body,
                         headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
            response = conn.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            markers.refused.add(seq)
            stats["errors"] += 1
            continue
        if response.status == 202:
            stats["accepted"] += lines_per_request
            stats["requests"] += 1
        else:
            markers.refused.add(seq)
            stats["non_202"] += 1
    conn.close()


class Schedule:
    """Request slots at a fixed offered rate; a thread that falls behind sends at once (and the rate shows it)."""

    def __init__(self, rate: float, lines_per_request: int, seconds: float):
        self.interval = lines_per_request / rate
        self.started = time.monotonic()
        self.end = self.started + seconds
        self.slot = 0
        self.lock = threading.Lock()

    def next(self) -> int | None:
        with self.lock:
            slot, self.slot = self.slot, self.slot + 1
        due = self.started + slot * self.interval
        if due >= self.end or time.monotonic() >= self.end:  # late slots are dropped, not sent after the end
            return None
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        return slot


def _poll_database(database_url, table, tenant_ids, markers: Markers, stop: threading.Event):
    import psycopg

    with psycopg.connect(database_url.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        pending: deque[int] = deque()
        known = 0
        while not stop.is_set():
            with markers.lock:
                upto = markers.next_seq
            pending.extend(range(known, upto))
            known = upto
            while pending and (pending[0] in markers.queryable or pending[0] in markers.refused):
                pending.popleft()
            if pending:
                since = markers.sent[pending[0]][0] - 5
                rows = conn.execute(
                    f"SELECT message FROM {table} WHERE tenant_id = ANY(%s) AND level = %s "
                    f"AND time >= to_timestamp(%s)", [list(tenant_ids), TRACE, since]).fetchall()
                now = time.time()
                for (message,) in rows:
                    seq = int(message.rsplit(" ", 1)[1])
                    markers.queryable.setdefault(seq, now)
            stop.wait(0.1)


async def _listen(port, key, run, markers: Markers, stop: threading.Event, ready: threading.Event):
    import websockets

    async with websockets.connect(f"ws://127.0.0.1:{port}/ws/v1/tail", additional_headers={"X-API-Key": key},
                                  max_size=None) as ws:
        await ws.send(orjson.dumps({"type": "subscribe", "q": MARKER}).decode())
        ready.set()
        while not stop.is_set():
            try:
                message = orjson.loads(await asyncio.wait_for(ws.recv(), timeout=0.5))
            except asyncio.TimeoutError:
                continue
            if message.get("type") == "entries":
                now = time.time()
                for entry in message["entries"]:
                    _, entry_run, seq = entry["message"].split(" ")
                    if entry_run == run:
                        markers.live.setdefault(int(seq), now)
                await ws.send('{"type": "ack"}')


def _committed_messages(settings, group: str, partitions: int) -> int:
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": settings.KAFKA_BOOTSTRAP_SERVERS, "group.id": group,
                         "enable.auto.commit": False})
    try:
        offsets = consumer.committed([TopicPartition(settings.KAFKA_TOPIC, p) for p in range(partitions)], timeout=10)
        return sum(max(tp.offset, 0) for tp in offsets)
    finally:
        consumer.close()


def run(*, database_url: str, rate: int, seconds: float, processors: int = 2, servers: int = 1, batch: int = 5000,
        tenants: int = 4, apps_per_tenant: int = 2, lines_per_request: int = 1000, mixed: bool = True,
        sample_seconds: float = 5, drain_timeout: float = 300, senders: int = 6) -> dict:
    partitions = 12
    settings = _setup(f"bench.e2e.{uuid.uuid4().hex[:8]}", partitions)
    from accounts.keys import create_api_key_for_slugs
    from logs.models import LogEntry

    truncate_logs()
    run_id = uuid.uuid4().hex[:6]
    keys = []
    for t in range(tenants):
        for a in range(apps_per_tenant):
            key, raw = create_api_key_for_slugs(tenant_slug=f"e2e{t}", app_slug=f"app{a}", scopes="ingest,read")
            keys.append((raw, key.app.tenant_id))
    group = f"bench-e2e-{run_id}"
    env = {**os.environ, **_env(settings, KAFKA_CONSUMER_GROUP=group, DEVLOGS_CHANNEL_LAYER=REDIS_URL,
                                DEVLOGS_CHANNEL_LAYER_PREFIX=f"bench{run_id}", DEVLOGS_BATCH_LINES=batch),
           "DATABASE_URL": database_url, "LOG_LEVEL": "INFO"}
    log_dir = Path(tempfile.mkdtemp(prefix="devlogs-bench-e2e-"))
    servers_ = [start_server(env, log_dir / f"server-{i}.log") for i in range(servers)]
    procs = [subprocess.Popen([sys.executable, str(ROOT / "manage.py"), "run_processor"], env=env,
                              stdout=open(log_dir / f"processor-{i}.log", "wb"), stderr=subprocess.STDOUT)
             for i in range(processors)]
    print(f"e2e: {rate} lines/s offered for {seconds:.0f} s, {servers} server(s), {processors} processor(s); "
          f"logs in {log_dir}", flush=True)
    pool = make_lines((lines_per_request - 1) * 16, mixed=mixed, seed=7)
    chunks = [orjson.dumps(pool[i:i + lines_per_request - 1]) for i in range(0, len(pool), lines_per_request - 1)]
    markers = Markers()
    stop_senders, stop_watchers = threading.Event(), threading.Event()
    stats = {"accepted": 0, "requests": 0, "non_202": 0, "errors": 0}
    ws_ready = threading.Event()
    watchers = [
        threading.Thread(target=_poll_database, daemon=True, args=(database_url, LogEntry._meta.db_table,
                                                                   {t for _, t in keys}, markers, stop_watchers)),
        threading.Thread(target=lambda: asyncio.run(_listen(servers_[0][1], keys[0][0], run_id, markers,
                                                            stop_watchers, ws_ready)), daemon=True),
    ]
    samples = []
    try:
        for w in watchers:
            w.start()
        ws_ready.wait(30)
        _warm_up(servers_[0][1], keys, chunks, run_id, markers, lines_per_request, stats)
        baseline_lines = stats["accepted"]
        baseline_committed = len(keys)  # the warm-up's messages, once their offsets are committed
        deadline = time.monotonic() + 60
        while _committed_messages(settings, group, partitions) < baseline_committed and time.monotonic() < deadline:
            time.sleep(0.5)
        schedule = Schedule(rate, lines_per_request, seconds)
        threads = [threading.Thread(target=_sender, args=(servers_[i % servers][1], keys, chunks, run_id, markers,
                                                          schedule, stop_senders, stats, lines_per_request))
                   for i in range(senders)]
        first_seq = markers.next_seq
        started = time.monotonic()
        for t in threads:
            t.start()
        groups = {"server": [p.pid for p, _ in servers_], "processors": [p.pid for p in procs], **service_pids()}
        cpu = CpuMeter(groups)
        next_sample = started
        while True:
            alive = any(t.is_alive() for t in threads)
            if time.monotonic() >= next_sample or not alive:
                next_sample += sample_seconds
                groups = refresh(groups)
                cpu.sample(groups)
                samples.append(_sample(settings, group, partitions, started, stats["accepted"] - baseline_lines,
                                       baseline_committed, lines_per_request, groups))
            if not alive:
                break
            time.sleep(0.2)
        send_seconds = time.monotonic() - started
        accepted = stats["accepted"] - baseline_lines
        # Drain: everything accepted must become queryable.
        drain_started = time.monotonic()
        while time.monotonic() - drain_started < drain_timeout:
            committed = (_committed_messages(settings, group, partitions) - baseline_committed) * lines_per_request
            cpu.sample(groups := refresh(groups))
            if committed >= accepted:
                break
            time.sleep(1)
        drain_seconds = time.monotonic() - drain_started
        cpu.sample(refresh(groups))
        cpu_seconds = cpu.seconds()  # sending and draining: every line accepted in the window is stored
        time.sleep(1)  # the last markers reach the poller and the socket
        peak = {name: group_memory_mb(pids) for name, pids in refresh(groups).items()}
    finally:
        stop_senders.set()
        stop_watchers.set()
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=60)
        for p, _ in servers_:
            p.terminate()
            p.wait(timeout=30)
    stored = count_logs()
    return _summarise(rate=rate, seconds=seconds, send_seconds=send_seconds, processors=processors, servers=servers,
                      batch=batch, mixed=mixed, accepted=accepted, stats=stats, stored=stored,
                      expected=stats["accepted"], drain_seconds=drain_seconds, drained=committed >= accepted,
                      markers=markers, first_seq=first_seq, samples=samples, peak=peak, log_dir=log_dir,
                      cpu_seconds=cpu_seconds)


def _sample(settings, group, partitions, started, accepted, baseline_committed, lines_per_request, groups) -> dict:
    elapsed = time.monotonic() - started
    committed = (_committed_messages(settings, group, partitions) - baseline_committed) * lines_per_request
    sample = {"t": round(elapsed, 1), "accepted": accepted, "committed": committed,
              "memory": {name: group_memory_mb(pids) for name, pids in groups.items()}}
    print(f"  t={elapsed:5.0f}s accepted={accepted:>9} committed={committed:>9} "
          + " ".join(f"{n}={m['pss']:.0f}MB" for n, m in sample["memory"].items()), flush=True)
    return sample


def _warm_up(port, keys, chunks, run_id, markers, lines_per_request, stats, timeout=120):
    """One request per app, then wait until all are queryable: the processors have joined the group."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    seqs = []
    for i, (key, tenant_id) in enumerate(keys):
        seq = markers.take(tenant_id)
        conn.request("POST", "/api/v1/logs", body=_body(run_id, seq, chunks[i % len(chunks)]),
                     headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
        response = conn.getresponse()
        response.read()
        if response.status != 202:
            raise RuntimeError(f"warm-up request refused: {response.status}")
        stats["accepted"] += lines_per_request
        seqs.append(seq)
    conn.close()
    deadline = time.monotonic() + timeout
    while not all(s in markers.queryable for s in seqs):
        if time.monotonic() > deadline:
            raise RuntimeError("warm-up lines never became queryable: are the processors running?")
        time.sleep(0.2)


def _latencies(markers: Markers, which: dict, seqs) -> list[float]:
    return [which[s] - markers.sent[s][0] for s in seqs if s in which]


def _summarise(*, rate, seconds, send_seconds, processors, servers, batch, mixed, accepted, stats, stored, expected,
               drain_seconds, drained, markers, first_seq, samples, peak, log_dir, cpu_seconds) -> dict:
    seqs = [s for s in range(first_seq, markers.next_seq) if s not in markers.refused]
    watched_tenant = markers.sent[first_seq][1] if first_seq in markers.sent else None
    live_seqs = [s for s in seqs if markers.sent[s][1] == watched_tenant]
    queryable = _latencies(markers, markers.queryable, seqs)
    live = _latencies(markers, markers.live, live_seqs)

    def ms(values, q):
        value = percentile(values, q)
        return None if value is None else round(value * 1000)

    by_minute = []
    for minute in range(int(send_seconds // 60) + 1):
        start = markers.sent[first_seq][0] + 60 * minute if seqs else 0
        in_minute = [s for s in seqs if start <= markers.sent[s][0] < start + 60]
        values = _latencies(markers, markers.queryable, in_minute)
        if values:
            by_minute.append({"minute": minute + 1, "markers": len(in_minute), "queryable p50 ms": ms(values, 50),
                              "queryable p99 ms": ms(values, 99)})

    def memory_at(t):
        near = min(samples, key=lambda s: abs(s["t"] - t)) if samples else None
        return None if near is None else {"t": near["t"], **{n: m["pss"] for n, m in near["memory"].items()}}

    steady = [s for s in samples if s["t"] >= min(60, send_seconds / 3)]
    committed_rate = ((steady[-1]["committed"] - steady[0]["committed"]) / max(steady[-1]["t"] - steady[0]["t"], 1e-9)
                      if len(steady) >= 2 else None)
    accepted_rate = ((steady[-1]["accepted"] - steady[0]["accepted"]) / max(steady[-1]["t"] - steady[0]["t"], 1e-9)
                     if len(steady) >= 2 else None)
    lag_series = [{"t": s["t"], "backlog lines": s["accepted"] - s["committed"]} for s in samples]
    one_minute, end = memory_at(60), memory_at(samples[-1]["t"] if samples else 0)
    result = {
        "offered lines/s": rate, "seconds": round(send_seconds), "servers": servers, "processors": processors,
        "batch": batch, "workload": "mixed" if mixed else "200B",
        "accepted lines/s": round(accepted / send_seconds), "accepted lines/s (steady)": _round(accepted_rate),
        "committed lines/s (steady)": _round(committed_rate), "non-202": stats["non_202"], "errors": stats["errors"],
        "drained": drained, "drain seconds": round(drain_seconds, 1),
        "lines accepted (incl. warm-up)": expected, "rows stored": stored,
        "lost": max(expected - stored, 0) if drained else None, "doubled": max(stored - expected, 0),
        "markers": len(seqs), "markers queryable": len([s for s in seqs if s in markers.queryable]),
        "queryable p50 ms": ms(queryable, 50), "queryable p99 ms": ms(queryable, 99),
        "queryable max ms": ms(queryable, 100),
        "live markers": len(live_seqs), "live received": len(live),
        "live p50 ms": ms(live, 50), "live p99 ms": ms(live, 99),
        "by minute": by_minute, "backlog": lag_series[:: max(len(lag_series) // 60, 1)],
        # Whole pipeline: server, processors, PostgreSQL, Kafka, Redis, over sending + draining.
        # "machine less load generator" also holds what runs beside (the poller's queries, the OS).
        "CPU-seconds per million lines": {
            **{name: round(seconds / accepted * 1e6, 1) for name, seconds in cpu_seconds.items()},
            "pipeline": round(sum(v for k, v in cpu_seconds.items() if k not in ("machine", "load generator"))
                              / accepted * 1e6, 1),
            "machine less load generator": round((cpu_seconds["machine"] - cpu_seconds["load generator"])
                                                 / accepted * 1e6, 1),
        } if accepted else None,
        "memory at 1 min (PSS MB)": one_minute, "memory at end (PSS MB)": end,
        "memory peak (MB)": {n: {"pss": m["pss"], "peak_rss": m["peak_rss"]} for n, m in peak.items()},
        "memory series": [{"t": s["t"], **{n: m["pss"] for n, m in s["memory"].items()}}
                          for s in samples[:: max(len(samples) // 60, 1)]],
        "logs": str(log_dir),
    }
    print(json.dumps({k: v for k, v in result.items() if not isinstance(v, list)}), flush=True)
    return result


def _round(value):
    return None if value is None else round(value)
