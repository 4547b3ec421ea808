"""OTLP/HTTP logs: an ExportLogsServiceRequest in, plain records out, OTLP answers back.

Decoding uses the official generated classes from the `opentelemetry-proto` package, for
protobuf bodies and (through protobuf's json_format) for OTLP/JSON. No Django here; the view
is shippers/otlp_view.py and the field mapping is documented in docs/shippers.md.
"""

import base64
import math

import orjson
from google.protobuf import json_format
from google.protobuf.message import DecodeError
from google.rpc import code_pb2, error_details_pb2, status_pb2
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)

from ingest.parsing import BodyError, LineError, loads_body, media_type
from logline.levels import level_name
from shippers.lines import Record, lenient_level

PROTOBUF, JSON = "protobuf", "json"
MEDIA_TYPES = {PROTOBUF: "application/x-protobuf", JSON: "application/json"}
_ENCODINGS = {"application/x-protobuf": PROTOBUF, "application/protobuf": PROTOBUF, "application/json": JSON}

# OTLP/HTTP answers failures with a google.rpc.Status whose code is the gRPC equivalent.
_GRPC_CODES = {400: code_pb2.INVALID_ARGUMENT, 401: code_pb2.UNAUTHENTICATED, 403: code_pb2.PERMISSION_DENIED,
               404: code_pb2.NOT_FOUND, 405: code_pb2.UNIMPLEMENTED, 413: code_pb2.RESOURCE_EXHAUSTED,
               415: code_pb2.UNIMPLEMENTED, 429: code_pb2.RESOURCE_EXHAUSTED, 503: code_pb2.UNAVAILABLE}

# Resource attributes that become our short fields instead of attributes.
SERVICE_KEY, HOST_KEY = "service.name", "host.name"

# OTLP/JSON ids that are not hex become this one-byte id, which the length check then rejects
# with the record (not the whole request) — the same path as a wrong-length protobuf id.
_UNUSABLE_ID = base64.b64encode(b"\xff").decode()


def encoding_for(content_type: str | None) -> str | None:
    """PROTOBUF or JSON for the request's Content-Type; None when it is neither."""
    return _ENCODINGS.get(media_type(content_type))


def answer_encoding(content_type: str | None) -> str:
    """The encoding to answer in: the request's, or JSON when it only looks like JSON."""
    return encoding_for(content_type) or (JSON if "json" in media_type(content_type) else PROTOBUF)


# --- decoding ----------------------------------------------------------------------------------

def decode_request(data: bytes, encoding: str) -> ExportLogsServiceRequest:
    """The request message, or BodyError(400) when the body is not one."""
    request = ExportLogsServiceRequest()
    if encoding == PROTOBUF:
        try:
            request.ParseFromString(data)
        except DecodeError:
            raise BodyError(400, "malformed_protobuf",
                            "The body is not a valid protobuf ExportLogsServiceRequest.", "body") from None
        return request
    document = loads_body(data)
    if not isinstance(document, dict):
        raise BodyError(400, "invalid_body_type", "The body must be a JSON object (an ExportLogsServiceRequest).",
                        "body")
    _hex_ids_to_base64(document)
    try:
        # Unknown fields are ignored, as the OTLP spec asks of receivers (newer senders add fields).
        json_format.ParseDict(document, request, ignore_unknown_fields=True)
    except json_format.ParseError as exc:
        raise BodyError(400, "invalid_otlp_json",
                        f"The body is not an OTLP/JSON ExportLogsServiceRequest: {exc}", "body") from None
    return request


def _items(obj, *names) -> list:
    if isinstance(obj, dict):
        for name in names:
            value = obj.get(name)
            if isinstance(value, list):
                return value
    return []


def _hex_ids_to_base64(document: dict) -> None:
    # OTLP/JSON writes traceId/spanId as hex, where protobuf's JSON mapping expects base64 for
    # bytes; hex digits are valid base64 too, so without this they would decode silently wrong.
    for resource_logs in _items(document, "resourceLogs", "resource_logs"):
        for scope_logs in _items(resource_logs, "scopeLogs", "scope_logs"):
            for log in _items(scope_logs, "logRecords", "log_records"):
                if not isinstance(log, dict):
                    continue
                for name in ("traceId", "trace_id", "spanId", "span_id"):
                    if isinstance(log.get(name), str):
                        try:
                            log[name] = base64.b64encode(bytes.fromhex(log[name])).decode()
                        except ValueError:
                            log[name] = _UNUSABLE_ID


# --- mapping --------------------------------------------------------------------------------------

def any_value(value):
    """An AnyValue as plain JSON-able Python (bytes as base64 text; NaN and infinities as text)."""
    kind = value.WhichOneof("value")
    if kind is None or kind == "string_value_strindex":  # strindex only means something in profiles
        return None
    if kind == "kvlist_value":
        return key_values(value.kvlist_value.values)
    if kind == "array_value":
        return [any_value(item) for item in value.array_value.values]
    if kind == "bytes_value":
        return base64.b64encode(value.bytes_value).decode()
    if kind == "double_value" and not math.isfinite(value.double_value):
        return str(value.double_value)
    return getattr(value, kind)


