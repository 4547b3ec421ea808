"""The Elasticsearch `_bulk` subset: NDJSON action/source pairs in, our records and ES answers out.

Plain Python with no Django, so tests call it directly. The view (shippers/es_views.py) reads
the body, calls `parse_bulk`, turns each source document into a plain record with
`record_from_document`, runs it through ingest.parsing.normalise_line like every other
protocol, and answers with `bulk_response`. Only `index` and `create` store documents; logs
are append-only, so `update` and `delete` get a per-item error.
"""

import hashlib
from dataclasses import dataclass

import orjson

# The version we claim at GET /es/: 8.x makes Vector (api_version auto), Logstash (>= 7.14 checks the
# X-Elastic-Product header instead of the tagline) and the official clients use the typeless API.
ES_VERSION = "8.11.0"
ES_LUCENE_VERSION = "9.8.0"

STORING_ACTIONS = ("index", "create")
ACTIONS_WITH_SOURCE = ("index", "create", "update")
ALL_ACTIONS = ("index", "create", "update", "delete")

# Source fields read into our columns, first match wins. Dotted names also match nested objects
# (`{"log": {"level": "warn"}}` is `log.level`), as Elasticsearch itself treats them.
MESSAGE_FIELDS = ("message", "log", "msg", "event.original")
TIMESTAMP_FIELDS = ("@timestamp", "timestamp", "time", "ts")
LEVEL_FIELDS = ("level", "log.level", "severity", "severity_text", "loglevel")
HOST_FIELDS = ("host.name", "host.hostname", "hostname", "host")
SERVICE_FIELDS = ("service.name", "service")
TRACE_ID_FIELDS = ("trace_id", "trace.id", "traceId")
SPAN_ID_FIELDS = ("span_id", "span.id", "spanId")
INDEX_ATTRIBUTE = "es_index"

_RAND_B_MASK = (1 << 62) - 1


class BulkRequestError(Exception):
    """The request as a whole cannot be used; answered in Elasticsearch's error shape."""

    def __init__(self, status: int, error_type: str, reason: str):
        super().__init__(reason)
        self.status = status
        self.error_type = error_type
        self.reason = reason


@dataclass
class BulkItem:
    """One action of a bulk request, with its source document or the reason it fails."""

    action: str
    index: str | None
    doc_id: str | None
    source: dict | None = None
    status: int = 201
    error_type: str | None = None
    reason: str | None = None

    def fail(self, status: int, error_type: str, reason: str) -> None:
        self.status, self.error_type, self.reason = status, error_type, reason

    @property
    def failed(self) -> bool:
        return self.error_type is not None


def parse_bulk(data: bytes, *, default_index: str | None, max_items: int) -> list[BulkItem]:
    """Pair action and source lines. Whole-request problems raise BulkRequestError."""
    lines = [raw for raw in data.split(b"\n") if raw.strip()]
    if not lines:
        raise BulkRequestError(400, "action_request_validation_exception", "Validation Failed: 1: no requests added;")
    items: list[BulkItem] = []
    position = 0
    while position < len(lines):
        line_number = position + 1
        action, meta = _action(lines[position], line_number)
        position += 1
        index = meta.get("_index", default_index)
        doc_id = meta.get("_id")
        item = BulkItem(action=action, index=None if index is None else str(index),
                        doc_id=None if doc_id is None else str(doc_id))
        if action in ACTIONS_WITH_SOURCE:
            if position >= len(lines):
                raise BulkRequestError(400, "illegal_argument_exception",
                                       f"The [{action}] action on line [{line_number}] has no source line after it.")
            source_line = lines[position]
            position += 1
            if action in STORING_ACTIONS:
                _read_source(item, source_line)
        if action not in STORING_ACTIONS:
            item.fail(400, "illegal_argument_exception", f"The [{action}] action is not supported: devlogs keeps "
                      "logs append-only; use [index] or [create].")
        items.append(item)
        if len(items) > max_items:
            raise BulkRequestError(413, "illegal_argument_exception", f"The request holds more than {max_items} "
                                   f"actions; send at most {max_items} per request.")
    return items


