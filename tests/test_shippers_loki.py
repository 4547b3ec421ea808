"""Loki push API: snappy protobuf and JSON pushes are stored entry for entry, mapped as docs/shippers.md says."""

import base64
import gzip
import urllib.error
import urllib.request

import cramjam
import orjson
import pytest

from accounts.models import Tenant
from logline.levels import ERROR, INFO, WARN
from logs.models import LogEntry
from shippers.loki import parse_labels
from shippers.loki_push_pb2 import PushRequest
from tests.conftest import running_server, wait_for

PROTOBUF, JSON = "application/x-protobuf", "application/json"
T0 = 1_700_000_000_987_654_321  # ns; we store microseconds


def push(client, body: bytes, *, key=None, content_type=PROTOBUF, **headers):
    extra = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}
    extra.update({"HTTP_" + name.upper(): value for name, value in headers.items()})
    return client.generic("POST", "/loki/api/v1/push", body, content_type=content_type, **extra)


def protobuf_push(*streams) -> bytes:
    """streams: (labels text, [(ns, line, {metadata})…]) → snappy-compressed PushRequest."""
    request = PushRequest()
    for labels, entries in streams:
        stream = request.streams.add(labels=labels)
        for ns, line, metadata in entries:
            entry = stream.entries.add(line=line)
            entry.timestamp.seconds, entry.timestamp.nanos = divmod(ns, 10**9)
            for name, value in metadata.items():
                entry.structuredMetadata.add(name=name, value=value)
    return bytes(cramjam.snappy.compress_raw(request.SerializeToString()))


def assert_loki_error(response, status, *phrases):
    """Loki's errors are plain text, never our JSON shape."""
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert text.strip() and not text.lstrip().startswith("{")
    for phrase in phrases:
        assert phrase in text, text
    return text


def stored():
    return list(LogEntry.objects.order_by("time", "id"))


