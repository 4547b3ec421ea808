"""Lines sent are the lines found: ingest → queue → processor → database → query API."""

import orjson
import pytest

from logs.models import LogEntry
from tests.conftest import assert_error, get_logs, post_logs

# The pipeline's guarantees hold on every queue backend (Kafka's own run in tests/test_kafka.py).
pytestmark = [pytest.mark.django_db, pytest.mark.parametrize("queue", ["embedded", "redis"], indirect=True)]


def _lines(n, **extra):
    return [{"message": f"line {i}", "level": ["debug", "info", "warn", "error"][i % 4], **extra} for i in range(n)]


@pytest.mark.parametrize("shape", ["object", "array", "ndjson", "gzip-array", "gzip-ndjson"])
def test_every_body_shape_stores_exactly_what_was_sent(shape, client, key, queue, drain):
    lines = _lines(1 if shape == "object" else 25, service="api")
    if shape == "object":
        response = post_logs(client, key, lines[0])
    elif shape.endswith("array"):
        response = post_logs(client, key, lines, encoding="gzip" if shape.startswith("gzip") else None)
    else:
        body = b"\n".join(orjson.dumps(line) for line in lines)
        response = post_logs(client, key, body, content_type="application/x-ndjson",
                             encoding="gzip" if shape.startswith("gzip") else None)
    assert response.status_code == 202, response.content
    assert response.json()["accepted"] == len(lines)

    assert drain() == len(lines)

    assert LogEntry.objects.count() == len(lines)
    assert sorted(LogEntry.objects.values_list("message", flat=True)) == sorted(line["message"] for line in lines)


def test_every_field_survives_the_trip(client, key, queue, drain):
    sent = {"message": "payment failed: café ☕", "timestamp": "2026-11-29T10:00:00.123456Z", "level": "ERR",
            "service": "billing", "host": "web-7", "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
            "span_id": "00f067aa0ba902b7", "attributes": {"user_id": 42, "tags": ["a", "b"], "nested": {"x": None}},
            "order": "A-17"}
    assert post_logs(client, key, sent).status_code == 202
    drain()

    [entry] = get_logs(client, key).json()["results"]
    assert entry["message"] == sent["message"]
    assert entry["time"] == "2026-11-29T10:00:00.123456Z"
    assert entry["level"] == "error"
    assert entry["app"] == "web"
    assert (entry["service"], entry["host"], entry["trace_id"], entry["span_id"]) == (
        "billing", "web-7", sent["trace_id"], sent["span_id"])
    assert entry["attributes"] == {"user_id": 42, "tags": ["a", "b"], "nested": {"x": None}, "order": "A-17"}
    assert entry["id"] and entry["received_at"]


def test_processing_twice_stores_once(client, key, queue, drain):
    post_logs(client, key, _lines(10))
    messages = queue.poll(max_lines=100, timeout=0)
    from logs.writer import write_envelopes
    from logline.envelope import decode

    envelopes = [decode(m.value) for m in messages]
    write_envelopes(envelopes)
    write_envelopes(envelopes)  # a re-delivery after a crash before the acknowledgement
    assert LogEntry.objects.count() == 10