def _action(raw: bytes, line_number: int) -> tuple[str, dict]:
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BulkRequestError(400, "x_content_parse_exception",
                               f"Malformed action/metadata line [{line_number}]: not JSON ({exc.msg}).") from None
    if not isinstance(value, dict) or len(value) != 1:
        raise BulkRequestError(400, "illegal_argument_exception",
                               f"Malformed action/metadata line [{line_number}], expected an object with one of "
                               "[create], [delete], [index] or [update].")
    [(action, meta)] = value.items()
    if action not in ALL_ACTIONS:
        raise BulkRequestError(400, "illegal_argument_exception",
                               f"Malformed action/metadata line [{line_number}], expected field [create], [delete], "
                               f"[index] or [update] but found [{str(action)[:40]}]")
    if not isinstance(meta, dict):
        raise BulkRequestError(400, "illegal_argument_exception", f"Malformed action/metadata line [{line_number}], "
                               f"expected START_OBJECT after [{action}].")
    return action, meta


def _read_source(item: BulkItem, raw: bytes) -> None:
    try:
        source = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        item.fail(400, "mapper_parsing_exception", f"failed to parse: the document is not JSON ({exc.msg}).")
        return
    if not isinstance(source, dict):
        item.fail(400, "mapper_parsing_exception", "failed to parse: the document must be a JSON object.")
        return
    item.source = source


# --- documents → records ------------------------------------------------------------------

def _pop_path(doc: dict, name: str):
    """Remove and return `name` from doc, as a literal key or a path into nested objects; None if absent."""
    if name in doc:
        return doc.pop(name)
    head, dot, rest = name.partition(".")
    if not dot:
        return None
    parent = doc.get(head)
    if not isinstance(parent, dict):
        return None
    value = _pop_path(parent, rest)
    if value is not None and not parent:
        del doc[head]  # do not leave `{"log": {}}` behind in the attributes
    return value


def _first(doc: dict, names: tuple[str, ...], *, want=None):
    """The first of `names` present (of type `want` where given), removed from doc."""
    for name in names:
        value = _peek_path(doc, name)
        if value is None or (want is not None and not isinstance(value, want)):
            continue
        return _pop_path(doc, name)
    return None


def _peek_path(doc: dict, name: str):
    if name in doc:
        return doc[name]
    head, dot, rest = name.partition(".")
    if dot and isinstance(doc.get(head), dict):
        return _peek_path(doc[head], rest)
    return None


def expand_dotted(attributes: dict) -> dict:
    """`{"http.status": 500}` → `{"http": {"status": 500}}`, as Elasticsearch maps dotted names, so the
    query language's `attributes.http.status` finds them. A name that would clash stays as it is."""
    out: dict = {}
    dotted = []
    for key, value in attributes.items():
        if "." in key and not key.startswith(".") and not key.endswith(".") and ".." not in key:
            dotted.append((key, value))
        else:
            out[key] = value
    for key, value in dotted:
        *parents, leaf = key.split(".")
        node = out
        for part in parents:
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            if not isinstance(child, dict):
                node = None
                break
            node = child
        if node is None or leaf in node:
            out[key] = value
        else:
            node[leaf] = value
    return out


def record_from_document(source: dict, *, index: str | None) -> dict:
    """A plain record for normalise_line: our fields from their common spellings, the rest as attributes."""
    doc = orjson.loads(orjson.dumps(source))  # a deep copy: nested objects are edited below
    record: dict = {}
    message = _first(doc, MESSAGE_FIELDS, want=str)
    if message is None:
        message = _first(doc, MESSAGE_FIELDS)  # not a string: normalise_line says so
    if message is not None:
        record["message"] = message
    for name, fields, want in (("timestamp", TIMESTAMP_FIELDS, None), ("level", LEVEL_FIELDS, (str, int)),
                               ("host", HOST_FIELDS, str), ("service", SERVICE_FIELDS, str),
                               ("trace_id", TRACE_ID_FIELDS, str), ("span_id", SPAN_ID_FIELDS, str)):
        value = _first(doc, fields, want=want)
        if value is not None:
            record[name] = value
    explicit = doc.pop("attributes", None)
    attributes = expand_dotted(doc)
    if isinstance(explicit, dict):
        attributes.update(explicit)
    elif explicit is not None:
        attributes["attributes"] = explicit
    if index is not None:
        attributes[INDEX_ATTRIBUTE] = index
    record["attributes"] = attributes
    return record


