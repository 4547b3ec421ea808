"""OTLP/HTTP logs: what the OpenTelemetry SDK sends is what is stored, mapped as docs/shippers.md says."""

import base64
import gzip
import urllib.error
import urllib.request

import orjson
import pytest
from google.protobuf import json_format
from google.rpc import code_pb2, error_details_pb2, status_pb2
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)

from accounts.models import Tenant
from logline.levels import DEBUG, ERROR, FATAL, INFO, WARN
from logs.models import LogEntry
from tests.conftest import running_server, wait_for

PROTOBUF, JSON = "application/x-protobuf", "application/json"
TRACE_HEX, SPAN_HEX = "5b8efff798038103d269b633813fc60c", "eee19b7ec3c1b174"
T0 = 1_700_000_000_123_456_789  # ns; we store microseconds


def post(client, body: bytes, *, key=None, content_type=PROTOBUF, path="/v1/logs", **headers):
    extra = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}
    extra.update({"HTTP_" + name.upper(): value for name, value in headers.items()})
    return client.generic("POST", path, body, content_type=content_type, **extra)


def status_of(response) -> tuple[status_pb2.Status, str]:
    """The google.rpc.Status of an error answer, decoded by its Content-Type; and its ErrorInfo reason."""
    status = status_pb2.Status()
    if response["Content-Type"] == JSON:
        json_format.Parse(response.content, status)
    else:
        assert response["Content-Type"] == PROTOBUF
        status.ParseFromString(response.content)
    info = error_details_pb2.ErrorInfo()
    assert status.details[0].Unpack(info)
    assert status.message
    return status, info.reason


def kv(key, **value):
    return {"key": key, "value": value}


def json_request(*records, resource=None, scope=None) -> bytes:
    return orjson.dumps({"resourceLogs": [{
        "resource": {"attributes": resource if resource is not None else [kv("service.name", stringValue="api")]},
        "scopeLogs": [{"scope": scope or {"name": "shop.checkout", "version": "2.1"}, "logRecords": list(records)}],
    }]})


def protobuf_request(*bodies: str, span_ids=None) -> bytes:
    request = ExportLogsServiceRequest()
    resource_logs = request.resource_logs.add()
    resource_logs.resource.attributes.add(key="service.name").value.string_value = "billing"
    scope_logs = resource_logs.scope_logs.add()
    for index, body in enumerate(bodies):
        record = scope_logs.log_records.add(time_unix_nano=T0 + index * 1000, severity_number=9)
        record.body.string_value = body
        if span_ids:
            record.trace_id = bytes.fromhex(TRACE_HEX)
            record.span_id = span_ids[index]
    return request.SerializeToString()


def stored():
    return list(LogEntry.objects.order_by("time", "id"))


# --- through the OpenTelemetry SDK and its OTLP/HTTP exporter, against a real server ------------------

def sdk_pipeline(url: str, key: str, *, compression):
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
    from opentelemetry.sdk.resources import Resource

    results = []

    class RecordingExporter(OTLPLogExporter):
        def export(self, batch):
            result = super().export(batch)
            results.append(result)
            return result

    exporter = RecordingExporter(endpoint=url, headers={"Authorization": f"Bearer {key}"}, compression=compression,
                                 timeout=30)
    provider = LoggerProvider(resource=Resource.create({"service.name": "checkout", "host.name": "web-3",
                                                        "deployment.environment": "prod"}))
    provider.add_log_record_processor(BatchLogRecordProcessor(exporter))
    return provider, results


