"""The queue message: a versioned envelope of normalised lines from one request.

    {"v": 1, "tenant": 3, "app": 7, "received_at": <ns>,
     "lines": [{"id": "<uuid>", "ts": <ns>, "level": 17, "message": "...", "service": "",
                "host": "", "trace_id": "", "span_id": "", "attributes": {...}}]}

Keyed by app id, so one app's lines keep their order in a partition. `id` is the event id
assigned at ingest (UUIDv7): writing the same line twice stores it once. Documented in
docs/queue-message.md; a new field means a new version, and decoders keep reading old ones.
"""

import re
from dataclasses import dataclass

import orjson

VERSION = 1
LINE_FIELDS = ("id", "ts", "level", "message", "service", "host", "trace_id", "span_id", "attributes")
TEXT_FIELDS = ("service", "host", "trace_id", "span_id")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_MAX_TS = 2**63 - 1  # nanoseconds in a signed 64-bit integer: 2262-04-11, past every store's reach


class PoisonMessage(Exception):
    """A message that can never be processed as it is: it goes to the dead-letter store."""


@dataclass(frozen=True)
class Envelope:
    tenant_id: int
    app_id: int
    received_ns: int
    lines: list[dict]

    @property
    def key(self) -> str:
        return str(self.app_id)


def encode(envelope: Envelope) -> bytes:
    return orjson.dumps({"v": VERSION, "tenant": envelope.tenant_id, "app": envelope.app_id,
                         "received_at": envelope.received_ns, "lines": envelope.lines})


def decode(data: bytes) -> Envelope:
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise PoisonMessage(f"not JSON: {exc}") from None
    if not isinstance(doc, dict) or doc.get("v") != VERSION:
        raise PoisonMessage(f"unknown envelope version {doc.get('v') if isinstance(doc, dict) else None!r}")
    tenant, app, received, lines = doc.get("tenant"), doc.get("app"), doc.get("received_at"), doc.get("lines")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (tenant, app, received)):
        raise PoisonMessage("tenant, app and received_at must be integers")
    if not isinstance(lines, list):
        raise PoisonMessage("lines must be a list")
    for line in lines:
        _check_line(line)
    return Envelope(tenant_id=tenant, app_id=app, received_ns=received, lines=lines)


def _check_line(line) -> None:
    if not isinstance(line, dict):
        raise PoisonMessage("a line is not an object")
    missing = [name for name in LINE_FIELDS if name not in line]
    if missing:
        raise PoisonMessage(f"a line lacks {', '.join(missing)}")
    # Everything a store could refuse is refused here, so that a store's error is our bug (retried),
    # never a message's (dead-lettered): processing/processor.py, POISON_ERRORS.
    ts, level = line["ts"], line["level"]
    if type(ts) is not int or type(level) is not int:
        raise PoisonMessage("ts and level must be integers")
    if not 0 <= ts <= _MAX_TS or not 0 <= level <= 32767:
        raise PoisonMessage(f"ts {ts} or level {level} is out of range")
    if not isinstance(line["message"], str) or not isinstance(line["attributes"], dict):
        raise PoisonMessage("message must be a string and attributes an object")
    if not all(isinstance(line[name], str) for name in TEXT_FIELDS):
        raise PoisonMessage(f"{', '.join(TEXT_FIELDS)} must be strings")
    if not isinstance(line["id"], str) or not _UUID.fullmatch(line["id"]):
        raise PoisonMessage(f"id {str(line['id'])[:40]!r} is not a UUID")
