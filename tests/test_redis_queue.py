"""The Redis Streams queue against a real Redis: order, acknowledgement, reclaim, dead letters,
back-pressure, outages, a restart with AOF, and the kill -9 acceptance run.

Every test gets its own streams on the shared Redis (a unique prefix, deleted after); the tests
that kill or restart Redis start a redis-server of their own in tmp_path.
"""

import contextlib
import io
import json
import shutil
import signal
import subprocess
import threading
import time
import urllib.request

import pytest
import redis
from django.core.management import call_command

from devlogs.health import readiness_report
from logs.models import LogEntry
from logs.writer import write_envelopes
from processing.dead_letters import list_dead_letters, replay_dead_letters
from processing.processor import Processor
from processing.queue import QueueUnavailable, get_producer
from processing.redis_queue import RedisConsumer, RedisProducer
from tests.conftest import (assert_error, child_env, free_port, http_post_logs, manage, post_logs,
                            redis_queue_env, redis_queue_settings, require_service, running_server, wait_for)


@pytest.fixture
def rq(settings, redis_url):
    """Settings for streams of this test's own on the shared Redis."""
    with redis_queue_settings(settings, redis_url, DEVLOGS_REDIS_QUEUE_CLAIM_IDLE_SECONDS=0.5) as s:
        yield s


@contextlib.contextmanager
def own_redis(tmp_path, port: int | None = None, extra: tuple[str, ...] = ()):
    """A redis-server of this test's own, AOF with every write fsynced; yields (url, restart, kill)."""
    server = shutil.which("redis-server")
    if server is None:
        require_service("redis-server", "install it with scripts/redis.sh start (apt-get install redis-server)")
    port = port or free_port()
    data = tmp_path / "redis-data"
    data.mkdir(exist_ok=True)
    procs = []

    def start():
        proc = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data),
                                 "--appendonly", "yes", "--appendfsync", "always", "--save", "", *extra],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(proc)
        client = redis.Redis(port=port, socket_connect_timeout=0.5)

        def up():
            try:
                return client.ping()
            except redis.RedisError:
                return False
        wait_for(up, timeout=20, what="redis-server to answer")
        client.close()
        return proc

    def kill():
        procs[-1].send_signal(signal.SIGKILL)
        procs[-1].wait(timeout=10)

    start()
    try:
        yield f"redis://127.0.0.1:{port}/0", start, kill
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)


def _drain(consumer, total, *, timeout=30, write=write_envelopes):
    processor = Processor(consumer=consumer, write=write, batch_lines=1000, max_wait=0)
    wait_for(lambda: processor.run_once() >= 0 and LogEntry.objects.count() >= total, timeout=timeout,
             what=f"{total} lines stored", interval=0)
    assert LogEntry.objects.count() == total


def _assert_each_line_once(total):
    assert LogEntry.objects.count() == total
    assert LogEntry.objects.values("event_id").distinct().count() == total


# --- producer and consumer -------------------------------------------------------------------

@pytest.mark.django_db
def test_each_apps_lines_keep_their_order_and_stored_entries_leave_redis(rq, client, make_key):
    keys = {app: make_key(app=app) for app in ("web", "api", "worker")}
    for start in range(0, 600, 100):
        for app, key in keys.items():
            lines = [{"message": f"{app} {i}", "attributes": {"app": app, "seq": i}} for i in range(start, start + 100)]
            assert post_logs(client, key, lines).status_code == 202
    producer = get_producer()
    assert isinstance(producer, RedisProducer)
    # One app, one stream: its order is the stream's.
    assert sum(1 for length in producer.backlog_by_stream().values() if length) <= 3
    consumer = RedisConsumer(rq)
    try:
        _drain(consumer, 1800)
        for app in keys:
            seqs = list(LogEntry.objects.filter(attributes__app=app).order_by("id")
                        .values_list("attributes__seq", flat=True))
            assert seqs == list(range(600)), f"{app} out of order"
        # The lag gauge names each stream, as it names Kafka's partitions.
        from prometheus_client import REGISTRY

        Processor(consumer=consumer, write=write_envelopes)._gauge_lag()
        assert REGISTRY.get_sample_value("devlogs_processor_lag_messages", {"partition": consumer.streams[0]}) == 0
        # Acknowledged is deleted: nothing stays in memory once stored, and nothing is left pending.
        assert sum(consumer.backlog_by_stream().values()) == 0
        assert all(consumer.client.xpending(s, rq.DEVLOGS_REDIS_QUEUE_GROUP)["pending"] == 0
                   for s in consumer.streams)
    finally:
        consumer.close()
    _assert_each_line_once(1800)


