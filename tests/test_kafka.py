"""The Kafka path against a real broker: order, consumer groups, broker and database outages,
poison records. Every test gets its own topics and consumer group."""

import os
import signal
import subprocess
import time
import uuid

import pytest
from confluent_kafka import TopicPartition
from confluent_kafka.admin import AdminClient
from django import db
from django.db import connection

from logs.models import LogEntry
from logs.writer import write_envelopes
from processing.dead_letters import list_dead_letters, replay_dead_letters
from processing.kafka_queue import KafkaConsumer, KafkaProducer
from processing.processor import Processor
from processing.queue import get_producer
from tests.conftest import (ROOT, child_env, http_post_logs, kafka_env, manage, post_logs, running_server,
                            wait_for)

pytestmark = pytest.mark.kafka


def _send(client, keys, per_app, per_request=250):
    """per_app lines for each key, in requests; every line carries its app and sequence number."""
    for start in range(0, per_app, per_request):
        for app, key in keys.items():
            lines = [{"message": f"{app} {i}", "attributes": {"app": app, "seq": i}}
                     for i in range(start, min(start + per_request, per_app))]
            response = post_logs(client, key, lines)
            assert response.status_code == 202, response.content


def _drain(processor, total, timeout=60):
    deadline = time.monotonic() + timeout
    while LogEntry.objects.count() < total and time.monotonic() < deadline:
        processor.run_once()
    assert LogEntry.objects.count() == total


def _assert_each_line_once(total):
    assert LogEntry.objects.count() == total
    assert LogEntry.objects.values("event_id").distinct().count() == total


def _committed(settings) -> int:
    """Sum of the group's committed offsets over the lines topic."""
    admin = AdminClient({"bootstrap.servers": settings.KAFKA_BOOTSTRAP_SERVERS})
    from confluent_kafka import ConsumerGroupTopicPartitions

    request = ConsumerGroupTopicPartitions(settings.KAFKA_CONSUMER_GROUP, [
        TopicPartition(settings.KAFKA_TOPIC, p) for p in range(settings.KAFKA_PARTITIONS)])
    result = admin.list_consumer_group_offsets([request])[settings.KAFKA_CONSUMER_GROUP].result()
    return sum(max(tp.offset, 0) for tp in result.topic_partitions)


@pytest.mark.django_db
def test_round_trip_through_kafka_keeps_each_apps_order(kafka, client, make_key):
    keys = {app: make_key(app=app) for app in ("web", "api", "worker")}
    _send(client, keys, per_app=1000)

    processor = Processor(consumer=KafkaConsumer(kafka), write=write_envelopes, batch_lines=700, max_wait=0.2)
    try:
        _drain(processor, 3000)
    finally:
        processor.consumer.close()

    _assert_each_line_once(3000)
    for app in keys:
        in_storage_order = list(LogEntry.objects.filter(attributes__app=app).order_by("id")
                                .values_list("attributes__seq", flat=True))
        assert in_storage_order == list(range(1000)), f"{app} lines out of order"
    assert _committed(kafka) > 0


@pytest.mark.django_db(transaction=True)
def test_two_processors_share_the_work_and_a_survivor_finishes_after_kill_9(kafka, client, make_key, tmp_path):
    env = child_env(tmp_path, **kafka_env(kafka), LOG_LEVEL="DEBUG")
    logs = {name: tmp_path / f"{name}.log" for name in ("victim", "survivor")}
    procs = {}
    for name, path in logs.items():
        with open(path, "wb") as out:
            procs[name] = subprocess.Popen(manage("run_processor", "--batch-lines", "500", "--max-wait", "0.05"),
                                           env=env, stdout=out, stderr=subprocess.STDOUT)
    admin = AdminClient({"bootstrap.servers": kafka.KAFKA_BOOTSTRAP_SERVERS})

    def both_assigned():
        group = admin.describe_consumer_groups([kafka.KAFKA_CONSUMER_GROUP])[kafka.KAFKA_CONSUMER_GROUP].result()
        return len([m for m in group.members if m.assignment.topic_partitions]) == 2

    try:
        wait_for(both_assigned, timeout=60, what="both processors to get partitions", interval=0.5)
        keys = {f"app{i}": make_key(app=f"app{i}") for i in range(8)}  # keys spread over the 4 partitions
        _send(client, keys, per_app=2500, per_request=250)
        total = 8 * 2500
        wait_for(lambda: "batch stored" in logs["victim"].read_text(), what="the victim to store a batch")
        procs["victim"].send_signal(signal.SIGKILL)
        procs["victim"].wait(timeout=10)
        wait_for(lambda: LogEntry.objects.count() >= total, timeout=90, what="the survivor to store every line")
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=30)

    assert "batch stored" in logs["survivor"].read_text(), "the survivor did no work"
    assert procs["survivor"].returncode == 0
    _assert_each_line_once(total)