def test_protobuf_push_stores_every_entry_with_labels_and_metadata_mapped(client, key, queue, drain):
    body = protobuf_push(
        ('{service_name="checkout", level="error", host="web-1", env="prod", cluster="eu-1"}', [
            (T0, "payment failed", {"trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "user": "u-17"}),
            (T0 + 1000, "retrying", {"level": "warning"}),
        ]),
        ('{job="varlogs", filename="/var/log/app.log"}', [(T0 + 2000, "plain line", {})]),
    )
    response = push(client, body, key=key)
    assert (response.status_code, response.content) == (204, b"")
    drain()

    failed, retrying, plain = stored()
    assert (failed.message, failed.level, failed.service, failed.host) == ("payment failed", ERROR, "checkout", "web-1")
    assert failed.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert failed.attributes == {"env": "prod", "cluster": "eu-1", "user": "u-17"}
    assert int(failed.time.timestamp()) == T0 // 10**9 and failed.time.microsecond == 987654
    # An entry's metadata beats its stream's labels.
    assert (retrying.level, retrying.time.microsecond) == (WARN, 987655)
    assert (plain.service, plain.level, plain.attributes) == ("varlogs", INFO, {"filename": "/var/log/app.log"})


def test_json_push_with_gzip_and_structured_metadata(client, key, queue, drain):
    body = {"streams": [
        {"stream": {"app": "api", "detected_level": "warn", "region": "eu"},
         "values": [[str(T0), "slow request", {"trace_id": "abc123", "route": "/pay"}], [str(T0 + 5000), "second"]]},
        {"stream": {"service": "worker", "level": "unknown"}, "values": [[str(T0 + 9000), "level unknown"]]},
    ]}
    response = push(client, gzip.compress(orjson.dumps(body)), key=key, content_type=JSON, content_encoding="gzip")
    assert response.status_code == 204
    drain()

    slow, second, unknown = stored()
    assert (slow.message, slow.service, slow.level, slow.trace_id) == ("slow request", "api", WARN, "abc123")
    assert slow.attributes == {"region": "eu", "route": "/pay"}
    assert (second.message, second.trace_id, second.attributes) == ("second", "", {"region": "eu"})
    assert second.time.microsecond == 987659
    assert (unknown.level, unknown.attributes) == (INFO, {"level": "unknown"})  # kept, not guessed


def test_legacy_json_with_a_label_string_and_rfc3339_entries(client, key, queue, drain):
    body = {"streams": [{"labels": '{service="legacy", level="error"}',
                         "entries": [{"ts": "2023-11-14T22:13:20.123456Z", "line": "old style"}]}]}
    assert push(client, orjson.dumps(body), key=key, content_type=JSON).status_code == 204
    drain()
    (row,) = stored()
    assert (row.message, row.service, row.level, row.time.microsecond) == ("old style", "legacy", ERROR, 123456)


@pytest.mark.parametrize("text, labels", [
    ("{}", {}),
    (' { a = "1" , b="two" } ', {"a": "1", "b": "two"}),
    (r'{msg="say \"hi\"", path="C:\\temp", nl="a\nb", u="\u00e9"}',
     {"msg": 'say "hi"', "path": "C:\\temp", "nl": "a\nb", "u": "é"}),
    ('{x="a,b}c"}', {"x": "a,b}c"}),
])
def test_label_sets_parse_like_prometheus(text, labels):
    assert parse_labels(text) == labels


@pytest.mark.parametrize("text", ['job="x"', '{job="x"', '{job=x}', '{job="x"} trailing', '{1job="x"}', "{"])
def test_broken_label_sets_are_refused(text):
    with pytest.raises(ValueError):
        parse_labels(text)


def test_bad_entries_are_dropped_the_rest_stored_and_the_answer_is_a_loki_400(client, key, queue, drain):
    body = {"streams": [
        {"stream": {"service": "api"}, "values": [
            [str(T0), "good 1"], ["yesterday", "bad time"], [str(T0 + 1), 42], [str(T0 + 2), "good 2"],
            [str(T0 + 3), "bad meta", {"n": 1}], [str(T0 + 4)]]},
        {"stream": {"service": 7}, "values": [[str(T0), "bad labels"]]},
    ]}
    response = push(client, orjson.dumps(body), key=key, content_type=JSON)
    assert_loki_error(response, 400, "5 of 7 entries rejected", "streams[0].values[1]", "streams[0].values[2]",
                      "streams[0].values[4]: structured metadata must be an object of string values",
                      "streams[0].values[5]", "streams[1].values[0]: stream labels must be an object of string values")
    drain()
    assert [r.message for r in stored()] == ["good 1", "good 2"]


def test_a_protobuf_stream_with_unparseable_labels_is_rejected_and_others_stored(client, key, queue, drain):
    body = protobuf_push(('{broken', [(T0, "lost", {})]), ('{service="ok"}', [(T0, "kept", {})]))
    assert_loki_error(push(client, body, key=key), 400, "1 of 2 entries rejected", "streams[0].entries[0]")
    drain()
    assert [(r.message, r.service) for r in stored()] == [("kept", "ok")]


def test_an_empty_push_is_204_and_stores_nothing(client, key, queue):
    assert push(client, orjson.dumps({"streams": []}), key=key, content_type=JSON).status_code == 204
    assert push(client, protobuf_push(), key=key).status_code == 204
    assert queue.pending_lines() == 0


def snappy_bomb() -> bytes:
    return bytes(cramjam.snappy.compress_raw(b"\0" * (60 * 1024 * 1024)))


@pytest.mark.parametrize("body, content_type, headers, status, phrase", [
    (b"\x00garbage", PROTOBUF, {}, 400, "not snappy-compressed"),
    (b"\xff\xff\xff\xff\xff\xff", PROTOBUF, {}, 400, "not snappy-compressed"),
    (bytes(cramjam.snappy.compress_raw(b"\xff\xff not a push request")), PROTOBUF, {}, 400, "logproto.PushRequest"),
    (b'{"streams": [', JSON, {}, 400, "not valid JSON"),
    (b'[]', JSON, {}, 400, '{"streams": [...]}'),
    (b'{"streams": {"a": 1}}', JSON, {}, 400, '{"streams": [...]}'),
    (b'{"streams": ["x"]}', JSON, {}, 400, "streams[0] must be an object"),
    (b'{"streams": [{"stream": {}, "values": "x"}]}', JSON, {}, 400, "streams[0].values"),
    (b"not gzip", JSON, {"content_encoding": "gzip"}, 400, "not valid gzip"),
    (snappy_bomb(), PROTOBUF, {}, 413, "decompressed body exceeds"),
    (gzip.compress(b" " * (60 * 1024 * 1024)), JSON, {"content_encoding": "gzip"}, 413, "decompressed body exceeds"),
    (b"{}", "text/csv", {}, 415, "application/x-protobuf"),
])
def test_malformed_pushes_get_a_plain_text_loki_error_and_nothing_is_queued(
        client, key, queue, body, content_type, headers, status, phrase):
    assert_loki_error(push(client, body, key=key, content_type=content_type, **headers), status, phrase)
    assert queue.pending_lines() == 0
    assert push(client, protobuf_push(('{a="b"}', [(T0, "after", {})])), key=key).status_code == 204


def test_a_push_without_content_type_is_taken_for_protobuf_like_loki(client, key, queue, drain):
    response = client.generic("POST", "/loki/api/v1/push", protobuf_push(('{a="b"}', [(T0, "untyped", {})])),
                              content_type="", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 204
    drain()
    assert [r.message for r in stored()] == ["untyped"]


def test_timestamps_outside_what_we_store_are_rejected(client, key, queue):
    body = {"streams": [{"stream": {}, "values": [["999999999999999999999", "far future"]]}]}
    assert_loki_error(push(client, orjson.dumps(body), key=key, content_type=JSON), 400, "outside 1970..9999")


def test_too_many_entries_is_413(client, key, queue, settings):
    settings.DEVLOGS_MAX_LINES_PER_REQUEST = 2
    body = protobuf_push(('{a="b"}', [(T0, "1", {}), (T0, "2", {}), (T0, "3", {})]))
    assert_loki_error(push(client, body, key=key), 413, "at most 2")


def test_missing_wrong_and_read_only_keys(client, make_key, queue):
    key, reader = make_key(), make_key(scopes=["read"])
    body = protobuf_push(('{a="b"}', [(T0, "x", {})]))
    assert_loki_error(push(client, body), 401)
    assert_loki_error(push(client, body, key=key + "x"), 401)
    assert_loki_error(push(client, body, key=reader), 403, "ingest")
    assert queue.pending_lines() == 0


def test_basic_auth_with_the_key_as_password_as_promtail_sends_it(client, key, queue, drain):
    basic = base64.b64encode(f"tenant-1:{key}".encode()).decode()
    response = client.generic("POST", "/loki/api/v1/push", protobuf_push(('{a="b"}', [(T0, "basic", {})])),
                              content_type=PROTOBUF, HTTP_AUTHORIZATION=f"Basic {basic}",
                              HTTP_X_SCOPE_ORGID="ignored")
    assert response.status_code == 204
    drain()
    assert [r.message for r in stored()] == ["basic"]


def test_tenants_are_isolated(client, make_key, queue, drain):
    acme, globex = make_key(tenant="acme"), make_key(tenant="globex")
    assert push(client, protobuf_push(('{a="b"}', [(T0, "for acme", {})])), key=acme).status_code == 204
    body = {"streams": [{"stream": {}, "values": [[str(T0), "for globex"]]}]}
    assert push(client, orjson.dumps(body), key=globex, content_type=JSON).status_code == 204
    drain()
    assert {r.message: r.tenant_id for r in stored()} == {"for acme": Tenant.objects.get(slug="acme").id,
                                                          "for globex": Tenant.objects.get(slug="globex").id}


def test_quota_and_queue_failures_answer_429_and_503_with_retry_after(client, make_key, queue, monkeypatch):
    from processing import queue as queue_module
    from processing.queue import QueueUnavailable

    key = make_key(tenant="acme")
    Tenant.objects.filter(slug="acme").update(ingest_lines_per_second=2, ingest_bytes_per_day=None)
    many = protobuf_push(('{a="b"}', [(T0 + i, f"line {i}", {}) for i in range(10)]))
    assert push(client, many, key=key).status_code == 204  # a burst runs into debt
    limited = push(client, protobuf_push(('{a="b"}', [(T0, "one more", {})])), key=key)
    assert_loki_error(limited, 429)
    assert int(limited["Retry-After"]) >= 1

    class BrokenQueue:
        def publish(self, key, values, lines):
            raise QueueUnavailable("disk full")

    Tenant.objects.filter(slug="acme").update(ingest_lines_per_second=None)
    monkeypatch.setattr(queue_module, "_producer", BrokenQueue())
    down = push(client, protobuf_push(('{a="b"}', [(T0, "lost?", {})])), key=key)
    assert_loki_error(down, 503, "nothing was accepted")
    assert down["Retry-After"] == "5"
    monkeypatch.setattr(queue_module, "_producer", None)


def raw_post(address: str, body: bytes, headers: dict) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(f"http://{address}/loki/api/v1/push", data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


@pytest.mark.live
def test_a_real_server_stores_pushes_refuses_bad_ones_in_loki_shape_and_keeps_serving(
        transactional_db, tmp_path, make_key):
    key = make_key()
    auth = {"Authorization": f"Bearer {key}"}
    with running_server(tmp_path, DEVLOGS_MAX_BODY_BYTES=64 * 1024) as server:
        for body, headers, status in [
            (b"\x00garbage", {**auth, "Content-Type": PROTOBUF}, 400),
            (b'{"streams": [', {**auth, "Content-Type": JSON}, 400),
            (b"x" * (65 * 1024), {**auth, "Content-Type": PROTOBUF}, 413),  # refused before Django reads it
            (protobuf_push(('{a="b"}', [(T0, "no key", {})])), {"Content-Type": PROTOBUF}, 401),
        ]:
            got, response_headers, content = raw_post(server, body, headers)
            assert (got, response_headers["Content-Type"].split(";")[0]) == (status, "text/plain"), content[:200]
            assert content.strip() and not content.startswith(b"{")

        body = protobuf_push(('{service_name="edge", level="warn"}', [(T0 + i, f"live {i}", {}) for i in range(50)]))
        got, _, content = raw_post(server, body, {**auth, "Content-Type": PROTOBUF})
        assert (got, content) == (204, b"")
        wait_for(lambda: LogEntry.objects.count() == 50, timeout=60, what="50 stored entries")
    rows = stored()
    assert [r.message for r in rows] == [f"live {i}" for i in range(50)]
    assert {(r.service, r.level) for r in rows} == {("edge", WARN)}