class TestQueryFilters:
    @pytest.fixture
    def stored(self, client, make_key, queue, drain):
        key = make_key(app="web")
        api = make_key(app="api")
        post_logs(client, key, [
            {"message": "GET /home 200", "level": "info", "timestamp": "2026-11-29T10:00:00Z"},
            {"message": "slow query took 3s", "level": "warn", "timestamp": "2026-11-29T10:01:00Z"},
            {"message": "Timeout talking to db", "level": "error", "timestamp": "2026-11-29T10:02:00Z"},
        ])
        post_logs(client, api, [
            {"message": "api started", "level": "debug", "timestamp": "2026-11-29T09:00:00Z"},
            {"message": "api timeout", "level": "fatal", "timestamp": "2026-11-29T10:03:00Z"},
        ])
        drain()
        return key

    def _messages(self, client, key, **params):
        response = get_logs(client, key, **params)
        assert response.status_code == 200, response.content
        return [entry["message"] for entry in response.json()["results"]]

    def test_newest_first(self, client, stored):
        assert self._messages(client, stored) == ["api timeout", "Timeout talking to db", "slow query took 3s",
                                                  "GET /home 200", "api started"]

    def test_by_app(self, client, stored):
        assert self._messages(client, stored, app="api") == ["api timeout", "api started"]

    def test_by_minimum_level(self, client, stored):
        assert self._messages(client, stored, level="warning") == ["api timeout", "Timeout talking to db",
                                                                   "slow query took 3s"]

    def test_by_time_range(self, client, stored):
        assert self._messages(client, stored, since="2026-11-29T10:01:00Z", until="2026-11-29T10:03:00Z") == [
            "Timeout talking to db", "slow query took 3s"]

    def test_by_text_case_insensitive(self, client, stored):
        assert self._messages(client, stored, q="TIMEOUT") == ["api timeout", "Timeout talking to db"]

    def test_filters_combine(self, client, stored):
        assert self._messages(client, stored, app="web", level="error", q="timeout") == ["Timeout talking to db"]

    def test_cursor_pages_cover_everything_once(self, client, stored):
        seen, cursor = [], None
        for _ in range(10):
            params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            body = get_logs(client, stored, **params).json()
            seen += [entry["message"] for entry in body["results"]]
            cursor = body["next_cursor"]
            if cursor is None:
                break
        assert seen == self._messages(client, stored)

    @pytest.mark.parametrize("params, code, field", [
        ({"level": "loud"}, "invalid_level", "level"),
        ({"since": "yesterday"}, "invalid_since", "since"),
        ({"since": "2026-11-29T11:00:00Z", "until": "2026-11-29T10:00:00Z"}, "invalid_range", "since"),
        ({"limit": "0"}, "invalid_limit", "limit"),
        ({"limit": "abc"}, "invalid_limit", "limit"),
        ({"cursor": "garbage!"}, "invalid_cursor", "cursor"),
        ({"app": "nope"}, "unknown_app", "app"),
    ])
    def test_bad_query_parameters_get_a_clear_error(self, client, stored, params, code, field):
        assert_error(get_logs(client, stored, **params), 400, code, field)


def test_text_filter_matches_wildcard_characters_literally(client, key, queue, drain):
    post_logs(client, key, [{"message": "disk 100% full"}, {"message": "disk 1000 full"},
                            {"message": "user_id missing"}, {"message": "userXid missing"},
                            {"message": "path C:\\temp"}])
    drain()
    found = lambda q: sorted(e["message"] for e in get_logs(client, key, q=q).json()["results"])  # noqa: E731
    assert found("100%") == ["disk 100% full"]
    assert found("user_id") == ["user_id missing"]
    assert found('"C:\\temp"') == ["path C:\\temp"]  # quoted: a colon would start a field


def test_a_retried_request_with_an_idempotency_key_stores_nothing_new(client, key, queue, drain):
    body = [{"message": "no timestamp"}, {"message": "with timestamp", "timestamp": "2026-11-29T10:00:00Z"},
            {"message": "bad", "level": "loud"}, {"message": "after the bad one"}]
    first = post_logs(client, key, body, headers={"Idempotency-Key": "order-17-attempt"})
    drain()
    retry = post_logs(client, key, body, headers={"Idempotency-Key": "order-17-attempt"})
    drain()
    assert first.status_code == retry.status_code == 202
    assert LogEntry.objects.count() == 3
    other = post_logs(client, key, body, headers={"Idempotency-Key": "another-request"})
    drain()
    assert other.status_code == 202 and LogEntry.objects.count() == 6
    unkeyed = [post_logs(client, key, body) for _ in range(2)]
    drain()
    assert all(r.status_code == 202 for r in unkeyed) and LogEntry.objects.count() == 12