def test_each_stream_is_read_by_one_processor_and_a_leavers_streams_go_to_the_others(rq):
    first, second = RedisConsumer(rq), RedisConsumer(rq)
    try:
        first.poll(max_lines=10, timeout=0)
        second.poll(max_lines=10, timeout=0)
        first._members_at = float("-inf")  # look again now rather than in a third of the claim time
        first.poll(max_lines=10, timeout=0)
        assert first.owned and second.owned and not set(first.owned) & set(second.owned)
        assert sorted(first.owned + second.owned) == sorted(first.streams)
        second.close()
        first._members_at = float("-inf")
        first.poll(max_lines=10, timeout=0)
        assert first.owned == first.streams
    finally:
        first.close()
        second.close()


@pytest.mark.django_db
def test_a_dead_processors_entries_go_to_another_and_a_living_ones_stay_its_own(rq, client, key):
    post_logs(client, key, [{"message": f"m {i}"} for i in range(50)])
    living, dead = RedisConsumer(rq), RedisConsumer(rq)
    try:
        held = dead.poll(max_lines=1000, timeout=1)
        assert sum(m.lines for m in held) == 50
        dead._closing.set()  # its keep-alive stops, as when the process is killed

        # Past the idle time another consumer takes them over.
        got = []
        wait_for(lambda: got.extend(living.poll(max_lines=1000, timeout=0.05)) or got, timeout=10,
                 what="the dead consumer's entries reclaimed")
        assert [m.handle for m in got] == [m.handle for m in held]

        # The living one keeps them (its keep-alive) for many idle times while it works on them.
        third = RedisConsumer(rq)
        try:
            deadline = time.monotonic() + 4 * rq.DEVLOGS_REDIS_QUEUE_CLAIM_IDLE_SECONDS
            while time.monotonic() < deadline:
                assert third.poll(max_lines=1000, timeout=0.1) == []
        finally:
            third.close()
        living.commit(got)
        assert sum(living.backlog_by_stream().values()) == 0
    finally:
        living.close()
        dead.close()


@pytest.mark.django_db
def test_long_gone_consumers_are_forgotten_but_never_one_that_holds_entries(rq, client, key, monkeypatch):
    from processing import redis_queue

    monkeypatch.setattr(redis_queue, "SWEEP_SECONDS", 0.3)
    rq.DEVLOGS_REDIS_QUEUE_CLAIM_IDLE_SECONDS = 0.03  # "long gone": idle over 0.3 s here
    gone, holder = RedisConsumer(rq), RedisConsumer(rq)
    assert post_logs(client, key, [{"message": "stored"}]).status_code == 202
    got = []
    wait_for(lambda: got.extend(gone.poll(max_lines=10, timeout=0.05)) or got, what="the first entry")
    gone.commit(got)  # a consumer of the group now, holding nothing
    gone.close()

    def names():
        return {c["name"].decode() for s in holder.streams
                for c in holder.client.xinfo_consumers(s, rq.DEVLOGS_REDIS_QUEUE_GROUP)}
    try:
        post_logs(client, key, [{"message": "held"}])
        wait_for(lambda: holder.poll(max_lines=10, timeout=0.05), what="the holder's entry")
        assert {gone.name, holder.name} <= names()
        # The holder's own polls sweep (it owns every stream now that the other left).
        wait_for(lambda: holder.poll(max_lines=10, timeout=0.05) == [] and gone.name not in names(), timeout=10,
                 what="the gone consumer forgotten")
        assert holder.name in names()
        assert sum(holder.backlog_by_stream().values()) == 1  # its entry still pending, still there
    finally:
        holder.close()


