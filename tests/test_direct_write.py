"""The embedded server's direct writes (processing/direct_write.py): a 202 means the lines are in the
store, or in the queue file when the store could not take them; never neither; never twice."""

import os
import signal
import threading
import time
import urllib.error
import urllib.request

import orjson
import pytest
from django.db import DataError

from accounts.models import App, Tenant
from logs.models import LogEntry
from logs.store import get_store
from processing.direct_write import DirectWriter
from processing.embedded_queue import EmbeddedQueue
from logline.envelope import Envelope, encode
from processing.processor import Processor
from processing.queue import QueueUnavailable
from tests.conftest import running_server, wait_for

pytestmark = pytest.mark.django_db(transaction=True)  # the writer thread has its own connection
NOW_NS = time.time_ns()


@pytest.fixture
def app():
    tenant = Tenant.objects.create(slug="acme", name="Acme")
    return App.objects.create(tenant=tenant, slug="web", name="Web")


def _value(app, first: int, count: int, *, ts: int = NOW_NS) -> bytes:
    lines = [{"id": f"01a229c6-0000-7000-8000-{i:012x}", "ts": ts, "level": 20, "message": f"line {i}",
              "service": "", "host": "", "trace_id": "", "span_id": "", "attributes": {"i": i}}
             for i in range(first, first + count)]
    return encode(Envelope(tenant_id=app.tenant_id, app_id=app.id, received_ns=NOW_NS, lines=lines))


def _indexes() -> list[int]:
    return sorted(LogEntry.objects.values_list("attributes__i", flat=True))


class _FailingProducer(EmbeddedQueue):
    def publish(self, key, values, lines):
        raise QueueUnavailable("disk full")


def test_each_request_returns_once_its_lines_are_stored_and_nothing_is_queued(app, tmp_path):
    queue = EmbeddedQueue(tmp_path / "queue.sqlite3")
    published = []
    writer = DirectWriter(spill=queue, write=get_store().write, publish=published.extend, batch_lines=700)
    seen_on_return = {}

    def send(sender: int):
        for request in range(5):
            first = (sender * 5 + request) * 100
            writer.publish(str(app.id), [_value(app, first, 60), _value(app, first + 60, 40)], [60, 40])
            seen_on_return[first] = LogEntry.objects.filter(attributes__i__gte=first,
                                                            attributes__i__lt=first + 100).count()

    threads = [threading.Thread(target=send, args=(sender,)) for sender in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    writer.close()

    assert set(seen_on_return.values()) == {100}  # stored before publish() returned, every time
    assert _indexes() == list(range(2000))
    assert queue.pending_lines() == 0
    assert sum(len(envelope.lines) for envelope in published) == 2000  # the live feed had them all


def _refusing_poison(envelopes):
    # The store refusing one line (as PostgreSQL refuses a timestamp after 2262) fails its batch.
    if any(line["message"] == "poison" for envelope in envelopes for line in envelope.lines):
        raise DataError("value out of range")
    return get_store().write(envelopes)


def test_what_the_store_refuses_goes_to_the_queue_and_the_processor_stores_the_rest(app, tmp_path):
    queue = EmbeddedQueue(tmp_path / "queue.sqlite3")
    writer = DirectWriter(spill=queue, write=_refusing_poison)
    poison = orjson.loads(_value(app, 10, 1))
    poison["lines"][0]["message"] = "poison"
    writer.publish(str(app.id), [_value(app, 0, 10), orjson.dumps(poison)], [10, 1])
    writer.close()
    assert LogEntry.objects.count() == 0
    assert queue.pending_lines() == 11  # acknowledged, durable, not stored yet

    processor = Processor(consumer=EmbeddedQueue(tmp_path / "queue.sqlite3"), write=_refusing_poison)
    processor.run_once()
    assert _indexes() == list(range(10))  # the good lines, once
    assert [letter["lines"] for letter in queue.dead_letters()] == [1]


def test_a_failing_store_with_a_queue_that_cannot_take_them_refuses_the_request(app, tmp_path):
    def broken(envelopes):
        raise OSError("database is locked")

    writer = DirectWriter(spill=_FailingProducer(tmp_path / "queue.sqlite3"), write=broken)
    with pytest.raises(QueueUnavailable):
        writer.publish(str(app.id), [_value(app, 0, 5)], [5])
    # and the next request is served (the writer thread lives on)
    writer._write = get_store().write
    writer.publish(str(app.id), [_value(app, 5, 5)], [5])
    writer.close()
    assert _indexes() == list(range(5, 10))


def test_after_close_requests_go_to_the_queue(app, tmp_path):
    queue = EmbeddedQueue(tmp_path / "queue.sqlite3")
    writer = DirectWriter(spill=queue, write=get_store().write)
    writer.close()
    writer.publish(str(app.id), [_value(app, 0, 3)], [3])
    assert queue.pending_lines() == 3


def _send_until_killed(address, key, sender: int, acknowledged: list[int], stop: threading.Event):
    request_no = 0
    while not stop.is_set():
        first = (sender * 10_000 + request_no) * 200
        body = orjson.dumps([{"message": f"line {i}", "attributes": {"i": i}} for i in range(first, first + 200)])
        request = urllib.request.Request(f"http://{address}/api/v1/logs", data=body, method="POST",
                                         headers={"Authorization": f"Bearer {key}",
                                                  "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=20) as response:
                if response.status == 202:
                    acknowledged.extend(range(first, first + 200))
        except (urllib.error.URLError, ConnectionError, OSError):
            return  # the server is gone
        request_no += 1


def kill_while_four_clients_send(address, key) -> list[int]:
    """Four clients send to the server until it has acknowledged 4,000 lines, then kill -9 it; the
    `i` attribute of every line it answered 202 for."""
    acknowledged: list[int] = []
    stop = threading.Event()
    senders = [threading.Thread(target=_send_until_killed, args=(address, key, n, acknowledged, stop))
               for n in range(4)]
    for sender in senders:
        sender.start()
    wait_for(lambda: len(acknowledged) >= 4000, timeout=60, interval=0.01, what="4,000 lines acknowledged")
    os.kill(address.pid, signal.SIGKILL)
    stop.set()
    for sender in senders:
        sender.join(timeout=30)
    return acknowledged


@pytest.mark.parametrize("direct", ["1", "0"], ids=["direct writes", "through the queue file"])
def test_server_killed_mid_stream_loses_no_acknowledged_line_and_doubles_none(make_key, tmp_path, direct):
    """kill -9 of the embedded server while 4 clients send: every line it answered 202 for is
    stored after a restart (directly, or from the queue file), each once."""
    key = make_key()
    with running_server(tmp_path, DEVLOGS_EMBEDDED_DIRECT_WRITES=direct) as address:
        acknowledged = kill_while_four_clients_send(address, key)
    assert len(acknowledged) >= 4000

    with running_server(tmp_path, DEVLOGS_EMBEDDED_DIRECT_WRITES=direct):  # the same data and queue files: the queue's processor drains
        wait_for(lambda: set(acknowledged) <= set(_indexes()), timeout=60, what="every acknowledged line stored")
    stored = _indexes()
    assert set(acknowledged) <= set(stored)
    assert len(stored) == len(set(stored))  # nothing twice
    assert LogEntry.objects.values("event_id").distinct().count() == len(stored)
