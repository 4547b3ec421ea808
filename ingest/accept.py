"""Hand parsed lines to the queue: stamp tenant, app and event ids, publish durably."""

import time

from uuid6 import uuid7

from accounts.models import ApiKey
from processing.envelope import Envelope, encode
from processing.queue import Producer

# Bounds one queue message (Kafka's default message limit is 1 MB).
LINES_PER_MESSAGE = 1000


def now_ns() -> int:
    return time.time_ns()


def accept_lines(*, key: ApiKey, lines: list[dict], received_ns: int, producer: Producer) -> None:
    """Durably queue `lines` for the key's app. Raises QueueUnavailable; returns when safe."""
    for line in lines:
        line.pop("index", None)
        line["id"] = str(uuid7())
    values, counts = [], []
    for start in range(0, len(lines), LINES_PER_MESSAGE):
        chunk = lines[start:start + LINES_PER_MESSAGE]
        envelope = Envelope(tenant_id=key.app.tenant_id, app_id=key.app_id, received_ns=received_ns, lines=chunk)
        values.append(encode(envelope))
        counts.append(len(chunk))
    producer.publish(str(key.app_id), values, counts)
