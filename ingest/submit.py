"""The one way lines enter devlogs, whatever protocol brought them.

Every ingest endpoint (our JSON API, OTLP, Loki, Elasticsearch bulk, syslog) parses its
own format into normalised lines (see ingest.parsing.normalise_line) and then calls
`submit_lines`, which applies the tenant's quotas, redacts, and queues durably.
"""

import logging

from devlogs.errors import ApiError
from ingest.accept import accept_lines
from ingest.quotas import QuotaExceeded, admit
from processing.queue import QueueUnavailable, get_producer

log = logging.getLogger("devlogs.ingest")

RETRY_AFTER_SECONDS = 5


def submit_lines(*, caller, lines: list[dict], received_ns: int, size_bytes: int,
                 event_ids: list[str] | None = None) -> None:
    """Queue `lines` for the caller's app, or raise ApiError (429 over quota, 503 queue down).

    `size_bytes` is what the request weighs against the tenant's daily byte quota
    (the decompressed body). Returns once the lines are durable.
    """
    key = caller.key
    try:
        admit(tenant=key.app.tenant, key=key, lines=len(lines), size_bytes=size_bytes)
    except QuotaExceeded as exc:
        raise ApiError(429, exc.code, exc.message, headers={"Retry-After": str(exc.retry_after)}) from None
    try:
        accept_lines(key=key, lines=lines, received_ns=received_ns, producer=get_producer(), event_ids=event_ids)
    except QueueUnavailable as exc:
        log.error("queue unavailable, refusing %s lines: %s", len(lines), exc)
        raise ApiError(503, "queue_unavailable",
                       "The queue cannot take lines right now; nothing was accepted. Retry shortly.",
                       headers={"Retry-After": str(RETRY_AFTER_SECONDS)}) from None