@pytest.mark.live
@pytest.mark.parametrize("path, compressed", [("/v1/logs", True), ("/otlp/v1/logs", False)])
def test_the_sdk_exporter_stores_every_record_with_its_fields(server, make_key, path, compressed):
    from opentelemetry import trace
    from opentelemetry._logs import SeverityNumber
    from opentelemetry.exporter.otlp.proto.http import Compression
    from opentelemetry.sdk._logs.export import LogRecordExportResult
    from opentelemetry.sdk.trace import TracerProvider

    key = make_key()
    provider, results = sdk_pipeline(f"http://{server}{path}", key,
                                     compression=Compression.Gzip if compressed else Compression.NoCompression)
    logger = provider.get_logger("shop.payments", "2.1")
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("pay") as span:
        context = trace.set_span_in_context(span)
        logger.emit(timestamp=T0, severity_number=SeverityNumber.ERROR, severity_text="ERROR",
                    body="payment failed", attributes={"http.status_code": 502, "order.id": "o-17"}, context=context)
        ids = span.get_span_context()
    logger.emit(timestamp=T0 + 1000, severity_number=SeverityNumber.WARN2, body="slow upstream")
    logger.emit(timestamp=T0 + 2000, severity_number=SeverityNumber.DEBUG, body={"cart": {"items": 3}, "ok": True})
    logger.emit(timestamp=T0 + 3000, severity_text="critical", body=42)
    assert provider.force_flush(timeout_millis=30_000)
    assert results and set(results) == {LogRecordExportResult.SUCCESS}

    wait_for(lambda: LogEntry.objects.count() == 4, timeout=60, what="4 stored records")
    rows = stored()
    assert [(r.message, r.level) for r in rows] == [
        ("payment failed", ERROR), ("slow upstream", WARN), ('{"cart":{"items":3},"ok":true}', DEBUG), ("42", FATAL)]
    assert {(r.service, r.host) for r in rows} == {("checkout", "web-3")}
    assert [r.time.timestamp() * 10**6 for r in rows] == [pytest.approx((T0 + i * 1000) // 1000, abs=1)
                                                         for i in range(4)]
    assert rows[0].time.microsecond == 123456
    assert rows[0].trace_id == format(ids.trace_id, "032x") and rows[0].span_id == format(ids.span_id, "016x")
    assert rows[1].trace_id == rows[1].span_id == ""
    first = rows[0].attributes
    assert first["http"] == {"status_code": 502} and first["order"] == {"id": "o-17"}
    assert first["resource"]["deployment"] == {"environment": "prod"}
    assert first["scope"] == {"name": "shop.payments", "version": "2.1"}
    assert rows[2].attributes["body"] == {"cart": {"items": 3}, "ok": True}
    assert "body" not in rows[3].attributes
    provider.shutdown()

    found = urllib.request.urlopen(urllib.request.Request(
        f"http://{server}/api/v1/logs?q=attributes.http.status_code:>=500%20service:checkout",
        headers={"Authorization": f"Bearer {key}"}), timeout=30)
    assert [e["message"] for e in orjson.loads(found.read())["results"]] == ["payment failed"]


@pytest.mark.live
def test_the_sdk_exporter_with_a_wrong_key_fails_and_stores_nothing(server, make_key):
    from opentelemetry.exporter.otlp.proto.http import Compression
    from opentelemetry.sdk._logs.export import LogRecordExportResult

    good = make_key()
    provider, results = sdk_pipeline(f"http://{server}/v1/logs", good + "x", compression=Compression.Gzip)
    provider.get_logger("x").emit(body="refused")
    provider.force_flush(timeout_millis=30_000)
    provider.shutdown()
    assert results and set(results) == {LogRecordExportResult.FAILURE}

    provider, results = sdk_pipeline(f"http://{server}/v1/logs", good, compression=Compression.Gzip)
    provider.get_logger("x").emit(body="accepted")
    assert provider.force_flush(timeout_millis=30_000)
    provider.shutdown()
    wait_for(lambda: LogEntry.objects.exists(), timeout=60, what="the accepted record")
    assert [r.message for r in stored()] == ["accepted"]


def raw_post(address: str, path: str, body: bytes, headers: dict) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(f"http://{address}{path}", data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


@pytest.mark.live
def test_a_real_server_answers_bad_bodies_in_otlp_shape_and_keeps_serving(transactional_db, tmp_path, make_key):
    key = make_key()
    auth = {"Authorization": f"Bearer {key}"}
    bomb = gzip.compress(b"\0" * (3 * 1024 * 1024))
    with running_server(tmp_path, DEVLOGS_MAX_BODY_BYTES=64 * 1024, DEVLOGS_MAX_DECOMPRESSED_BYTES=1024 * 1024) as srv:
        cases = [
            (b"\xff\xffnot protobuf", {**auth, "Content-Type": PROTOBUF}, 400, PROTOBUF, "malformed_protobuf"),
            (b'{"resourceLogs": [', {**auth, "Content-Type": JSON}, 400, JSON, "malformed_json"),
            (bomb, {**auth, "Content-Type": PROTOBUF, "Content-Encoding": "gzip"}, 413, PROTOBUF,
             "decompressed_too_large"),
            (b"x" * (65 * 1024), {**auth, "Content-Type": JSON}, 413, JSON, "body_too_large"),
            (b"x" * (65 * 1024), {**auth, "Content-Type": PROTOBUF}, 413, PROTOBUF, "body_too_large"),
            (protobuf_request("no key"), {"Content-Type": PROTOBUF}, 401, PROTOBUF, "not_authenticated"),
        ]
        for body, headers, status, content_type, reason in cases:
            got, response_headers, content = raw_post(srv, "/v1/logs", body, headers)
            assert (got, response_headers["Content-Type"]) == (status, content_type), (reason, content[:200])
            message = status_pb2.Status()
            json_format.Parse(content, message) if content_type == JSON else message.ParseFromString(content)
            info = error_details_pb2.ErrorInfo()
            assert message.details[0].Unpack(info) and info.reason == reason

        got, headers, content = raw_post(srv, "/v1/logs", protobuf_request("still here"),
                                         {**auth, "Content-Type": PROTOBUF})
        assert (got, headers["Content-Type"], content) == (200, PROTOBUF, b"")
        wait_for(lambda: LogEntry.objects.exists(), timeout=60, what="the good record")
    assert [r.message for r in stored()] == ["still here"]


# --- OTLP/JSON and protobuf by hand ----------------------------------------------------------------------

def test_otlp_json_maps_every_field_as_documented(client, key, queue, drain):
    records = [
        {"timeUnixNano": str(T0), "severityNumber": 17, "severityText": "ERROR", "body": {"stringValue": "boom"},
         "traceId": TRACE_HEX, "spanId": SPAN_HEX,
         "attributes": [kv("http.request.method", stringValue="POST"), kv("http.response.status_code", intValue="503"),
                        kv("retry", boolValue=True), kv("ratio", doubleValue=0.5),
                        kv("tags", arrayValue={"values": [{"stringValue": "a"}, {"intValue": 2}]})]},
        {"observedTimeUnixNano": T0 + 1000, "severityText": "warning", "body": {"kvlistValue": {"values": [
            kv("user", stringValue="u1"), kv("n", intValue=3)]}}},
        {"timeUnixNano": str(T0 + 2000), "severityNumber": 6, "severityText": "FINE-ish", "eventName": "cart.emptied"},
        {"timeUnixNano": str(T0 + 3000), "body": {"bytesValue": base64.b64encode(b"\x00\x01").decode()},
         "traceId": "", "spanId": "0000000000000000"},
    ]
    resource = [kv("service.name", stringValue="shop"), kv("host.name", stringValue="web-1"),
                kv("k8s.pod.name", stringValue="shop-7f9"), kv("k8s.namespace.name", stringValue="prod")]
    scope = {"name": "shop.cart", "version": "1.4", "attributes": [kv("lib.flavour", stringValue="x")]}
    response = post(client, json_request(*records, resource=resource, scope=scope), key=key, content_type=JSON)
    assert (response.status_code, response["Content-Type"], response.json()) == (200, JSON, {})
    drain()

    boom, kvlist, event, raw = stored()
    assert (boom.message, boom.level, boom.service, boom.host) == ("boom", ERROR, "shop", "web-1")
    assert (boom.trace_id, boom.span_id) == (TRACE_HEX, SPAN_HEX)
    assert int(boom.time.timestamp()) == T0 // 10**9 and boom.time.microsecond == 123456
    assert boom.attributes == {
        "http": {"request": {"method": "POST"}, "response": {"status_code": 503}}, "retry": True, "ratio": 0.5,
        "tags": ["a", 2], "resource": {"k8s": {"pod": {"name": "shop-7f9"}, "namespace": {"name": "prod"}}},
        "scope": {"name": "shop.cart", "version": "1.4", "attributes": {"lib": {"flavour": "x"}}}}
    assert (kvlist.message, kvlist.level) == ('{"user":"u1","n":3}', WARN)
    assert kvlist.attributes["body"] == {"user": "u1", "n": 3}
    assert kvlist.time.microsecond == 123457
    assert (event.message, event.level, event.attributes["event_name"]) == ("cart.emptied", DEBUG, "cart.emptied")
    assert event.attributes["severity_text"] == "FINE-ish"
    assert (raw.message, raw.level, raw.trace_id, raw.span_id) == ("AAE=", INFO, "", "")


def test_a_record_without_any_time_gets_the_time_received(client, key, queue, drain):
    response = post(client, json_request({"body": {"stringValue": "when?"}}), key=key, content_type=JSON)
    assert response.status_code == 200
    drain()
    (row,) = stored()
    assert row.time == row.received_at


def test_dotted_keys_that_clash_stay_flat_and_are_not_lost(client, key, queue, drain):
    record = {"body": {"stringValue": "x"}, "attributes": [kv("a.b", intValue=2), kv("a", intValue=1),
                                                           kv("c.", stringValue="odd"), kv("d.e", intValue=4)]}
    assert post(client, json_request(record), key=key, content_type=JSON).status_code == 200
    drain()
    attributes = stored()[0].attributes
    assert (attributes["a"], attributes["a.b"], attributes["c."], attributes["d"]) == (1, 2, "odd", {"e": 4})


def test_protobuf_partial_success_stores_the_good_records_and_counts_the_bad(client, key, queue, drain):
    body = protobuf_request("good 1", "bad span", "good 2",
                            span_ids=[bytes.fromhex(SPAN_HEX), b"\x01\x02\x03", bytes.fromhex(SPAN_HEX)])
    response = post(client, body, key=key)
    assert (response.status_code, response["Content-Type"]) == (200, PROTOBUF)
    answer = ExportLogsServiceResponse.FromString(response.content)
    assert answer.partial_success.rejected_log_records == 1
    assert "logRecords[1]" in answer.partial_success.error_message
    assert "span_id must be 8 bytes" in answer.partial_success.error_message
    drain()
    assert [(r.message, r.service, r.span_id) for r in stored()] == [("good 1", "billing", SPAN_HEX),
                                                                    ("good 2", "billing", SPAN_HEX)]


def test_json_partial_success_names_the_bad_record(client, key, queue, drain):
    body = json_request({"body": {"stringValue": "fine"}},
                        {"body": {"stringValue": "bad trace"}, "traceId": "not-hex"},
                        {"body": {"stringValue": "huge"}, "attributes": [kv("blob", stringValue="x" * 70_000)]})
    response = post(client, body, key=key, content_type=JSON)
    assert response.status_code == 200
    partial = response.json()["partialSuccess"]
    assert partial["rejectedLogRecords"] == "2"  # int64 is a string in OTLP/JSON
    assert "logRecords[1]: trace_id must be 16 bytes" in partial["errorMessage"]
    assert "logRecords[2]: 'attributes' are" in partial["errorMessage"]
    drain()
    assert [r.message for r in stored()] == ["fine"]


def test_when_every_record_is_rejected_the_answer_is_400_and_nothing_is_queued(client, key, queue):
    response = post(client, json_request({"body": {"stringValue": "x"}, "spanId": "abcd"}), key=key,
                    content_type=JSON)
    assert response.status_code == 400
    status, reason = status_of(response)
    assert (status.code, reason) == (code_pb2.INVALID_ARGUMENT, "no_valid_records")
    assert "span_id must be 8 bytes" in status.message
    assert queue.pending_lines() == 0


def test_an_empty_request_is_a_success_that_stores_nothing(client, key, queue):
    response = post(client, b"", key=key)
    assert (response.status_code, response.content) == (200, b"")
    assert post(client, b"{}", key=key, content_type=JSON).json() == {}
    assert queue.pending_lines() == 0


@pytest.mark.parametrize("body, content_type, headers, status, grpc_code, reason", [
    (b"\x0a\xff\xff\xff", PROTOBUF, {}, 400, code_pb2.INVALID_ARGUMENT, "malformed_protobuf"),
    (b"garbage", PROTOBUF, {}, 400, code_pb2.INVALID_ARGUMENT, "malformed_protobuf"),
    (b'{"resourceLogs": [}', JSON, {}, 400, code_pb2.INVALID_ARGUMENT, "malformed_json"),
    (b'[{"resourceLogs": []}]', JSON, {}, 400, code_pb2.INVALID_ARGUMENT, "invalid_body_type"),
    (b'{"resourceLogs": "all of them"}', JSON, {}, 400, code_pb2.INVALID_ARGUMENT, "invalid_otlp_json"),
    (b'{"resourceLogs": [{"scopeLogs": [{"logRecords": [{"timeUnixNano": "yesterday"}]}]}]}', JSON, {}, 400,
     code_pb2.INVALID_ARGUMENT, "invalid_otlp_json"),
    (b'{"resourceLogs": [{"scopeLogs": [{"logRecords": [{"body": {"intValue": [1]}}]}]}]}', JSON, {}, 400,
     code_pb2.INVALID_ARGUMENT, "invalid_otlp_json"),
    (b"not gzip", PROTOBUF, {"content_encoding": "gzip"}, 400, code_pb2.INVALID_ARGUMENT, "malformed_compression"),
    (gzip.compress(b"\0" * (60 * 1024 * 1024)), PROTOBUF, {"content_encoding": "gzip"}, 413,
     code_pb2.RESOURCE_EXHAUSTED, "decompressed_too_large"),
    (b"{}", "text/plain", {}, 415, code_pb2.UNIMPLEMENTED, "unsupported_media_type"),
    (b"{}", JSON, {"content_encoding": "br"}, 415, code_pb2.UNIMPLEMENTED, "unsupported_encoding"),
])
def test_malformed_bodies_get_an_otlp_status_in_the_request_encoding(
        client, key, queue, body, content_type, headers, status, grpc_code, reason):
    response = post(client, body, key=key, content_type=content_type, **headers)
    assert response.status_code == status, response.content[:300]
    expected_type = JSON if content_type == JSON else PROTOBUF
    assert response["Content-Type"] == expected_type
    got, got_reason = status_of(response)
    assert (got.code, got_reason) == (grpc_code, reason)
    assert queue.pending_lines() == 0
    assert post(client, protobuf_request("after"), key=key).status_code == 200


def test_a_body_over_the_limit_is_refused_before_decoding(client, key, queue, settings):
    settings.DEVLOGS_MAX_BODY_BYTES = 1024
    response = post(client, protobuf_request("x" * 2000), key=key)
    assert response.status_code == 413
    assert status_of(response)[1] == "body_too_large"


def test_too_many_records_is_413(client, key, queue, settings):
    settings.DEVLOGS_MAX_LINES_PER_REQUEST = 2
    response = post(client, protobuf_request("a", "b", "c"), key=key)
    assert response.status_code == 413
    assert status_of(response)[1] == "too_many_lines"


@pytest.mark.parametrize("content_type", [PROTOBUF, JSON])
def test_missing_and_wrong_keys_get_401_in_otlp_shape(client, make_key, queue, content_type):
    key = make_key()
    body = protobuf_request("x") if content_type == PROTOBUF else json_request({"body": {"stringValue": "x"}})
    for headers in ({}, {"HTTP_AUTHORIZATION": f"Bearer {key}nope"}, {"HTTP_AUTHORIZATION": "Token abc"}):
        response = client.generic("POST", "/v1/logs", body, content_type=content_type, **headers)
        assert (response.status_code, response["Content-Type"]) == (401, content_type)
        assert response["WWW-Authenticate"].startswith("Bearer")
        status, _ = status_of(response)
        assert status.code == code_pb2.UNAUTHENTICATED
    reader = make_key(scopes=["read"])
    response = post(client, body, key=reader, content_type=content_type)
    assert response.status_code == 403
    assert status_of(response)[0].code == code_pb2.PERMISSION_DENIED
    assert queue.pending_lines() == 0


def test_x_api_key_and_basic_auth_with_the_key_as_password_work(client, key, queue, drain):
    basic = base64.b64encode(f"otel:{key}".encode()).decode()
    assert client.generic("POST", "/v1/logs", protobuf_request("by header"), content_type=PROTOBUF,
                          HTTP_X_API_KEY=key).status_code == 200
    assert client.generic("POST", "/v1/logs", protobuf_request("by basic"), content_type=PROTOBUF,
                          HTTP_AUTHORIZATION=f"Basic {basic}").status_code == 200
    drain()
    assert sorted(r.message for r in stored()) == ["by basic", "by header"]


def test_get_is_405_in_otlp_shape(client, key):
    response = client.get("/v1/logs", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 405
    assert status_of(response)[0].code == code_pb2.UNIMPLEMENTED


def test_tenants_are_isolated(client, make_key, queue, drain):
    acme, globex = make_key(tenant="acme"), make_key(tenant="globex")
    assert post(client, protobuf_request("for acme"), key=acme).status_code == 200
    assert post(client, protobuf_request("for globex"), key=globex, path="/otlp/v1/logs").status_code == 200
    drain()
    by_tenant = {r.message: r.tenant_id for r in stored()}
    assert by_tenant == {"for acme": Tenant.objects.get(slug="acme").id,
                         "for globex": Tenant.objects.get(slug="globex").id}


def test_quota_and_queue_failures_are_retryable_otlp_answers(client, make_key, queue, monkeypatch):
    from processing import queue as queue_module
    from processing.queue import QueueUnavailable

    key = make_key(tenant="acme")
    Tenant.objects.filter(slug="acme").update(ingest_lines_per_second=2, ingest_bytes_per_day=None)
    assert post(client, protobuf_request(*"abcdefghij"), key=key).status_code == 200  # a burst runs into debt
    limited = post(client, protobuf_request("c"), key=key)
    assert limited.status_code == 429 and int(limited["Retry-After"]) >= 1
    assert status_of(limited)[0].code == code_pb2.RESOURCE_EXHAUSTED

    class BrokenQueue:
        def publish(self, key, values, lines):
            raise QueueUnavailable("disk full")

    Tenant.objects.filter(slug="acme").update(ingest_lines_per_second=None)
    monkeypatch.setattr(queue_module, "_producer", BrokenQueue())
    down = post(client, json_request({"body": {"stringValue": "lost?"}}), key=key, content_type=JSON)
    assert (down.status_code, down["Retry-After"], down["Content-Type"]) == (503, "5", JSON)
    assert status_of(down)[0].code == code_pb2.UNAVAILABLE
    monkeypatch.setattr(queue_module, "_producer", None)


def test_the_otlp_exporter_retries_exactly_the_answers_we_mean_as_retry_later():
    """The pinned OpenTelemetry exporter's own classification (429, 502, 503, 504 retried)."""
    from opentelemetry.exporter.otlp.common.http import _is_retryable

    retry_later = {429: "rate_limited", 503: "queue_unavailable"}  # and database_unavailable, server_busy
    final = {400: "malformed", 401: "authentication_failed", 403: "permission_denied", 413: "body_too_large",
             414: "uri_too_long", 415: "unsupported_media_type", 422: "idempotency_key_reused",
             431: "headers_too_large"}
    assert all(_is_retryable(status) for status in retry_later)
    assert not any(_is_retryable(status) for status in final)
