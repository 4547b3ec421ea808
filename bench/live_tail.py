"""Benchmark the live tail: ingest-to-socket latency through HTTP → Kafka → processor → Redis → WebSocket.

Needs Kafka, Redis and PostgreSQL (scripts/kafka.sh start; scripts/redis.sh start; scripts/postgres.sh start):

    .venv/bin/python -m bench.live_tail [--rates 1000,10000] [--sockets 1,10,100] [--seconds 10]

Each socket subscribes to everything and acknowledges each message (the protocol's flow
control); latency is measured per line from the moment its request was sent.
"""

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import orjson
import websockets

from bench.common import ROOT, start_server, table

DEFAULT_DB = "postgres://devlogs:devlogs@127.0.0.1:5432/devlogs"


def _sender(port: int, key: str, rate: int, seconds: float, stop: threading.Event):
    import http.client

    per_request = max(rate // 20, 1)  # 20 requests a second
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    started = time.monotonic()
    n = 0
    while not stop.is_set() and time.monotonic() - started < seconds:
        body = orjson.dumps([{"message": f"bench {n}-{i}", "sent": time.time()} for i in range(per_request)])
        conn.request("POST", "/api/v1/logs", body=body,
                     headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
        conn.getresponse().read()
        n += 1
        time.sleep(max(started + n / 20 - time.monotonic(), 0))


async def _listen(port: int, key: str, sockets: int, seconds: float):
    latencies, skipped = [], [0]
    clients = [await websockets.connect(f"ws://127.0.0.1:{port}/ws/v1/tail", additional_headers={"X-API-Key": key},
                                        max_size=None) for _ in range(sockets)]
    for ws in clients:
        await ws.send('{"type": "subscribe"}')

    async def read(ws):
        deadline = time.monotonic() + seconds + 5
        while time.monotonic() < deadline:
            try:
                message = orjson.loads(await asyncio.wait_for(ws.recv(), timeout=1))
            except asyncio.TimeoutError:
                continue
            if message["type"] == "entries":
                now = time.time()
                latencies.extend(now - e["attributes"]["sent"] for e in message["entries"])
                await ws.send('{"type": "ack"}')
            elif message["type"] == "skipped":
                skipped[0] += message["count"]

    await asyncio.gather(*(read(ws) for ws in clients))
    for ws in clients:
        await ws.close()
    return latencies, skipped[0]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.live_tail", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    ints = lambda text: [int(x) for x in text.split(",")]  # noqa: E731
    parser.add_argument("--rates", type=ints, default=[1000, 10000])
    parser.add_argument("--sockets", type=ints, default=[1, 10, 100])
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args(argv)

    from bench.common import django_setup

    topic = f"bench.live.{uuid.uuid4().hex[:8]}"
    redis = os.environ.get("DEVLOGS_CHANNEL_LAYER", "redis://127.0.0.1:6379/0")
    database = os.environ.get("DATABASE_URL", DEFAULT_DB)
    django_setup(DATABASE_URL=database, DEVLOGS_QUEUE="kafka", KAFKA_TOPIC=topic, KAFKA_PARTITIONS=4,
                 LOG_LEVEL="WARNING")
    from django.conf import settings
    from django.core.management import call_command

    from accounts.keys import create_api_key_for_slugs
    from processing.kafka_admin import ensure_topics

    call_command("migrate", verbosity=0)
    ensure_topics(settings)
    _, key = create_api_key_for_slugs(tenant_slug="live-bench", app_slug="web", scopes="ingest,read")
    env = {"DATABASE_URL": database, "DEVLOGS_QUEUE": "kafka", "KAFKA_TOPIC": topic,
           "KAFKA_BOOTSTRAP_SERVERS": settings.KAFKA_BOOTSTRAP_SERVERS, "DEVLOGS_CHANNEL_LAYER": redis,
           "DEVLOGS_CHANNEL_LAYER_PREFIX": f"bench{uuid.uuid4().hex[:6]}", "DEVLOGS_PROCESSOR_IN_SERVER": "0",
           "LOG_LEVEL": "WARNING", "DEVLOGS_DATA_DIR": tempfile.mkdtemp(), "DEVLOGS_BATCH_WAIT_SECONDS": "0.05"}
    server, port = start_server(env, Path(tempfile.mktemp(suffix=".log")))
    processor = subprocess.Popen([sys.executable, str(ROOT / "manage.py"), "run_processor", "--max-wait", "0.05"],
                                 env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rows = []
    try:
        time.sleep(5)  # the processor joins its group
        for rate in args.rates:
            for sockets in args.sockets:
                stop = threading.Event()
                sender = threading.Thread(target=_sender, args=(port, key, rate, args.seconds, stop))
                sender.start()
                latencies, skipped = asyncio.run(_listen(port, key, sockets, args.seconds))
                stop.set()
                sender.join()
                if not latencies:
                    rows.append({"lines/s": rate, "sockets": sockets, "received": 0})
                    continue
                latencies.sort()
                rows.append({"lines/s": rate, "sockets": sockets, "lines received": len(latencies),
                             "skipped": skipped, "p50 ms": round(statistics.median(latencies) * 1000),
                             "p99 ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000)})
                print(json.dumps({"bench": "live", **rows[-1]}), flush=True)
    finally:
        processor.terminate()
        processor.wait(timeout=30)
        server.terminate()
        server.wait(timeout=30)
    print(table(rows))


if __name__ == "__main__":
    main()
