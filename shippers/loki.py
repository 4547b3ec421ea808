"""Loki's push API: a PushRequest (JSON, or snappy-compressed protobuf) in, plain records out.

No Django here; the view is shippers/loki_view.py and the field mapping is documented in
docs/shippers.md. The protobuf classes come from shippers/loki_push.proto (see its header).
"""

import re

import cramjam
from google.protobuf.message import DecodeError

from ingest.parsing import BodyError, LineError, loads_body, media_type
from logline.timestamps import parse_timestamp
from shippers.lines import Record, check_ts, lenient_level
from shippers.loki_push_pb2 import PushRequest

JSON, PROTOBUF = "json", "protobuf"
# Like Loki, a body without a Content-Type is taken for snappy-compressed protobuf.
_ENCODINGS = {"application/json": JSON, "application/x-protobuf": PROTOBUF, "application/protobuf": PROTOBUF,
              "": PROTOBUF}

# Labels (or structured metadata) that fill our fields, first one present wins; the one used is
# not repeated in attributes. Everything else becomes an attribute.
LEVEL_LABELS = ("level", "severity", "detected_level", "lvl")
SERVICE_LABELS = ("service_name", "service", "app", "application", "job")
HOST_LABELS = ("host", "hostname", "instance")
TRACE_LABELS = ("trace_id", "traceID", "traceId")
SPAN_LABELS = ("span_id", "spanID", "spanId")


def encoding_for(content_type: str | None) -> str | None:
    return _ENCODINGS.get(media_type(content_type))


# --- labels -----------------------------------------------------------------------------------

_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_.]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(,|\})', re.DOTALL)
_ESCAPE = re.compile(r'\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)', re.DOTALL)
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}


def _unescape(text: str) -> str:
    def one(match):
        code = match.group(1)
        if code[0] in "xuU" and len(code) > 1:
            return chr(int(code[1:], 16))
        return _SIMPLE_ESCAPES.get(code, code)
    return _ESCAPE.sub(one, text)


def parse_labels(text: str) -> dict[str, str]:
    """A Prometheus label set as protobuf streams carry it: {job="api", level="error"}."""
    text = text.strip()
    if not text.startswith("{"):
        raise ValueError(f"labels {text[:60]!r} must look like {{name=\"value\", …}}")
    labels, position = {}, 1
    if text[1:].strip() == "}":
        return labels
    while position < len(text):
        match = _LABEL.match(text, position)
        if match is None:
            raise ValueError(f"labels {text[:60]!r} do not parse at character {position}")
        labels[match.group(1)] = _unescape(match.group(2))
        position = match.end()
        if match.group(3) == "}":
            if text[position:].strip():
                raise ValueError(f"labels {text[:60]!r} have text after the closing brace")
            return labels
    raise ValueError(f"labels {text[:60]!r} have no closing brace")


# --- mapping --------------------------------------------------------------------------------------

def _first(values: dict, names) -> str | None:
    for name in names:
        if values.get(name):
            return values.pop(name)
    return None


def entry_fields(labels: dict[str, str], line: str, metadata: dict[str, str]) -> dict:
    """A plain record from a stream's labels, an entry's line and its structured metadata."""
    attributes = {**labels, **metadata}  # an entry's own metadata wins over its stream's labels
    fields = {"message": line}
    level_names = [name for name in LEVEL_LABELS if attributes.get(name)]
    for name in level_names:
        level = lenient_level(attributes[name])
        if level is not None:
            fields["level"] = level
            del attributes[name]
            break
    fields["service"] = _first(attributes, SERVICE_LABELS)
    fields["host"] = _first(attributes, HOST_LABELS)
    fields["trace_id"] = _first(attributes, TRACE_LABELS)
    fields["span_id"] = _first(attributes, SPAN_LABELS)
    fields["attributes"] = attributes
    return fields


