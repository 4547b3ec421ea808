"""Bad input gets a clear JSON error with the right status, and the server keeps serving."""

import gzip

import orjson
import pytest

from logs.models import LogEntry
from tests.conftest import assert_error, post_logs

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def still_serving(client, key, queue, drain):
    """After each bad request, a good one is accepted and stored."""
    yield
    response = post_logs(client, key, {"message": "still here"})
    assert response.status_code == 202
    drain()
    assert LogEntry.objects.filter(message="still here").count() == 1


def test_malformed_json(client, key):
    body = assert_error(post_logs(client, key, b'{"message": "x",'), 400, "malformed_json", "body")
    assert "line 1" in body["error"]["message"]


def test_wrong_content_type(client, key):
    assert_error(post_logs(client, key, b"message=hi", content_type="application/x-www-form-urlencoded"),
                 415, "unsupported_media_type", "Content-Type")


def test_empty_body(client, key):
    assert_error(post_logs(client, key, b""), 400, "empty_body", "body")


def test_body_over_the_limit(client, key, settings):
    settings.DEVLOGS_MAX_BODY_BYTES = 2048
    assert_error(post_logs(client, key, [{"message": "x" * 100}] * 30), 413, "body_too_large", "body")


def test_gzip_bomb(client, key, settings):
    settings.DEVLOGS_MAX_DECOMPRESSED_BYTES = 1024 * 1024
    bomb = b'[{"message": "' + b"A" * 20_000_000 + b'"}]'
    response = post_logs(client, key, gzip.compress(bomb), headers={"Content-Encoding": "gzip"})
    assert_error(response, 413, "decompressed_too_large", "body")


def test_too_many_lines(client, key, settings):
    settings.DEVLOGS_MAX_LINES_PER_REQUEST = 10
    assert_error(post_logs(client, key, [{"message": "m"}] * 11), 413, "too_many_lines", "body")


@pytest.mark.parametrize("line, code, field", [
    ({"message": "m", "timestamp": "half past ten"}, "invalid_timestamp", "timestamp"),
    ({"message": "m", "level": "shouting"}, "invalid_level", "level"),
    ({"message": "m", "attributes": ["not", "an", "object"]}, "invalid_attributes", "attributes"),
    ({"message": {"nested": True}}, "invalid_message", "message"),
    ({"level": "info"}, "missing_message", "message"),
])
def test_a_single_invalid_line_is_refused_with_its_field(client, key, line, code, field):
    body = assert_error(post_logs(client, key, line), 400, code, field)
    assert body["error"]["accepted"] == 0


def test_invalid_utf8(client, key):
    assert_error(post_logs(client, key, b'{"message": "\xff\xfe"}'), 400, "invalid_utf8", "body")


def test_wrong_json_type_for_the_body(client, key):
    assert_error(post_logs(client, key, b"[1, 2]"), 400, "no_valid_lines", "body")
    assert_error(post_logs(client, key, b"true"), 400, "invalid_body_type", "body")


def test_partly_valid_request_accepts_the_good_lines_and_names_the_bad(client, key, drain):
    response = post_logs(client, key, [{"message": "ok 1"}, {"message": "bad", "level": 99}, {"message": "ok 2"}])
    assert response.status_code == 202
    body = response.json()
    assert body["accepted"] == 2
    assert body["rejected"] == [{"index": 1, "code": "invalid_level", "field": "level",
                                 "message": "level 99 is not a syslog severity (0-7)"}]
    drain()
    assert sorted(LogEntry.objects.values_list("message", flat=True)) == ["ok 1", "ok 2"]


def test_queue_failure_answers_503_with_retry_after_and_accepts_nothing(client, key, queue, monkeypatch):
    from processing import queue as queue_module
    from processing.queue import QueueUnavailable

    class BrokenQueue:
        def publish(self, key, values, lines):
            raise QueueUnavailable("disk full")

    monkeypatch.setattr(queue_module, "_producer", BrokenQueue())
    response = post_logs(client, key, {"message": "lost?"})
    assert_error(response, 503, "queue_unavailable")
    assert response["Retry-After"] == "5"
    monkeypatch.setattr(queue_module, "_producer", None)


