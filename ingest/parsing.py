"""Turn an ingest request body into normalised log lines, or say exactly what is wrong.

Plain Python with no Django: the view hands over bytes and headers, this returns the
lines to queue and the per-line rejections. Whole-body problems raise BodyError with
the HTTP status to answer.
"""

import hashlib
import zlib
from dataclasses import dataclass, field

import orjson

from ingest.inflation import charge
from logline.levels import INFO, parse_level
from logline.timestamps import parse_timestamp

JSON_TYPES = {"application/json", "text/json"}
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")  # a browser form, never log lines
NDJSON_TYPES = {"application/x-ndjson", "application/ndjson", "application/jsonl", "application/jsonlines",
                "application/x-jsonlines", "application/json-seq", "text/plain"}
KNOWN_FIELDS = {"message", "timestamp", "level", "service", "host", "trace_id", "span_id", "attributes"}
# Common spellings from other shippers, read when the canonical field is absent.
ALIASES = {"timestamp": ("@timestamp", "time", "ts"), "message": ("msg",), "level": ("severity",)}
SHORT_FIELDS = {"service": 255, "host": 255, "trace_id": 64, "span_id": 64}
TRUNCATION_MARKER = "… [truncated {} bytes]"


@dataclass(frozen=True)
class Limits:
    max_body_bytes: int = 5 * 1024 * 1024
    max_decompressed_bytes: int = 50 * 1024 * 1024
    max_lines: int = 10_000
    max_message_bytes: int = 64 * 1024
    max_attributes_bytes: int = 64 * 1024
    # One window of timestamps for every store and protocol: from 1970 to this far past receipt
    # (Loki refuses lines 10 minutes ahead by default, VictoriaLogs 2 days).
    max_future_seconds: int = 2 * 24 * 3600
    max_attributes_depth: int = 32  # objects and arrays inside attributes (Elasticsearch stops at 20)


