"""Live tail in production shape: HTTP ingest → Kafka or Redis Streams → a separate processor →
Redis → WebSocket.

Real broker, real Redis, a real daphne server, a real processor process and real WebSocket
clients; nothing in between is replaced.
"""

import asyncio
import contextlib
import statistics
import subprocess
import time
import uuid

import orjson
import pytest
import websockets

from logs.consumers import WINDOW
from tests.conftest import (child_env, http_post_logs, kafka_env, manage, redis_queue_env, redis_queue_settings,
                            running_server, wait_for)

pytestmark = [pytest.mark.live]


@pytest.fixture(params=[pytest.param("kafka", marks=pytest.mark.kafka), "redis"])
def platform(request, settings, redis_url, transactional_db, tmp_path):
    """A server and a processor, joined by the queue (Kafka or Redis Streams) and the Redis channel layer."""
    with contextlib.ExitStack() as stack:
        if request.param == "kafka":
            queue_env = kafka_env(request.getfixturevalue("kafka"))
        else:
            queue_env = redis_queue_env(stack.enter_context(redis_queue_settings(settings, redis_url)))
        yield from _platform(queue_env, redis_url, tmp_path)


def _platform(queue_env, redis_url, tmp_path):
    env = {**queue_env, "DEVLOGS_CHANNEL_LAYER": redis_url, "DEVLOGS_PROCESSOR_IN_SERVER": "0",
           "DEVLOGS_CHANNEL_LAYER_PREFIX": f"test{uuid.uuid4().hex[:8]}"}
    with running_server(tmp_path, **env) as address, open(tmp_path / "processor.log", "wb") as out:
        processor = subprocess.Popen(manage("run_processor", "--max-wait", "0.05"), env=child_env(tmp_path, **env),
                                     stdout=out, stderr=subprocess.STDOUT)
        try:
            yield address
        finally:
            processor.terminate()
            processor.wait(timeout=30)


def _wait_stored(count: int) -> None:
    """(In a worker thread) until the processor has stored `count` lines."""
    from django.db import connection

    from logs.models import LogEntry

    try:
        wait_for(lambda: LogEntry.objects.count() >= count, timeout=120, what=f"{count} lines stored")
    finally:
        connection.close()  # this thread's own connection


async def _connect(address, key):
    return await websockets.connect(f"ws://{address}/ws/v1/tail", additional_headers={"X-API-Key": key},
                                    max_size=None)


async def _next(ws, kind: str, timeout: float = 20):
    deadline = time.monotonic() + timeout
    while True:
        message = orjson.loads(await asyncio.wait_for(ws.recv(), timeout=max(deadline - time.monotonic(), 0.01)))
        if message["type"] == kind:
            return message


async def _quiet(ws, seconds: float) -> list:
    got = []
    try:
        while True:
            message = orjson.loads(await asyncio.wait_for(ws.recv(), timeout=seconds))
            if message["type"] != "heartbeat":
                got.append(message)
    except asyncio.TimeoutError:
        return got