def test_unknown_endpoint_and_method_answer_json(client, key):
    assert_error(client.get("/api/v1/nothing-here"), 404, "not_found")
    assert_error(client.put("/api/v1/logs", orjson.dumps({}), content_type="application/json",
                            HTTP_AUTHORIZATION=f"Bearer {key}"), 405, "method_not_allowed")


@pytest.mark.live
@pytest.mark.django_db(transaction=True)
def test_form_bodies_get_415_from_the_real_server_on_every_ingest_endpoint(make_key, tmp_path):
    """daphne (Twisted) answered a multipart body without a boundary itself: a bare 400, connection closed."""
    import http.client

    from tests.conftest import running_server

    key = make_key()
    body = b'--xyz\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n--xyz--\r\n'
    with running_server(tmp_path) as address:
        for path in ("/api/v1/logs", "/v1/logs", "/otlp/v1/logs", "/loki/api/v1/push", "/es/_bulk", "/api/v1/syslog"):
            for content_type in ("multipart/form-data", "multipart/form-data; boundary=xyz",
                                 "application/x-www-form-urlencoded"):
                conn = http.client.HTTPConnection(*address.split(":"), timeout=10)
                conn.request("POST", path, body=body, headers={"Content-Type": content_type,
                                                               "Authorization": f"Bearer {key}"})
                response = conn.getresponse()
                answer = response.read()
                assert response.status == 415, (path, content_type, response.status, answer[:200])
                assert answer, (path, content_type)
                if path in ("/api/v1/logs", "/es/_bulk", "/api/v1/syslog"):
                    error = orjson.loads(answer)["error"]
                    assert error["type" if path == "/es/_bulk" else "status"] in (415, "media_type_header_exception")
                conn.close()
        # and it still serves
        conn = http.client.HTTPConnection(*address.split(":"), timeout=10)
        conn.request("POST", "/api/v1/logs", body=b'{"message": "served after the forms"}',
                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"})
        assert conn.getresponse().status == 202


def test_ingest_goes_on_for_known_keys_while_the_database_is_down(client, key, make_key, queue, drain, monkeypatch):
    """The queue makes a line safe, not the database: a key verified lately still ingests; a key
    not seen gets 503 + Retry-After (never 500), and nothing of it is accepted."""
    from django import db
    from django.db.backends import utils

    from accounts.keys import api_key_revoke
    from accounts.models import ApiKey

    stranger = make_key(app="never-seen")
    revoked = make_key(app="revoked-before")
    assert post_logs(client, key, [{"message": "before the outage"}]).status_code == 202
    assert post_logs(client, revoked, [{"message": "seen, then revoked"}]).status_code == 202
    api_key_revoke(key=next(k for k in ApiKey.objects.all() if revoked.startswith(k.prefix)))
    assert post_logs(client, revoked, [{"message": "refused"}]).status_code == 401

    def down(*args, **kwargs):
        raise db.OperationalError("connection to server failed: Connection refused")

    monkeypatch.setattr(utils.CursorWrapper, "execute", down)
    monkeypatch.setattr(utils.CursorWrapper, "executemany", down)
    during = post_logs(client, key, [{"message": "during the outage"}])
    assert during.status_code == 202, during.content
    refused = post_logs(client, stranger, [{"message": "unknown key"}])
    assert_error(refused, 503, "database_unavailable")
    assert int(refused["Retry-After"]) > 0
    assert_error(post_logs(client, revoked, [{"message": "revoked"}]), 503, "database_unavailable")
    monkeypatch.undo()

    drain()
    assert sorted(LogEntry.objects.values_list("message", flat=True)) == [
        "before the outage", "during the outage", "seen, then revoked"]


def test_the_server_wide_inflation_budget_refuses_with_503_and_frees_what_it_held(client, key, queue, settings):
    from ingest import inflation

    settings.DEVLOGS_INFLATE_BUDGET_BYTES = 2 * 1024 * 1024
    big = gzip.compress(orjson.dumps([{"message": "x" * 1000}] * 3000))  # ~3 MB inflated, ~20 KB sent
    refused = post_logs(client, key, big, encoding=None, headers={"Content-Encoding": "gzip"})
    assert_error(refused, 503, "server_busy", "body")
    assert refused["Retry-After"] == "1"
    assert inflation.budget.in_flight == 0
    # An older request's bytes in flight count too: with 1.5 MB held by it, 1 MB more is refused.
    older = inflation.budget.open()
    assert inflation.budget.take(older, 1536 * 1024)
    try:
        small = gzip.compress(orjson.dumps([{"message": "y" * 1000}] * 1000))  # ~1 MB inflated
        assert_error(post_logs(client, key, small, encoding=None, headers={"Content-Encoding": "gzip"}),
                     503, "server_busy", "body")
    finally:
        inflation.budget.close(older)
    accepted = post_logs(client, key, small, encoding=None, headers={"Content-Encoding": "gzip"})
    assert accepted.status_code == 202 and accepted.json()["accepted"] == 1000
    assert inflation.budget.in_flight == 0


def test_a_full_inflation_budget_serves_the_oldest_requests_first(settings):
    """Eight bodies inflating side by side fill the budget together: the oldest ones wait for the
    bytes the younger ones give back when refused, instead of every one of them being refused."""
    import threading

    from ingest.inflation import _Budget

    mib = 1024 * 1024
    settings.DEVLOGS_INFLATE_BUDGET_BYTES = 8 * mib
    budget = _Budget()
    tickets = [budget.open() for _ in range(8)]  # in age order
    everyone_holds_a_share = threading.Barrier(8)
    served: dict[int, bool] = {}

    def inflate(ticket):  # a 3 MiB body, a MiB at a time, as ingest.parsing charges it
        ok = budget.take(ticket, mib, wait=0)
        everyone_holds_a_share.wait(timeout=30)
        for _ in range(2):
            ok = ok and budget.take(ticket, mib, wait=30)
            assert budget.in_flight <= 8 * mib
        served[ticket] = ok
        budget.close(ticket)

    threads = [threading.Thread(target=inflate, args=(ticket,)) for ticket in tickets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert served[tickets[0]] and served[tickets[1]], served  # the two oldest fit together (6 of 8 MiB)
    assert not all(served.values())  # 24 MiB asked of 8: the first bytes given back come from a refusal
    assert budget.in_flight == 0


@pytest.mark.live
@pytest.mark.django_db(transaction=True)
def test_the_real_server_answers_long_urls_large_headers_and_stalled_bodies_in_json(make_key, tmp_path):
    """Twisted under daphne closed these connections without a word (or a bare 400)."""
    import asyncio

    import websockets

    from tests.conftest import raw_http as exchange
    from tests.conftest import running_server

    key = make_key()
    with running_server(tmp_path, DEVLOGS_HTTP_IDLE_SECONDS="2") as address:
        status, body = exchange(address, b"GET /api/v1/logs?q=" + b"a" * 32_000 + b" HTTP/1.1\r\nHost: localhost\r\n\r\n")
        assert (status, body["error"]["code"]) == (414, "uri_too_long")
        headers = b"".join(b"X-Filler-%d: %s\r\n" % (i, b"b" * 1000) for i in range(20))
        status, body = exchange(address, b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n" + headers + b"\r\n")
        assert (status, body["error"]["code"]) == (431, "headers_too_large")
        status, body = exchange(address, b"POST /api/v1/logs HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " +
                                key.encode() + b"\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
                                b'[{"message": "half')  # and then nothing
        assert (status, body["error"]["code"]) == (408, "request_timeout")

        async def tail_outlives_the_idle_timeout():
            async with websockets.connect(f"ws://{address}/ws/v1/tail",
                                          additional_headers={"Authorization": f"Bearer {key}"}) as ws:
                with pytest.raises(asyncio.TimeoutError):  # quiet for longer than the idle timeout
                    await asyncio.wait_for(ws.recv(), timeout=3)
                await ws.send('{"type": "ping"}')
                return orjson.loads(await asyncio.wait_for(ws.recv(), timeout=5))["type"]

        assert asyncio.run(tail_outlives_the_idle_timeout()) == "pong"
        # and it still serves
        status, _ = exchange(address, b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        assert status == 200


def test_the_server_fixes_glibcs_mmap_threshold_unless_told_otherwise(monkeypatch):
    """Large freed blocks go back to the system (devlogs/process_memory.py; measured in bench hostile)."""
    from devlogs import process_memory

    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    assert process_memory.return_large_blocks_to_the_system()  # Debian: glibc
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "65536")
    assert not process_memory.return_large_blocks_to_the_system()
    process_memory.trim()  # callable, and harmless