def key_values(pairs) -> dict:
    return {pair.key: any_value(pair.value) for pair in pairs}


def nest_dotted(flat: dict) -> dict:
    """{"http.request.method": "GET"} → {"http": {"request": {"method": "GET"}}}.

    OpenTelemetry names attributes with dots; the query language walks dots into nested objects
    (`attributes.http.request.method:GET`), so nesting makes them searchable as written. A key
    that clashes with a value already there (`a` = 1 and `a.b` = 2) stays flat, as it came.
    """
    out: dict = {}
    for key in sorted(flat, key=lambda k: k.count(".")):  # shorter keys first: they keep their value
        value = flat[key]
        parts = key.split(".")
        if len(parts) == 1 or not all(parts):
            out[key] = value
            continue
        node = out
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                node = None
                break
            node = child
        if node is None or parts[-1] in node:
            out[key] = value
        else:
            node[parts[-1]] = value
    return out


def _short_text(value) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return orjson.dumps(value).decode()


def _body(value) -> tuple[str, object]:
    """(message, structured body or None): structured bodies are kept whole in attributes too."""
    body = any_value(value)
    if body is None:
        return "", None
    if isinstance(body, str):
        return body, None
    if isinstance(body, (dict, list)):
        return orjson.dumps(body).decode(), body
    if isinstance(body, bool):
        return ("true" if body else "false"), None
    return str(body), None


def severity(number: int, text: str) -> str | None:
    """Our level from SeverityNumber (1-4 trace … 21-24 fatal), else from SeverityText, else None."""
    if 1 <= number <= 24:
        return level_name((number - 1) // 4 * 4 + 1)
    return lenient_level(text) if text else None


def _id(raw: bytes, size: int, name: str) -> str:
    if not any(raw):  # empty or all zeros: the spec's "no id"
        return ""
    if len(raw) != size:
        raise LineError(f"invalid_{name}",
                        f"{name} must be {size} bytes ({2 * size} hex digits in OTLP/JSON), not {len(raw)} bytes.",
                        name)
    return raw.hex()


def _scope(scope) -> dict:
    out = {}
    if scope.name:
        out["name"] = scope.name
    if scope.version:
        out["version"] = scope.version
    attributes = key_values(scope.attributes)
    if attributes:
        out["attributes"] = nest_dotted(attributes)
    return out


def _fields(log, *, resource: dict, scope: dict, service: str | None, host: str | None) -> dict:
    attributes = nest_dotted(key_values(log.attributes))
    if resource:
        attributes["resource"] = resource
    if scope:
        attributes["scope"] = scope
    message, structured = _body(log.body) if log.HasField("body") else ("", None)
    if structured is not None:
        attributes["body"] = structured
    if log.event_name:
        attributes["event_name"] = log.event_name
        message = message or log.event_name
    level = severity(log.severity_number, log.severity_text)
    if log.severity_text and lenient_level(log.severity_text) is None:
        attributes["severity_text"] = log.severity_text
    fields = {"message": message, "service": service, "host": host,
              "trace_id": _id(log.trace_id, 16, "trace_id"), "span_id": _id(log.span_id, 8, "span_id"),
              "attributes": attributes}
    if level is not None:
        fields["level"] = level
    return fields


def records_of(request: ExportLogsServiceRequest, *, received_ns: int) -> list[Record]:
    """Every log record of the request, in order, as a plain record (or the reason it is unusable)."""
    records = []
    for r, resource_logs in enumerate(request.resource_logs):
        resource = key_values(resource_logs.resource.attributes)
        service = _short_text(resource.pop(SERVICE_KEY, None))
        host = _short_text(resource.pop(HOST_KEY, None))
        resource = nest_dotted(resource)
        for s, scope_logs in enumerate(resource_logs.scope_logs):
            scope = _scope(scope_logs.scope)
            for i, log in enumerate(scope_logs.log_records):
                where = f"resourceLogs[{r}].scopeLogs[{s}].logRecords[{i}]"
                ts_ns = log.time_unix_nano or log.observed_time_unix_nano or received_ns
                try:
                    fields = _fields(log, resource=resource, scope=scope, service=service, host=host)
                except LineError as exc:
                    fields = exc
                records.append(Record(fields, ts_ns, where))
    return records


# --- answers --------------------------------------------------------------------------------------

def _encode(message, encoding: str) -> bytes:
    if encoding == JSON:
        return json_format.MessageToJson(message, indent=None).encode()
    return message.SerializeToString()


def export_response(*, rejected: int, message: str, encoding: str) -> bytes:
    """ExportLogsServiceResponse; partial_success only when records were rejected (as the spec asks)."""
    response = ExportLogsServiceResponse()
    if rejected:
        response.partial_success.rejected_log_records = rejected
        response.partial_success.error_message = message
    return _encode(response, encoding)


def status_body(*, http_status: int, code: str, message: str, encoding: str) -> bytes:
    """google.rpc.Status for a failed request; our stable error code rides in an ErrorInfo detail."""
    status = status_pb2.Status(code=_GRPC_CODES.get(http_status, code_pb2.UNKNOWN), message=message)
    status.details.add().Pack(error_details_pb2.ErrorInfo(reason=code, domain="devlogs"))
    return _encode(status, encoding)