def test_lines_reach_subscribed_sockets_filtered_and_only_in_their_tenant(platform, make_key):
    key_a = make_key(tenant="alpha", app="api")
    make_key(tenant="alpha", app="web")
    web_a = make_key(tenant="alpha", app="web")
    key_b = make_key(tenant="bravo", app="api")

    async def scenario():
        everything = await _connect(platform, key_a)
        filtered = await _connect(platform, key_a)
        other = await _connect(platform, key_b)
        await everything.send(orjson.dumps({"type": "subscribe"}).decode())
        await filtered.send(orjson.dumps({"type": "subscribe", "q": "level:error app:api"}).decode())
        await other.send(orjson.dumps({"type": "subscribe"}).decode())
        for ws in (everything, filtered, other):
            await _next(ws, "subscribed")

        latencies = []
        for i in range(5):
            sent = time.monotonic()
            await asyncio.to_thread(http_post_logs, platform, key_a, [
                {"message": f"api info {i}", "level": "info"}, {"message": f"api boom {i}", "level": "error"}])
            batch = await _next(everything, "entries")
            latencies.append(time.monotonic() - sent)
            got = batch["entries"]
            while len(got) < 2:
                got += (await _next(everything, "entries"))["entries"]
            await everything.send('{"type": "ack"}')
            assert sorted(e["message"] for e in got) == [f"api boom {i}", f"api info {i}"]
            assert [e["message"] for e in (await _next(filtered, "entries"))["entries"]] == [f"api boom {i}"]
            await filtered.send('{"type": "ack"}')
        await asyncio.to_thread(http_post_logs, platform, web_a, [{"message": "web error", "level": "error"}])
        assert [e["message"] for e in (await _next(everything, "entries"))["entries"]] == ["web error"]
        assert await _quiet(filtered, 1.0) == []  # app:web does not match app:api
        assert await _quiet(other, 0.5) == []  # bravo hears nothing of alpha

        await asyncio.to_thread(http_post_logs, platform, key_b, [{"message": "bravo only", "level": "error"}])
        assert [e["message"] for e in (await _next(other, "entries"))["entries"]] == ["bravo only"]
        assert await _quiet(everything, 1.0) == []
        for ws in (everything, filtered, other):
            await ws.close()
        return latencies

    latencies = asyncio.run(asyncio.wait_for(scenario(), timeout=120))
    print(f"ingest-to-socket latency: median {statistics.median(latencies) * 1000:.0f} ms, "
          f"max {max(latencies) * 1000:.0f} ms")
    assert max(latencies) < 5  # loose on purpose: this is a functional test, bench/ measures


def test_a_client_that_does_not_keep_up_costs_bounded_memory_and_is_told_what_it_missed(platform, make_key):
    key = make_key()

    def server_peak_mb() -> float:
        with open(f"/proc/{platform.pid}/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:")) / 1024

    async def scenario():
        slow = await _connect(platform, key)
        await slow.send('{"type": "subscribe"}')
        await _next(slow, "subscribed")
        before = server_peak_mb()
        sent = 0
        for i in range(60):  # 60 requests of 500 lines; the slow client never acks meanwhile
            lines = [{"message": f"line {i}-{j} " + "x" * 300} for j in range(500)]
            assert (await asyncio.to_thread(http_post_logs, platform, key, lines))[0] == 202
            sent += len(lines)
        # The window fills (WINDOW messages) and then nothing more comes until the client acks.
        received, messages = 0, 0
        while messages < WINDOW:
            received += len((await _next(slow, "entries", timeout=60))["entries"])
            messages += 1
        await asyncio.to_thread(_wait_stored, sent)  # the processor has written (and published) every line
        assert [m for m in await _quiet(slow, 1.0) if m["type"] == "entries"] == []
        after = server_peak_mb()

        # An ack reports what was skipped; lines published after it arrive as entries. Together: all.
        await slow.send('{"type": "ack"}')
        skipped = 0
        deadline = time.monotonic() + 60
        while received + skipped < sent and time.monotonic() < deadline:
            message = orjson.loads(await asyncio.wait_for(slow.recv(), timeout=max(deadline - time.monotonic(), 0.01)))
            if message["type"] == "skipped":
                skipped += message["count"]
            elif message["type"] == "entries":
                received += len(message["entries"])
                await slow.send('{"type": "ack"}')
        await slow.close()
        return sent, received, skipped, before, after

    sent, received, skipped, before, after = asyncio.run(asyncio.wait_for(scenario(), timeout=180))
    print(f"slow client: sent {sent}, received {received}, skipped {skipped}; server peak {before:.0f} → {after:.0f} MB")
    assert received + skipped == sent  # every line is either delivered or counted
    assert after - before < 60  # the ~10 MB of lines it missed were never queued for it
