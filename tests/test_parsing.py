"""Unit tests of the Kafka-free, Django-free ingest core: timestamps, levels, bodies, lines."""

import gzip
import zlib

import orjson
import pytest

from ingest.parsing import BodyError, Limits, decompress, normalise_line, parse_body
from logline.timestamps import parse_timestamp
from logline import levels

RECEIVED = 1_700_000_000_123_456_789
LIMITS = Limits(max_body_bytes=10_000, max_decompressed_bytes=100_000, max_lines=5, max_message_bytes=300,
                max_attributes_bytes=500)


@pytest.mark.parametrize("value, expected", [
    ("2023-11-14T22:13:20Z", 1_700_000_000 * 10**9),
    ("2023-11-14T22:13:20.5Z", 1_700_000_000_500_000_000),
    ("2023-11-14T22:13:20.123456789Z", 1_700_000_000_123_456_789),
    ("2023-11-14T23:13:20+01:00", 1_700_000_000 * 10**9),
    ("2023-11-14T17:13:20-0500", 1_700_000_000 * 10**9),
    ("2023-11-14 22:13:20", 1_700_000_000 * 10**9),
    (1_700_000_000, 1_700_000_000 * 10**9),
    (1_700_000_000.25, 1_700_000_000_250_000_000),
    (1_700_000_000_123, 1_700_000_000_123_000_000),
    (1_700_000_000_123_456, 1_700_000_000_123_456_000),
    (1_700_000_000_123_456_789, 1_700_000_000_123_456_789),
    ("1700000000123", 1_700_000_000_123_000_000),
])
def test_timestamps_in_every_documented_form(value, expected):
    assert parse_timestamp(value) == expected


@pytest.mark.parametrize("value", ["yesterday", "2023-13-01T00:00:00Z", "2023-02-30T00:00:00Z",
                                   "2023-01-01T25:00:00Z", -5, True, None, [1], float("nan"), "10000-01-01T00:00:00Z"])
def test_invalid_timestamps_are_refused_with_a_reason(value):
    with pytest.raises(ValueError) as info:
        parse_timestamp(value)
    assert str(info.value)


@pytest.mark.parametrize("value, expected", [
    ("ERROR", levels.ERROR), ("err", levels.ERROR), ("Warning", levels.WARN), ("warn", levels.WARN),
    ("fatal", levels.FATAL), ("CRITICAL", levels.FATAL), ("debug", levels.DEBUG), ("trace", levels.TRACE),
    ("information", levels.INFO), (3, levels.ERROR), (4, levels.WARN), (0, levels.FATAL), (7, levels.DEBUG),
    ("6", levels.INFO),
])
def test_levels_accept_names_aliases_and_syslog_numbers(value, expected):
    assert levels.parse_level(value) == expected


@pytest.mark.parametrize("value", ["loud", 8, -1, True, 2.5, {"x": 1}])
def test_unknown_levels_are_refused(value):
    with pytest.raises(ValueError):
        levels.parse_level(value)


def _parse(body, content_type="application/json", encoding=None, limits=LIMITS):
    if not isinstance(body, bytes):
        body = orjson.dumps(body)
    return parse_body(body, content_type=content_type, content_encoding=encoding, received_ns=RECEIVED,
                      limits=limits)


def test_one_object_array_and_ndjson_give_the_same_lines():
    line = {"message": "m", "level": "warn", "service": "api"}
    one = _parse(line).lines
    array = _parse([line]).lines
    ndjson = _parse(b'\n{"message": "m", "level": "warn", "service": "api"}\n\n', "application/x-ndjson").lines
    assert one == array == ndjson
    assert one[0]["level"] == levels.WARN and one[0]["service"] == "api"


def test_missing_timestamp_defaults_to_received_time():
    assert _parse({"message": "m"}).lines[0]["ts"] == RECEIVED


def test_unknown_fields_become_attributes_and_explicit_attributes_win():
    line = _parse({"message": "m", "user_id": 42, "region": "eu", "attributes": {"region": "us"}}).lines[0]
    assert line["attributes"] == {"user_id": 42, "region": "us"}


def test_aliases_from_other_shippers():
    line = _parse({"msg": "hello", "@timestamp": "2023-11-14T22:13:20Z", "severity": "error"}).lines[0]
    assert (line["message"], line["ts"], line["level"]) == ("hello", 1_700_000_000 * 10**9, levels.ERROR)


def test_long_messages_are_truncated_with_a_marker_not_dropped():
    parsed = _parse({"message": "é" * 400})
    message = parsed.lines[0]["message"]
    assert parsed.truncated == 1
    assert message.startswith("é" * 150)
    assert "[truncated 500 bytes]" in message


def test_nul_characters_are_replaced_so_postgres_can_store_them():
    line = _parse({"message": "a\x00b", "attributes": {"k\x00": ["v\x00"]}}).lines[0]
    assert line["message"] == "a\ufffdb"
    assert line["attributes"] == {"k\ufffd": ["v\ufffd"]}