@pytest.mark.django_db(transaction=True)
def test_broker_outage_gives_503_never_a_false_202_and_everything_acknowledged_is_stored(
        kafka, make_key, tmp_path):
    port = 19000 + os.getpid() % 500 * 2
    broker_env = {**os.environ, "DEVLOGS_KAFKA_PORT": str(port), "DEVLOGS_KAFKA_DIR": str(tmp_path / "broker")}

    def broker(action):
        subprocess.run([str(ROOT / "scripts" / "kafka.sh"), action], env=broker_env, check=True,
                       stdout=subprocess.DEVNULL, timeout=120)

    broker("start")
    kafka.KAFKA_BOOTSTRAP_SERVERS = f"127.0.0.1:{port}"
    from processing.kafka_admin import ensure_topics

    ensure_topics(kafka)
    key = make_key()
    env = {**kafka_env(kafka), "KAFKA_DELIVERY_TIMEOUT_MS": "3000"}
    acknowledged, refused, seq = set(), 0, 0

    def send(expect=None):
        nonlocal seq, refused
        lines = [{"message": f"line {seq + i}", "attributes": {"seq": seq + i}} for i in range(50)]
        status, body, headers = http_post_logs(address, key, lines)
        if status == 202:
            acknowledged.update(range(seq, seq + 50))
        else:
            assert status == 503 and body["error"]["code"] == "queue_unavailable", (status, body)
            assert headers.get("Retry-After")
            refused += 1
        seq += 50
        if expect is not None:
            assert status == expect, body
        return status

    processor_log = tmp_path / "processor.log"
    try:
        with running_server(tmp_path, **env) as address, open(processor_log, "wb") as out:
            processor = subprocess.Popen(manage("run_processor", "--max-wait", "0.05"),
                                         env=child_env(tmp_path, **env), stdout=out, stderr=subprocess.STDOUT)
            try:
                for _ in range(5):
                    send(expect=202)
                wait_for(lambda: LogEntry.objects.count() == 250, what="lines before the outage to be stored")

                broker("stop")
                for _ in range(3):
                    send(expect=503)

                broker("start")
                wait_for(lambda: send() == 202, timeout=90, what="ingest to recover", interval=0.5)
                for _ in range(5):
                    send(expect=202)
                wait_for(lambda: set(LogEntry.objects.values_list("attributes__seq", flat=True)) >= acknowledged,
                         timeout=90, what="processing to resume and store every acknowledged line")
            finally:
                processor.send_signal(signal.SIGTERM)
                processor.wait(timeout=30)
    finally:
        broker("stop")

    assert refused >= 3
    stored = list(LogEntry.objects.values_list("attributes__seq", flat=True))
    assert len(stored) == len(set(stored)), "a line was stored twice"
    assert acknowledged <= set(stored)


