"""The one way lines enter devlogs, whatever protocol brought them.

Every ingest endpoint (our JSON API, OTLP, Loki, Elasticsearch bulk, syslog) parses its
own format into normalised lines (see ingest.parsing.normalise_line) and then calls
`submit_lines`, which applies the tenant's quotas, redacts, and queues durably.
"""

import logging
import time

from django.conf import settings

from devlogs import metrics
from devlogs.errors import ApiError
from ingest.accept import accept_lines
from ingest.quotas import QuotaExceeded, admit
from processing.queue import QueueUnavailable, get_producer

log = logging.getLogger("devlogs.ingest")

RETRY_AFTER_SECONDS = 5


def submit_lines(*, caller, lines: list[dict], received_ns: int, size_bytes: int,
                 event_ids: list[str] | None = None, protocol: str = "json") -> None:
    """Queue `lines` for the caller's app, or raise ApiError (429 over quota, 503 queue down).

    `size_bytes` is what the request weighs against the tenant's daily byte quota
    (the decompressed body). Returns once the lines are durable.
    """
    key = caller.key
    tenant = key.app.tenant
    label = str(tenant.id)  # metrics name tenants by id, never by slug or name (a scrape may be seen widely)
    count = len(lines)
    try:
        admit(tenant=tenant, key=key, lines=count, size_bytes=size_bytes)
    except QuotaExceeded as exc:
        metrics.INGEST_REJECTED.labels(label, exc.code).inc(count)
        raise ApiError(429, exc.code, exc.message, headers={"Retry-After": str(exc.retry_after)}) from None
    started = time.perf_counter()
    try:
        accept_lines(key=key, lines=lines, received_ns=received_ns, producer=get_producer(), event_ids=event_ids)
    except QueueUnavailable as exc:
        metrics.INGEST_REJECTED.labels(label, "queue_unavailable").inc(count)
        log.error("queue unavailable, refusing %s lines: %s", count, exc)
        raise ApiError(503, "queue_unavailable",
                       "The queue cannot take lines right now; nothing was accepted. Retry shortly.",
                       headers={"Retry-After": str(RETRY_AFTER_SECONDS)}) from None
    metrics.QUEUE_PUBLISH_SECONDS.labels(settings.DEVLOGS_QUEUE).observe(time.perf_counter() - started)
    metrics.INGEST_LINES.labels(label, protocol).inc(count)
    metrics.INGEST_BYTES.labels(label, protocol).inc(size_bytes)


def count_rejected_lines(*, caller, codes) -> None:
    """Count lines a protocol refused one by one (their error codes), for /metrics."""
    label = str(caller.key.app.tenant_id)
    for code in codes:
        metrics.INGEST_REJECTED.labels(label, code).inc()