@pytest.mark.parametrize("record, code, field", [
    ({"level": "info"}, "missing_message", "message"),
    ({"message": 12}, "invalid_message", "message"),
    ({"message": "m", "timestamp": "noon"}, "invalid_timestamp", "timestamp"),
    ({"message": "m", "level": "loud"}, "invalid_level", "level"),
    ({"message": "m", "attributes": [1, 2]}, "invalid_attributes", "attributes"),
    ({"message": "m", "attributes": "x"}, "invalid_attributes", "attributes"),
    ({"message": "m", "host": 5}, "invalid_host", "host"),
    ({"message": "m", "service": "s" * 300}, "invalid_service", "service"),
    ({"message": "m", "attributes": {"big": "x" * 600}}, "attributes_too_large", "attributes"),
    ("just a string", "invalid_line_type", None),
])
def test_each_bad_line_is_rejected_with_its_index_code_and_field(record, code, field):
    parsed = _parse([{"message": "good"}, record])
    assert len(parsed.lines) == 1
    [rejection] = parsed.rejected
    assert (rejection.index, rejection.code, rejection.field) == (1, code, field)
    assert rejection.message


def test_a_malformed_ndjson_line_is_rejected_alone():
    parsed = _parse(b'{"message": "a"}\n{"message": \n{"message": "c"}\n', "application/x-ndjson")
    assert [line["message"] for line in parsed.lines] == ["a", "c"]
    assert parsed.rejected[0].index == 1 and parsed.rejected[0].code == "malformed_json"


@pytest.mark.parametrize("body, content_type, status, code", [
    (b"", "application/json", 400, "empty_body"),
    (b"   \n", "application/json", 400, "empty_body"),
    (b"[]", "application/json", 400, "empty_body"),
    (b'{"message": ', "application/json", 400, "malformed_json"),
    (b'"a string"', "application/json", 400, "invalid_body_type"),
    (b"42", "application/json", 400, "invalid_body_type"),
    (b'{"message": "caf\xe9"}', "application/json", 400, "invalid_utf8"),
    (b'{"message": "m"}', "application/xml", 415, "unsupported_media_type"),
    (b'{"message": "m"}', None, 415, "unsupported_media_type"),
    (orjson.dumps([{"message": "m"}] * 6), "application/json", 413, "too_many_lines"),
    (b"x" * 10_001, "application/json", 413, "body_too_large"),
])
def test_whole_body_errors(body, content_type, status, code):
    with pytest.raises(BodyError) as info:
        _parse(body, content_type)
    assert (info.value.status, info.value.code) == (status, code)
    assert info.value.message


def test_gzip_and_deflate_bodies_are_accepted():
    body = orjson.dumps([{"message": "zipped"}])
    assert _parse(gzip.compress(body), encoding="gzip").lines[0]["message"] == "zipped"
    assert _parse(zlib.compress(body), encoding="deflate").lines[0]["message"] == "zipped"


def test_gzip_bomb_stops_at_the_decompressed_limit():
    bomb = gzip.compress(b"[" + b" " * 5_000_000 + b"]")
    assert len(bomb) < 10_000
    with pytest.raises(BodyError) as info:
        decompress(bomb, "gzip", 100_000)
    assert (info.value.status, info.value.code) == (413, "decompressed_too_large")


@pytest.mark.parametrize("body, encoding, code, status", [
    (b"not gzip at all", "gzip", "malformed_compression", 400),
    (gzip.compress(b'{"message": "m"}')[:-8], "gzip", "malformed_compression", 400),
    (b"{}", "br", "unsupported_encoding", 415),
])
def test_bad_compression_is_refused(body, encoding, code, status):
    with pytest.raises(BodyError) as info:
        decompress(body, encoding, 100_000)
    assert (info.value.code, info.value.status) == (code, status)


def test_normalise_line_keeps_every_field():
    line, truncated = normalise_line(
        {"message": "m", "timestamp": 1_700_000_000, "level": "error", "service": "api", "host": "web-1",
         "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "span_id": "00f067aa0ba902b7", "attributes": {"a": [1]}},
        received_ns=RECEIVED, limits=LIMITS)
    assert not truncated
    assert line == {"ts": 1_700_000_000 * 10**9, "level": levels.ERROR, "message": "m", "service": "api",
                    "host": "web-1", "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "span_id": "00f067aa0ba902b7",
                    "attributes": {"a": [1]}}


def test_event_ids_are_valid_time_ordered_uuid7s_in_line_order():
    import uuid

    from ingest.event_ids import uuid7_strings

    ids = uuid7_strings(1000, now_ms=1_700_000_000_123)
    parsed = [uuid.UUID(i) for i in ids]
    assert all(u.version == 7 and u.variant == uuid.RFC_4122 for u in parsed)
    assert all(int(u.hex[:12], 16) == 1_700_000_000_123 for u in parsed)
    assert ids == sorted(ids)
    assert len(set(ids)) == 1000
    later = uuid7_strings(1, now_ms=1_700_000_000_124)[0]
    assert later > max(ids)
    assert set(uuid7_strings(1000)).isdisjoint(uuid7_strings(1000))