def _string_pairs(value, what: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise LineError(f"invalid_{what.replace(' ', '_')}", f"{what} must be an object of string values.", what)
    return value


def _json_ts(value) -> int:
    # Loki's JSON carries nanoseconds as a digit string; numbers and RFC 3339 are taken too.
    if isinstance(value, str) and value.isdigit():
        return check_ts(int(value))
    if isinstance(value, int) and not isinstance(value, bool):
        return check_ts(value)
    try:
        return parse_timestamp(value)
    except ValueError as exc:
        raise LineError("invalid_timestamp", str(exc), "timestamp") from None


def _json_entry(labels: dict, entry, received_ns: int) -> tuple[dict, int]:
    if isinstance(entry, dict):  # the legacy {"ts": "<RFC 3339>", "line": "…"} entries
        entry = [entry.get("ts"), entry.get("line")]
    if not isinstance(entry, list) or len(entry) not in (2, 3):
        raise LineError("invalid_entry", "An entry must be [\"<ns timestamp>\", \"<line>\"] or with a third "
                                         "element of structured metadata.")
    if not isinstance(entry[1], str):
        raise LineError("invalid_message", "The log line (the entry's second element) must be a string.", "message")
    metadata = _string_pairs(entry[2], "structured metadata") if len(entry) == 3 else {}
    ts = received_ns if entry[0] is None else _json_ts(entry[0])
    return entry_fields(labels, entry[1], metadata), ts


def _json_records(data: bytes, received_ns: int) -> list[Record]:
    document = loads_body(data)
    streams = document.get("streams") if isinstance(document, dict) else None
    if not isinstance(streams, list):
        raise BodyError(400, "invalid_push_request", 'The body must be {"streams": [...]}.', "body")
    records = []
    for s, stream in enumerate(streams):
        if not isinstance(stream, dict):
            raise BodyError(400, "invalid_push_request", f"streams[{s}] must be an object.", "body")
        values = stream.get("values", stream.get("entries"))
        if not isinstance(values, list):
            raise BodyError(400, "invalid_push_request", f"streams[{s}].values must be an array of entries.", "body")
        try:
            raw_labels = stream.get("stream", stream.get("labels", {}))
            labels = (parse_labels(raw_labels) if isinstance(raw_labels, str)
                      else dict(_string_pairs(raw_labels, "stream labels")))
            failure = None
        except (ValueError, LineError) as exc:
            failure = exc if isinstance(exc, LineError) else LineError("invalid_labels", str(exc), "stream")
        for e, entry in enumerate(values):
            where = f"streams[{s}].values[{e}]"
            try:
                if failure is not None:
                    raise failure
                fields, ts = _json_entry(labels, entry, received_ns)
            except LineError as exc:
                fields, ts = exc, received_ns
            records.append(Record(fields, ts, where))
    return records


def unsnappy(data: bytes, limit: int) -> bytes:
    """Undo the snappy block compression Loki's protobuf bodies always carry, bounded by `limit`."""
    try:
        size = cramjam.snappy.decompress_raw_len(data)
    except cramjam.DecompressionError as exc:
        raise BodyError(400, "malformed_snappy", f"The body is not snappy-compressed protobuf: {exc}.", "body") \
            from None
    # The block format declares its decompressed size up front: refuse a bomb before inflating.
    if size > limit:
        raise BodyError(413, "decompressed_too_large", f"The decompressed body exceeds {limit} bytes.", "body")
    try:
        return bytes(cramjam.snappy.decompress_raw(data))
    except cramjam.DecompressionError as exc:
        raise BodyError(400, "malformed_snappy", f"The body is not snappy-compressed protobuf: {exc}.", "body") \
            from None


def _protobuf_records(data: bytes, received_ns: int) -> list[Record]:
    request = PushRequest()
    try:
        request.ParseFromString(data)
    except DecodeError:
        raise BodyError(400, "malformed_protobuf", "The body is not a valid logproto.PushRequest.", "body") from None
    records = []
    for s, stream in enumerate(request.streams):
        try:
            labels, failure = parse_labels(stream.labels), None
        except ValueError as exc:
            labels, failure = {}, LineError("invalid_labels", str(exc), "labels")
        for e, entry in enumerate(stream.entries):
            where = f"streams[{s}].entries[{e}]"
            ts = received_ns
            try:
                if failure is not None:
                    raise failure
                if entry.HasField("timestamp"):
                    ts = check_ts(entry.timestamp.seconds * 10**9 + entry.timestamp.nanos)
                metadata = {pair.name: pair.value for pair in entry.structuredMetadata}
                fields = entry_fields(labels, entry.line, metadata)
            except LineError as exc:
                fields, ts = exc, received_ns
            records.append(Record(fields, ts, where))
    return records


def records_of(data: bytes, *, encoding: str, received_ns: int) -> list[Record]:
    """Every entry of the push (protobuf already unsnappied), in order, as a plain record or why it is unusable."""
    if encoding == JSON:
        return _json_records(data, received_ns)
    return _protobuf_records(data, received_ns)