@pytest.mark.django_db(transaction=True)
def test_database_outage_commits_nothing_and_stores_everything_when_it_returns(kafka, client, make_key, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("stops the database server: runs in the PostgreSQL stage of scripts/test.sh")
    _send(client, {"web": make_key()}, per_app=2000, per_request=500)
    pg = str(ROOT / "scripts" / "postgres.sh")
    processor_log = tmp_path / "processor.log"
    connection.close()
    subprocess.run([pg, "stop"], check=True, timeout=60, stdout=subprocess.DEVNULL)
    try:
        with open(processor_log, "wb") as out:
            processor = subprocess.Popen(manage("run_processor", "--max-wait", "0.05"),
                                         env=child_env(tmp_path, **kafka_env(kafka)), stdout=out,
                                         stderr=subprocess.STDOUT)
        try:
            # Three failed writes of the batch it polled: each one a chance to commit wrongly.
            wait_for(lambda: processor_log.read_text().count("retrying") >= 3, timeout=90,
                     what="the processor to retry three times")
            assert _committed(kafka) == 0, "offsets were committed while the database was down"
        finally:
            subprocess.run([pg, "start"], check=True, timeout=120, stdout=subprocess.DEVNULL)
        db.connections.close_all()
        wait_for(lambda: LogEntry.objects.count() == 2000, timeout=120, what="lines stored after the outage")
        wait_for(lambda: _committed(kafka) == 4, timeout=30, what="offsets committed after the outage")
    finally:
        subprocess.run([pg, "start"], check=True, timeout=120, stdout=subprocess.DEVNULL)
        if processor.poll() is None:
            processor.send_signal(signal.SIGTERM)
            processor.wait(timeout=30)
    _assert_each_line_once(2000)


@pytest.mark.django_db
def test_poison_records_go_to_the_dead_letter_topic_and_replay_after_a_fix(kafka, client, make_key):
    key = make_key()
    post_logs(client, key, [{"message": f"before {i}"} for i in range(10)])
    get_producer().publish("1", [b"\x00\x01 not an envelope"], [1])
    post_logs(client, key, [{"message": "trips the writer bug"}])
    post_logs(client, key, [{"message": f"after {i}"} for i in range(10)])

    def buggy_write(envelopes):
        # A writer bug that refuses one kind of line, as a real DataError would.
        if any(line["message"] == "trips the writer bug" for e in envelopes for line in e.lines):
            raise db.DataError("value too long for type character varying(5)")
        return write_envelopes(envelopes)

    processor = Processor(consumer=KafkaConsumer(kafka), write=buggy_write, batch_lines=1000, max_wait=0.2)
    try:
        _drain(processor, 20)
    finally:
        processor.consumer.close()

    letters = list_dead_letters()
    assert sorted(letter.error.split(":")[0] for letter in letters) == ["undecodable", "write failed"]
    assert all(letter.source.startswith(kafka.KAFKA_TOPIC) and "@" in letter.source for letter in letters)
    assert sorted(LogEntry.objects.values_list("message", flat=True))[:1] == ["after 0"]

    assert replay_dead_letters() == 2  # after the fix: the normal writer
    fixed = Processor(consumer=KafkaConsumer(kafka), write=write_envelopes, batch_lines=1000, max_wait=0.2)
    try:
        _drain(fixed, 21)
    finally:
        fixed.consumer.close()
    assert LogEntry.objects.filter(message="trips the writer bug").count() == 1
    assert replay_dead_letters() == 1  # the undecodable one came back and was set aside again
    assert all(letter.replayed for letter in list_dead_letters()[:2])


@pytest.mark.django_db
def test_publish_to_an_unreachable_broker_fails_fast_enough_and_says_so(kafka, client, make_key):
    kafka.KAFKA_BOOTSTRAP_SERVERS = "127.0.0.1:1"  # nothing listens there
    kafka.KAFKA_DELIVERY_TIMEOUT_MS = 1500
    producer = KafkaProducer(kafka, topic=f"nowhere-{uuid.uuid4().hex}")
    started = time.monotonic()
    from processing.queue import QueueUnavailable

    try:
        with pytest.raises(QueueUnavailable):
            producer.publish("1", [b"x"], [1])
    finally:
        producer.close()
    assert time.monotonic() - started < 10
