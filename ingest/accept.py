"""Hand parsed lines to the queue: redact, stamp tenant, app and event ids, publish durably."""

import time

from accounts.models import ApiKey
from ingest.event_ids import uuid7_strings
from ingest.redaction_policies import redactor_for_tenant
from logline.envelope import Envelope, encode
from processing.queue import Producer

# Bound one queue message: Kafka refuses messages over 1 MB by default.
LINES_PER_MESSAGE = 1000
MAX_MESSAGE_BYTES = 900_000


def now_ns() -> int:
    return time.time_ns()


def accept_lines(*, key: ApiKey, lines: list[dict], received_ns: int, producer: Producer,
                 event_ids: list[str] | None = None) -> None:
    """Durably queue `lines` for the key's app. Raises QueueUnavailable; returns when safe.

    `event_ids`, when given, holds one id per line index of the request (Idempotency-Key).
    The tenant's redaction policy rewrites the lines first, so no unredacted text is queued.
    """
    redactor_for_tenant(key.app.tenant_id).redact_lines(lines)
    fresh = uuid7_strings(len(lines)) if event_ids is None else None
    for position, line in enumerate(lines):
        index = line.pop("index", position)
        line["id"] = fresh[position] if fresh is not None else event_ids[index]
    values, counts = [], []

    def add(chunk: list[dict]) -> None:
        value = encode(Envelope(tenant_id=key.app.tenant_id, app_id=key.app_id, received_ns=received_ns,
                                lines=chunk))
        if len(value) > MAX_MESSAGE_BYTES and len(chunk) > 1:
            add(chunk[:len(chunk) // 2])
            add(chunk[len(chunk) // 2:])
            return
        values.append(value)
        counts.append(len(chunk))

    for start in range(0, len(lines), LINES_PER_MESSAGE):
        add(lines[start:start + LINES_PER_MESSAGE])
    producer.publish(str(key.app_id), values, counts)