@pytest.mark.django_db
def test_an_entry_delivered_too_often_is_dead_lettered_with_its_reason_and_replays(rq, client, key, settings):
    settings.DEVLOGS_REDIS_QUEUE_MAX_DELIVERIES = 2
    post_logs(client, key, [{"message": "crashes every processor"}])
    deliveries = 0
    # Each round: a processor takes the entry and dies before storing it.
    for _ in range(3):
        consumer = RedisConsumer(settings)
        got = []
        try:
            wait_for(lambda: got.extend(consumer.poll(max_lines=10, timeout=0.05)) or got or list_dead_letters(),
                     timeout=10, what="a delivery")
        finally:
            consumer._closing.set()
            consumer.close()
        deliveries += bool(got)
    assert deliveries == 2
    [letter] = list_dead_letters()
    assert "delivered 3 times" in letter.error and "MAX_DELIVERIES=2" in letter.error
    assert letter.source.startswith(settings.DEVLOGS_REDIS_QUEUE_PREFIX + ":") and "@" in letter.source
    assert letter.lines == 1 and not letter.replayed
    out = io.StringIO()
    call_command("dlq", "list", stdout=out)  # the operators' command, unchanged
    assert letter.id in out.getvalue() and "delivered 3 times" in out.getvalue()

    assert replay_dead_letters() == 1
    consumer = RedisConsumer(settings)
    try:
        _drain(consumer, 1)
    finally:
        consumer.close()
    assert list_dead_letters()[0].replayed
    assert replay_dead_letters() == 0  # --all skips what was replayed
    assert LogEntry.objects.get().message == "crashes every processor"


@pytest.mark.django_db
def test_poison_records_are_set_aside_by_the_processor_and_listed(rq, client, key):
    post_logs(client, key, [{"message": "good"}])
    get_producer().publish("1", [b"\x00 not an envelope"], [1])
    consumer = RedisConsumer(rq)
    try:
        _drain(consumer, 1)
        assert sum(consumer.backlog_by_stream().values()) == 0
    finally:
        consumer.close()
    [letter] = list_dead_letters()
    assert letter.error.startswith("undecodable") and letter.value == b"\x00 not an envelope"


@pytest.mark.django_db
def test_a_redis_that_lost_its_keys_gets_its_group_back_and_nothing_added_since_is_missed(rq, client, key):
    consumer = RedisConsumer(rq)
    try:
        consumer.poll(max_lines=10, timeout=0)
        consumer.client.delete(*consumer.streams)  # as after a restart without persistence
        assert post_logs(client, key, [{"message": "after the loss"}]).status_code == 202
        _drain(consumer, 1)
    finally:
        consumer.close()


# --- ingest's answers --------------------------------------------------------------------------

@pytest.mark.django_db
def test_past_the_pending_bound_ingest_answers_503_with_retry_after_until_processors_catch_up(
        rq, client, key, settings):
    settings.DEVLOGS_REDIS_QUEUE_MAX_PENDING = 3
    for i in range(3):
        assert post_logs(client, key, [{"message": f"m {i}"}]).status_code == 202
    refused = post_logs(client, key, [{"message": "one too many"}])
    assert_error(refused, 503, "queue_unavailable")
    assert int(refused["Retry-After"]) > 0
    consumer = RedisConsumer(settings)
    try:
        _drain(consumer, 3)
    finally:
        consumer.close()
    # The bound is re-measured within a second: accepted again once the backlog is gone.
    wait_for(lambda: post_logs(client, key, [{"message": "after"}]).status_code == 202, timeout=5, interval=0.2,
             what="ingest to accept again")


@pytest.mark.django_db
def test_redis_down_is_a_fast_503_never_a_500(rq, client, key, settings):
    settings.DEVLOGS_REDIS_QUEUE_URL = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    started = time.monotonic()
    response = post_logs(client, key, [{"message": "m"}])
    assert_error(response, 503, "queue_unavailable")
    assert response["Retry-After"]
    assert time.monotonic() - started < 6
    status, body = readiness_report(["queue"], timeout=1)
    assert status == 503 and body["checks"]["queue"]["backend"] == "redis"
    # A processor's polls come back empty through the outage instead of failing.
    consumer = RedisConsumer(settings)
    try:
        assert consumer.poll(max_lines=10, timeout=0.1) == []
    finally:
        consumer.close()