def document_event_id(*, app_id: int, index: str | None, doc_id: str, ts_ns: int) -> str:
    """A UUIDv7-layout event id fixed by (app, index, _id) and the line's time.

    A shipper that retries a bulk request with the same `_id`s (Fluent Bit's Generate_ID, Logstash's
    document_id, Vector's id_key) then rewrites the same (event_id, time) rows: the database's unique
    index makes the retry a no-op, like a 409 from Elasticsearch.
    """
    ms = (ts_ns // 1_000_000) & 0xFFFF_FFFF_FFFF
    digest = int.from_bytes(hashlib.sha256(f"es\0{app_id}\0{index or ''}\0{doc_id}".encode()).digest()[:10], "big")
    high = (ms << 16) | (0x7 << 12) | (digest >> 68)
    low = (0b10 << 62) | (digest & _RAND_B_MASK)
    text = f"{high:016x}{low:016x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


# --- answers ------------------------------------------------------------------------------------

def item_result(item: BulkItem, *, seq_no: int) -> dict:
    body: dict = {"_index": item.index, "_id": item.doc_id}
    if item.failed:
        body.update(status=item.status, error={"type": item.error_type, "reason": item.reason,
                                               "index": item.index, "id": item.doc_id})
    else:
        body.update(_version=1, result="created", _shards={"total": 1, "successful": 1, "failed": 0},
                    _seq_no=seq_no, _primary_term=1, status=201)
    return {item.action: body}


def bulk_response(items: list[BulkItem], *, took_ms: int) -> dict:
    results, seq_no = [], 0
    for item in items:
        results.append(item_result(item, seq_no=seq_no))
        if not item.failed:
            seq_no += 1
    return {"took": took_ms, "errors": any(item.failed for item in items), "items": results}


def error_body(status: int, error_type: str, reason: str) -> dict:
    """Elasticsearch's whole-request error shape."""
    cause = {"type": error_type, "reason": reason}
    return {"error": {"root_cause": [cause], "type": error_type, "reason": reason}, "status": status}


def cluster_info(*, name: str) -> dict:
    """GET /: what clients read to learn they speak to Elasticsearch 8."""
    return {
        "name": name,
        "cluster_name": "devlogs",
        "cluster_uuid": "ZGV2bG9ncy1lcy1idWxrLTE",
        "version": {
            "number": ES_VERSION,
            "build_flavor": "default",
            "build_type": "tar",
            "build_hash": "devlogs",
            "build_date": "2023-11-04T10:04:57.184859352Z",
            "build_snapshot": False,
            "lucene_version": ES_LUCENE_VERSION,
            "minimum_wire_compatibility_version": "7.17.0",
            "minimum_index_compatibility_version": "7.0.0",
        },
        "tagline": "You Know, for Search",
    }


def license_info() -> dict:
    """GET /_license: Logstash's elasticsearch output refuses a node without an active license."""
    return {"license": {"status": "active", "uid": "00000000-0000-0000-0000-000000000000", "type": "basic",
                        "issue_date": "2023-01-01T00:00:00.000Z", "issue_date_in_millis": 1672531200000,
                        "max_nodes": 1000, "max_resource_units": None, "issued_to": "devlogs",
                        "issuer": "elasticsearch", "start_date_in_millis": -1}}


def cluster_health() -> dict:
    """GET /_cluster/health: Vector's health check wants a 200."""
    return {"cluster_name": "devlogs", "status": "green", "timed_out": False, "number_of_nodes": 1,
            "number_of_data_nodes": 1, "active_primary_shards": 1, "active_shards": 1, "relocating_shards": 0,
            "initializing_shards": 0, "unassigned_shards": 0, "delayed_unassigned_shards": 0,
            "number_of_pending_tasks": 0, "number_of_in_flight_fetch": 0, "task_max_waiting_in_queue_millis": 0,
            "active_shards_percent_as_number": 100.0}