class BodyError(Exception):
    """The request as a whole cannot be used."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field


class LineError(Exception):
    def __init__(self, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


@dataclass
class Rejection:
    index: int
    code: str
    message: str
    field: str | None = None

    def as_dict(self) -> dict:
        return {"index": self.index, "code": self.code, "message": self.message, "field": self.field}


@dataclass
class ParsedBody:
    lines: list[dict] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    truncated: int = 0
    size_bytes: int = 0  # decompressed body: what counts against the daily byte quota
    content_sha256: str = ""  # of the decompressed body, when asked for (Idempotency-Key)


# --- body ------------------------------------------------------------------------------

_INFLATE_CHUNK = 1 << 20


def decompress(body: bytes, encoding: str | None, limit: int) -> bytes | bytearray:
    """Undo Content-Encoding, never producing more than `limit` bytes (gzip bombs stop here).
    Inflated bodies come back as the bytearray they were inflated into: a copy to bytes would
    double the peak for a moment (45 MB more for a 45 MB body)."""
    encoding = (encoding or "identity").strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise BodyError(415, "unsupported_encoding",
                        f"Content-Encoding {encoding!r} is not supported; use gzip, deflate or none.",
                        "Content-Encoding")
    out = bytearray()
    data = body
    wbits = 47 if encoding != "deflate" else 15  # 47: gzip or zlib header, detected
    try:
        while data:
            inflater = zlib.decompressobj(wbits=wbits)
            pending = data
            while not inflater.eof:
                # A chunk at a time, each charged to the server-wide budget before it is kept.
                chunk = inflater.decompress(pending, min(_INFLATE_CHUNK, limit - len(out) + 1))
                pending = inflater.unconsumed_tail
                if not chunk and not pending:
                    break  # the input ended before the stream did
                charge(len(chunk))
                out += chunk
                if len(out) > limit:
                    raise BodyError(413, "decompressed_too_large",
                                    f"The decompressed body exceeds {limit} bytes.", "body")
            if not inflater.eof:
                raise BodyError(400, "malformed_compression", "The compressed body is truncated.", "body")
            data = inflater.unused_data  # concatenated gzip members
    except zlib.error as exc:
        raise BodyError(400, "malformed_compression", f"The body is not valid {encoding}: {exc}.", "body") from None
    return out


def is_blank(data: bytes | bytearray) -> bool:
    """Empty or only whitespace, without the copy `data.strip()` makes."""
    return not data or data.isspace()


def media_type(content_type: str | None) -> str:
    """"application/json; charset=utf-8" → "application/json" (every ingest endpoint reads it so)."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def loads_body(data: bytes) -> object:
    """The body as JSON; BodyError 400 (`invalid_utf8` or `malformed_json`, with where) if it is not."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        code, message = _json_error(exc, data, "The body")
        raise BodyError(400, code, message, "body") from None


def _json_error(exc: orjson.JSONDecodeError, data: bytes, what: str) -> tuple[str, str]:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as ude:
        return "invalid_utf8", f"{what} is not valid UTF-8 (byte {ude.start})."
    return "malformed_json", f"{what} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}."


def split_records(data: bytes, content_type: str | None) -> list:
    """The raw records of a body: parsed values, or LineError for NDJSON lines that do not parse."""
    media = media_type(content_type)
    if media in JSON_TYPES:
        try:
            value = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            if b"\n" in data.strip():
                return _split_ndjson(data)  # NDJSON sent as application/json by some shippers
            code, message = _json_error(exc, data, "The body")
            raise BodyError(400, code, message, "body") from None
        if isinstance(value, list):
            return value
        if isinstance(value, dict):
            return [value]
        raise BodyError(400, "invalid_body_type",
                        f"The body must be a JSON object or an array of objects, not {_json_type(value)}.", "body")
    if media in NDJSON_TYPES:
        return _split_ndjson(data)
    raise BodyError(415, "unsupported_media_type",
                    f"Content-Type {media or '(none)'!r} is not accepted; send application/json (an object or an "
                    "array) or application/x-ndjson (one object per line).", "Content-Type")


def _split_ndjson(data: bytes) -> list:
    records = []
    for raw in data.split(b"\n"):
        if not raw.strip():
            continue
        try:
            records.append(orjson.loads(raw))
        except orjson.JSONDecodeError as exc:
            code, message = _json_error(exc, raw, "This line")
            records.append(LineError(code, message))
    return records


def _json_type(value) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
            type(None): "null"}.get(type(value), "a number")


# --- lines ------------------------------------------------------------------------------

def _take(record: dict, name: str):
    if name in record:
        return record.pop(name)
    for alias in ALIASES.get(name, ()):
        if alias in record:
            return record.pop(alias)
    return None


def _clean_text(text: str) -> str:
    # PostgreSQL text and jsonb cannot hold NUL; keep the line, mark the character.
    return text.replace("\x00", "\ufffd") if "\x00" in text else text


def _clean_json(value):
    if isinstance(value, str):
        return _clean_text(value)
    if isinstance(value, dict):
        return {_clean_text(k): _clean_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean_json(v) for v in value]
    return value


def truncate_message(message: str, max_bytes: int) -> tuple[str, bool]:
    encoded = message.encode("utf-8")
    if len(encoded) <= max_bytes:
        return message, False
    marker = TRUNCATION_MARKER.format(len(encoded) - max_bytes)
    head = encoded[:max_bytes].decode("utf-8", errors="ignore")
    return head + marker, True


def trace_id_form(value: str) -> str:
    """One normal form for trace and span ids on every protocol: lower case, trimmed, and an id of
    only zeros (OTLP's and W3C's "no id") empty, so `trace_id:ABC…` finds what OTLP sent as bytes."""
    value = value.strip().lower()
    return "" if not value.strip("0-") else value


def _deeper_than(value, limit: int) -> bool:
    # Iterative: a hostile 100,000-deep body must not exhaust the stack here.
    stack = [(value, 1)]
    while stack:
        current, depth = stack.pop()
        if depth > limit:
            return True
        children = current.values() if isinstance(current, dict) else current
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def normalise_line(record, *, received_ns: int, limits: Limits) -> tuple[dict, bool]:
    """One raw record → (normalised line without event id, was the message truncated)."""
    if isinstance(record, LineError):
        raise record
    if not isinstance(record, dict):
        raise LineError("invalid_line_type", f"Each line must be a JSON object, not {_json_type(record)}.")
    record = dict(record)
    message = _take(record, "message")
    if message is None:
        raise LineError("missing_message", "The line has no 'message'.", "message")
    if not isinstance(message, str):
        raise LineError("invalid_message", f"'message' must be a string, not {_json_type(message)}.", "message")
    message, truncated = truncate_message(_clean_text(message), limits.max_message_bytes)

    raw_time = _take(record, "timestamp")
    try:
        ts = received_ns if raw_time is None else parse_timestamp(raw_time)
    except ValueError as exc:
        raise LineError("invalid_timestamp", str(exc), "timestamp") from None
    if ts < 0:
        raise LineError("invalid_timestamp", "timestamp must not be before 1970", "timestamp")
    if ts > received_ns + limits.max_future_seconds * 10**9:
        raise LineError("timestamp_in_future",
                        f"timestamp is more than {limits.max_future_seconds} seconds after the server's clock; "
                        "fix the sender's clock or leave 'timestamp' out", "timestamp")

    raw_level = _take(record, "level")
    try:
        level = INFO if raw_level is None else parse_level(raw_level)
    except ValueError as exc:
        raise LineError("invalid_level", str(exc), "level") from None

    line = {"ts": ts, "level": level, "message": message}
    for name, max_len in SHORT_FIELDS.items():
        value = record.pop(name, None)
        if value is None:
            line[name] = ""
            continue
        if not isinstance(value, str):
            raise LineError(f"invalid_{name}", f"'{name}' must be a string, not {_json_type(value)}.", name)
        if len(value) > max_len:
            raise LineError(f"invalid_{name}", f"'{name}' is longer than {max_len} characters.", name)
        line[name] = trace_id_form(_clean_text(value)) if name in ("trace_id", "span_id") else _clean_text(value)

    attributes = record.pop("attributes", None)
    if attributes is None:
        attributes = {}
    elif not isinstance(attributes, dict):
        raise LineError("invalid_attributes", f"'attributes' must be an object, not {_json_type(attributes)}.",
                        "attributes")
    if record:  # unknown top-level fields are kept as attributes; explicit attributes win
        attributes = {**record, **attributes}
    if attributes:
        if _deeper_than(attributes, limits.max_attributes_depth):
            raise LineError("attributes_too_deep",
                            f"'attributes' nest objects and arrays more than {limits.max_attributes_depth} deep.",
                            "attributes")
        encoded = orjson.dumps(attributes)
        if len(encoded) > limits.max_attributes_bytes:
            raise LineError("attributes_too_large",
                            f"'attributes' are {len(encoded)} bytes; the limit is {limits.max_attributes_bytes}.",
                            "attributes")
        if b"\\u0000" in encoded:
            attributes = _clean_json(attributes)
    line["attributes"] = attributes
    return line, truncated


def parse_body(body: bytes, *, content_type: str | None, content_encoding: str | None, received_ns: int,
               limits: Limits, digest: bool = False) -> ParsedBody:
    """The whole request: decompress, split, normalise each line."""
    if len(body) > limits.max_body_bytes:
        raise BodyError(413, "body_too_large", f"The body exceeds {limits.max_body_bytes} bytes.", "body")
    data = decompress(body, content_encoding, limits.max_decompressed_bytes)
    if is_blank(data):
        raise BodyError(400, "empty_body", "The body is empty; send at least one log line.", "body")
    records = split_records(data, content_type)
    size, digest = len(data), hashlib.sha256(data).hexdigest() if digest else ""
    del data, body  # the parsed records are all that is needed now: free the inflated bytes before normalising
    if not records:
        raise BodyError(400, "empty_body", "The body holds no log lines.", "body")
    parsed = normalise_records(records, size_bytes=size, received_ns=received_ns, limits=limits)
    parsed.content_sha256 = digest
    return parsed


@dataclass
class Record:
    """A shipper's record: the plain fields (or why it cannot be used), its own time in ns (the
    default for a line without a timestamp), and how the protocol names it in an error message."""

    fields: dict | LineError
    ts_ns: int
    where: str


def check_count(count: int, *, limits: Limits, noun: str = "lines") -> None:
    """413 for a body with more records than one request may carry; a protocol that can count its
    records before parsing them calls this first."""
    if count > limits.max_lines:
        raise BodyError(413, "too_many_lines",
                        f"The body holds {count} {noun}; at most {limits.max_lines} per request.", "body")


def record_or_rejection(build, *args, **kwargs) -> dict | LineError:
    """A protocol's record built by `build`, or the LineError it raised, for normalise_records to
    reject that record alone."""
    try:
        return build(*args, **kwargs)
    except LineError as exc:
        return exc


def normalise_records(records: list, *, size_bytes: int, received_ns: int, limits: Limits,
                      noun: str = "lines") -> ParsedBody:
    """The one per-line loop every protocol feeds (JSON and NDJSON, syslog, OTLP, Loki, ES bulk):
    each record — a JSON value as sent, a LineError (a line that could not even be read) or a
    Record — becomes a normalised line with its index, or a rejection of that line alone."""
    check_count(len(records), limits=limits, noun=noun)
    parsed = ParsedBody(size_bytes=size_bytes)
    for index, record in enumerate(records):
        where, default_ns = "", received_ns
        if isinstance(record, Record):
            where, default_ns, record = f"{record.where}: ", record.ts_ns, record.fields
        try:
            line, truncated = normalise_line(record, received_ns=default_ns, limits=limits)
        except LineError as exc:
            parsed.rejected.append(Rejection(index, exc.code, where + exc.message, exc.field))
            continue
        line["index"] = index
        parsed.lines.append(line)
        parsed.truncated += truncated
    return parsed