def test_producer_publish_raises_queue_unavailable_when_redis_is_gone(rq):
    rq.DEVLOGS_REDIS_QUEUE_URL = f"redis://127.0.0.1:{free_port()}/0"
    with pytest.raises(QueueUnavailable):
        RedisProducer(rq).publish("1", [b"x"], [1])


# --- durability ---------------------------------------------------------------------------------

@pytest.mark.django_db
def test_readiness_says_how_durable_the_shared_redis_is(rq):
    status, body = readiness_report(["queue"])
    assert status == 200, body
    queue = body["checks"]["queue"]
    assert queue["backend"] == "redis"
    assert queue["durability"].startswith("not persisted")  # scripts/redis.sh runs it with appendonly no


@pytest.mark.django_db
def test_every_acknowledged_line_survives_kill_9_of_redis_with_aof_and_is_stored_once(
        rq, client, key, tmp_path, settings):
    with own_redis(tmp_path) as (url, start, kill):
        settings.DEVLOGS_REDIS_QUEUE_URL = url
        status, body = readiness_report(["queue"])
        assert body["checks"]["queue"]["durability"] == (
            "every write fsynced before it is acknowledged (appendfsync always)")
        # A processor stored part of it before the crash (and acknowledged it): that part is gone
        # from Redis; the rest must all come back.
        for batch in range(10):
            assert post_logs(client, key, [{"message": f"{batch}-{i}"} for i in range(100)]).status_code == 202
        first = RedisConsumer(settings)
        Processor(consumer=first, write=write_envelopes, batch_lines=300, max_wait=0).run_once()
        stored_before = LogEntry.objects.count()
        assert 0 < stored_before < 1000
        kill()
        first._closing.set()
        first.close()
        start()
        survivor = RedisConsumer(settings)
        try:
            assert survivor.pending_lines() == 1000 - stored_before  # the dead consumer's, reclaimed
            _drain(survivor, 1000)
        finally:
            survivor.close()
    _assert_each_line_once(1000)


@pytest.mark.django_db
def test_a_full_redis_refuses_new_lines_with_503_and_processors_still_drain_it(rq, client, key, tmp_path, settings):
    """At maxmemory (noeviction, as deployed) Redis refuses XADD, so ingest answers 503; the
    processors must still read, store and acknowledge, or the queue could never empty again."""
    with own_redis(tmp_path, extra=("--maxmemory", "3mb", "--maxmemory-policy", "noeviction")) as (url, _, _):
        settings.DEVLOGS_REDIS_QUEUE_URL = url
        settings.DEVLOGS_REDIS_QUEUE_MAX_PENDING = 1_000_000  # memory, not the bound, is what stops ingest here
        consumer = RedisConsumer(settings)
        try:
            Processor(consumer=consumer, write=write_envelopes, batch_lines=100, max_wait=0).run_once()  # joins first
            accepted = 0
            for batch in range(2000):
                response = post_logs(client, key, [{"message": f"{batch}-{i} " + "x" * 200} for i in range(20)])
                if response.status_code != 202:
                    assert_error(response, 503, "queue_unavailable")
                    break
                accepted += 20
            else:
                raise AssertionError("Redis never filled up")
            assert accepted > 0
            _drain(consumer, accepted)
            info = redis.Redis.from_url(url)
            assert sum(info.xlen(s) for s in info.scan_iter(f"{settings.DEVLOGS_REDIS_QUEUE_PREFIX}*")
                       if info.type(s) == b"stream" and not s.endswith(b":dead")) == 0
            wait_for(lambda: post_logs(client, key, [{"message": "after"}]).status_code == 202, timeout=10,
                     interval=0.2, what="ingest to accept again once the processors drained Redis")
        finally:
            consumer.close()
    _drain_rest = LogEntry.objects.count()
    assert _drain_rest in (accepted, accepted + 1)


# --- the acceptance run: a real server, two processor processes, one killed -9 ------------------

