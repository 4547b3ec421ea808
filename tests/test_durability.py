"""Nothing acknowledged is lost, nothing is stored twice: across idle processors, crashes and kill -9."""

import signal
import subprocess
import time

import pytest

from logs.models import LogEntry
from logs.writer import write_envelopes
from processing.embedded_queue import EmbeddedQueue
from processing.processor import Processor
from tests.conftest import child_env, manage, post_logs

ROOT_TIMEOUT = 60


def _send(client, key, total, per_request=500):
    for start in range(0, total, per_request):
        batch = [{"message": f"line {i}", "attributes": {"i": i}} for i in range(start, start + per_request)]
        response = post_logs(client, key, batch)
        assert response.status_code == 202, response.content


def _wait_for(predicate, timeout=ROOT_TIMEOUT, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def _assert_exactly(n):
    assert LogEntry.objects.count() == n
    assert LogEntry.objects.values("event_id").distinct().count() == n
    indexes = sorted(LogEntry.objects.values_list("attributes__i", flat=True))
    assert indexes == list(range(n))


def _processor(tmp_path, *extra_args, **env):
    return subprocess.Popen(manage("run_processor", "--batch-lines", "500", "--max-wait", "0.05", *extra_args),
                            env=child_env(tmp_path, **env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


@pytest.mark.django_db(transaction=True)
def test_lines_accepted_while_no_processor_runs_are_stored_when_one_starts(client, key, queue, tmp_path):
    _send(client, key, 3000)
    assert queue.pending_lines() == 3000
    assert LogEntry.objects.count() == 0

    proc = _processor(tmp_path)
    try:
        _wait_for(lambda: LogEntry.objects.count() == 3000, what="all lines stored")
    finally:
        proc.send_signal(signal.SIGTERM)
        output = proc.communicate(timeout=30)[0].decode()
    assert proc.returncode == 0, output
    assert "stopped after 3000 lines" in output
    _assert_exactly(3000)
    assert queue.pending_lines() == 0


@pytest.mark.django_db(transaction=True)
def test_processor_killed_mid_stream_and_restarted_stores_each_line_once(client, key, queue, tmp_path):
    total = 20_000
    _send(client, key, total)
    victim = _processor(tmp_path, DEVLOGS_QUEUE_VISIBILITY_SECONDS="1")
    try:
        _wait_for(lambda: LogEntry.objects.count() > 0, what="the first batch")
    finally:
        victim.kill()  # SIGKILL: no clean-up, claims left dangling
        victim.wait(timeout=10)
    stored_at_kill = LogEntry.objects.count()

    survivor = _processor(tmp_path, DEVLOGS_QUEUE_VISIBILITY_SECONDS="1")
    try:
        _wait_for(lambda: queue.pending_lines() == 0 and LogEntry.objects.count() == total,
                  what="the restarted processor to finish")
    finally:
        survivor.send_signal(signal.SIGTERM)
        survivor.communicate(timeout=30)
    assert 0 < stored_at_kill <= total
    _assert_exactly(total)


@pytest.mark.django_db
def test_crash_between_database_commit_and_acknowledgement_redelivers_without_duplicates(client, key, queue):
    _send(client, key, 1000, per_request=100)

    class CrashOnCommit(EmbeddedQueue):
        def commit(self, messages):
            raise KeyboardInterrupt("process dies after the database commit")

    crashing = CrashOnCommit(queue.path, visibility_seconds=0.2)
    with pytest.raises(KeyboardInterrupt):
        Processor(consumer=crashing, write=write_envelopes, batch_lines=400, max_wait=0).run_once()
    assert 0 < LogEntry.objects.count() < 1000

    restarted = Processor(consumer=EmbeddedQueue(queue.path, visibility_seconds=0.2), write=write_envelopes,
                          batch_lines=400, max_wait=0)
    # The dead processor's claim expires (0.2 s), then the restarted one takes its messages.
    _wait_for(lambda: restarted.run_once() >= 0 and queue.pending_lines() == 0, what="the queue drained")
    _assert_exactly(1000)


@pytest.mark.django_db
def test_poison_message_goes_to_dead_letters_and_neighbours_are_stored(client, key, queue):
    _send(client, key, 200, per_request=100)
    from accounts.models import ApiKey
    from logline.envelope import Envelope, encode

    app = ApiKey.objects.get().app
    unwritable = encode(Envelope(tenant_id=app.tenant_id, app_id=app.id, received_ns=0, lines=[
        {"id": "not-a-uuid", "ts": 0, "level": 9, "message": "m", "service": "", "host": "", "trace_id": "",
         "span_id": "", "attributes": {}}]))
    queue.publish("1", [b'{"v": 1, "tenant": "x"}', b"\xff not json", unwritable], [1, 1, 1])
    _send(client, key, 100, per_request=100)  # lines 0..99 again: same content, new event ids
    processor = Processor(consumer=queue, write=write_envelopes, batch_lines=10_000, max_wait=0)
    while queue.pending_lines():
        processor.run_once()
    assert LogEntry.objects.count() == 300
    dead = queue.dead_letters()
    assert [d["value"] for d in dead] == [b'{"v": 1, "tenant": "x"}', b"\xff not json", unwritable]
    # A line the store could not hold (an id that is no UUID) is found invalid before any write.
    assert [d["error"].split(":")[0] for d in dead] == ["undecodable", "undecodable", "undecodable"]
    assert processor.stats.dead_letters == 3


@pytest.mark.django_db(transaction=True)
def test_a_message_for_an_app_that_does_not_exist_is_dead_lettered_as_unknown_app(client, key, queue):
    from accounts.models import ApiKey
    from processing.app_directory import AppDirectory
    from logline.envelope import Envelope, encode

    _send(client, key, 100, per_request=100)
    app = ApiKey.objects.get().app
    line = {"id": "01a229c6-0000-7000-8000-000000000001", "ts": 1, "level": 20, "message": "m", "service": "",
            "host": "", "trace_id": "", "span_id": "", "attributes": {}}
    queue.publish("1", [encode(Envelope(tenant_id=app.tenant_id, app_id=app.id + 1000, received_ns=0, lines=[line])),
                        encode(Envelope(tenant_id=app.tenant_id + 1000, app_id=app.id, received_ns=0, lines=[line]))],
                  [1, 1])
    processor = Processor(consumer=queue, write=write_envelopes, known_app=AppDirectory().known, max_wait=0)
    while queue.pending_lines():
        processor.run_once()
    assert LogEntry.objects.count() == 100 and not LogEntry.objects.filter(message="m").exists()
    assert [d["error"].split(":")[0] for d in queue.dead_letters()] == ["unknown_app", "unknown_app"]


@pytest.mark.django_db(transaction=True)  # a retry closes the connections
def test_a_bug_in_our_code_is_retried_and_never_dead_letters_healthy_lines(client, key, queue, caplog):
    _send(client, key, 100, per_request=100)
    calls = {"n": 0}

    def buggy_then_fixed(envelopes):
        calls["n"] += 1
        if calls["n"] <= 2:
            raise KeyError("a bug of ours")
        return write_envelopes(envelopes)

    processor = Processor(consumer=queue, write=buggy_then_fixed, max_wait=0, backoff_initial=0.01)
    while queue.pending_lines():
        processor.run_once()
    _assert_exactly(100)
    assert queue.dead_letters() == [] and processor.stats.retries == 2
    assert "KeyError: 'a bug of ours'" in caplog.text  # with its traceback


@pytest.mark.django_db(transaction=True)
def test_database_outage_retries_without_acknowledging(client, key, queue, monkeypatch):
    from django import db

    _send(client, key, 100, per_request=100)
    failures = {"left": 3}

    def flaky_write(envelopes):
        if failures["left"]:
            failures["left"] -= 1
            raise db.OperationalError("connection refused")  # what psycopg raises while PostgreSQL is down
        return write_envelopes(envelopes)

    processor = Processor(consumer=queue, write=flaky_write, batch_lines=1000, max_wait=0, backoff_initial=0.01)
    assert processor.run_once() == 100
    assert processor.stats.retries == 3
    assert LogEntry.objects.count() == 100
    assert queue.pending_lines() == 0