def test_an_idempotency_key_reused_with_another_body_is_refused_and_stores_nothing(client, key, queue, drain):
    """Stripe's rule: answering the first receipt would acknowledge lines that are never stored."""
    import gzip

    first = [{"message": "first body"}]
    assert post_logs(client, key, first, headers={"Idempotency-Key": "k"}).status_code == 202
    other = post_logs(client, key, [{"message": "second body"}, {"message": "more"}], headers={"Idempotency-Key": "k"})
    assert_error(other, 422, "idempotency_key_reused", "Idempotency-Key")
    # The same body again, even compressed differently, is the retry it claims to be.
    same = post_logs(client, key, gzip.compress(orjson.dumps(first)), encoding=None,
                     headers={"Idempotency-Key": "k", "Content-Encoding": "gzip"})
    assert same.status_code == 202
    drain()
    assert list(LogEntry.objects.values_list("message", flat=True)) == ["first body"]


def test_a_bad_idempotency_key_is_refused(client, key, queue):
    assert_error(post_logs(client, key, {"message": "m"}, headers={"Idempotency-Key": "x" * 201}), 400,
                 "invalid_idempotency_key", "Idempotency-Key")
    assert_error(post_logs(client, key, {"message": "m"}, headers={"Idempotency-Key": "has space"}), 400,
                 "invalid_idempotency_key", "Idempotency-Key")


def test_a_line_no_store_can_hold_is_refused_alone(client, key, queue, drain):
    """One window of timestamps and one attribute depth for every store: the rest of the batch lands."""
    deep = {"a": 1}
    for _ in range(40):
        deep = {"n": deep}
    body = [{"message": f"good {i}"} for i in range(10)]
    body[3] = {"message": "from the year 2300", "timestamp": "2300-01-01T00:00:00Z"}
    body[6] = {"message": "nested 41 deep", "attributes": deep}
    response = post_logs(client, key, body)
    assert response.status_code == 202
    answer = response.json()
    assert answer["accepted"] == 8
    assert [(r["index"], r["code"], r["field"]) for r in answer["rejected"]] == [
        (3, "timestamp_in_future", "timestamp"), (6, "attributes_too_deep", "attributes")]
    drain()
    assert sorted(LogEntry.objects.values_list("message", flat=True)) == sorted(
        f"good {i}" for i in range(10) if i not in (3, 6))


def test_the_timestamp_window_is_the_servers_clock_plus_two_days(client, key, queue, drain, settings):
    from datetime import datetime, timedelta, timezone

    soon = (datetime.now(timezone.utc) + timedelta(days=1)).isoformat()
    later = (datetime.now(timezone.utc) + timedelta(days=3)).isoformat()
    answer = post_logs(client, key, [{"message": "tomorrow", "timestamp": soon},
                                     {"message": "in three days", "timestamp": later}]).json()
    assert answer["accepted"] == 1 and answer["rejected"][0]["code"] == "timestamp_in_future"
    settings.DEVLOGS_MAX_FUTURE_SECONDS = 0
    assert_error(post_logs(client, key, [{"message": "tomorrow", "timestamp": soon}]), 400, "timestamp_in_future",
                 "timestamp")


def test_trace_and_span_ids_have_one_normal_form(client, key, queue, drain):
    trace = "4BF92F3577B34DA6A3CE929D0E0E4736"
    answer = post_logs(client, key, [
        {"message": "upper", "trace_id": trace, "span_id": " 00F067AA0BA902B7 "},
        {"message": "zeros", "trace_id": "0" * 32, "span_id": "0000000000000000"}]).json()
    assert answer["accepted"] == 2
    drain()
    rows = dict(LogEntry.objects.values_list("message", "trace_id"))
    assert rows == {"upper": trace.lower(), "zeros": ""}
    assert LogEntry.objects.get(message="upper").span_id == "00f067aa0ba902b7"
    for query in (f"trace_id:{trace}", f"trace_id:{trace.lower()}"):
        found = client.get("/api/v1/logs", {"q": query}, HTTP_AUTHORIZATION=f"Bearer {key}").json()["results"]
        assert [e["message"] for e in found] == ["upper"], query