def _send(address, key, client_no, count, acknowledged, failures):
    for first in range(0, count, 250):
        lines = [{"message": f"c{client_no} {i}", "attributes": {"c": client_no, "i": i}}
                 for i in range(first, min(first + 250, count))]
        for _attempt in range(20):
            status, body, headers = http_post_logs(address, key, lines)
            if status == 202:
                acknowledged.append(len(lines))
                break
            failures.append(status)
            time.sleep(float(headers.get("Retry-After", "1")) / 10)  # a patient client, sped up


@pytest.mark.django_db(transaction=True)
def test_ten_thousand_lines_from_four_clients_stored_once_each_though_a_processor_is_killed_9(
        rq, make_key, tmp_path, redis_url):
    keys = [make_key(app=f"app{n}") for n in range(4)]  # one app a client: their lines spread over streams
    rq.DEVLOGS_REDIS_QUEUE_CLAIM_IDLE_SECONDS = 1.0
    env = {**redis_queue_env(rq), "DEVLOGS_PROCESSOR_IN_SERVER": "0", "DEVLOGS_CHANNEL_LAYER": redis_url,
           "DEVLOGS_CHANNEL_LAYER_PREFIX": rq.DEVLOGS_REDIS_QUEUE_PREFIX + ":live"}
    logs = {name: tmp_path / f"{name}.log" for name in ("victim", "survivor", "restarted")}

    health_port = free_port()

    def processor(name):
        extra = {"DEVLOGS_HEALTH_PORT": health_port} if name == "survivor" else {}
        with open(logs[name], "wb") as out:
            return subprocess.Popen(manage("run_processor", "--batch-lines", "500", "--max-wait", "0.05"),
                                    env=child_env(tmp_path, LOG_LEVEL="DEBUG", **env, **extra), stdout=out,
                                    stderr=subprocess.STDOUT)

    procs = {name: processor(name) for name in ("victim", "survivor")}
    acknowledged, failures = [], []
    try:
        with running_server(tmp_path, **env) as address:
            senders = [threading.Thread(target=_send, args=(address, keys[n], n, 2500, acknowledged, failures))
                       for n in range(4)]
            for sender in senders:
                sender.start()
            client = redis.Redis.from_url(redis_url)

            def victim_holds_entries():
                # Its consumer name carries its pid; entries delivered to it and not yet acknowledged.
                with contextlib.suppress(redis.ResponseError):  # the groups are not made yet
                    return any(consumer["name"].decode().split("-")[-2] == str(procs["victim"].pid)
                               for stream in (f"{rq.DEVLOGS_REDIS_QUEUE_PREFIX}:{i}" for i in range(4))
                               for consumer in client.xpending(stream, rq.DEVLOGS_REDIS_QUEUE_GROUP)["consumers"]
                               if consumer["pending"])
            wait_for(victim_holds_entries, timeout=60, interval=0.01, what="the victim to hold entries")
            client.close()
            procs["victim"].send_signal(signal.SIGKILL)
            procs["victim"].wait(timeout=10)
            acknowledged_at_kill = sum(acknowledged)
            procs["restarted"] = processor("restarted")
            for sender in senders:
                sender.join(timeout=90)
            assert sum(acknowledged) == 10_000, failures
            wait_for(lambda: LogEntry.objects.count() >= 10_000, timeout=60, what="every line stored")
            metrics = urllib.request.urlopen(f"http://{address}/metrics", timeout=10).read().decode()
            # A processor's own readiness says what Redis promises about the lines it holds.
            ready = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{health_port}/readyz", timeout=10).read())
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=30)
    assert procs["survivor"].returncode == 0 and procs["restarted"].returncode == 0
    assert acknowledged_at_kill < 10_000, "the victim was killed after the clients had finished"
    # What the victim held when it died was taken over by a living processor.
    assert "reclaimed" in logs["survivor"].read_text() + logs["restarted"].read_text()
    _assert_each_line_once(10_000)
    assert 'devlogs_queue_publish_seconds_count{queue="redis"} 40.0' in metrics
    assert ready["checks"]["queue"]["backend"] == "redis"
    assert ready["checks"]["queue"]["durability"].startswith("not persisted")
    for n in range(4):
        assert sorted(LogEntry.objects.filter(attributes__c=n).values_list("attributes__i", flat=True)) == list(
            range(2500))
