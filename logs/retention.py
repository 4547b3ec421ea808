"""Retention: each tenant keeps its lines for `retention_days`, nothing older.

TimescaleDB drops whole chunks past DEVLOGS_RETENTION_MAX_DAYS (instant); tenants with
shorter retention are trimmed by batched deletes, which is also the whole story on plain
PostgreSQL and SQLite.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from accounts.models import Tenant
from ingest.idempotency import forget_old_keys
from logs.deletion import delete_in_batches
from logs.models import LogEntry
from logs.timescale import drop_chunks_older_than, is_hypertable

log = logging.getLogger("devlogs.retention")


def apply_retention(*, now: datetime | None = None, batch_size: int = 10_000) -> dict[str, int]:
    """Delete what each tenant no longer keeps; returns lines deleted per tenant slug."""
    now = now or timezone.now()
    deleted: dict[str, int] = {}
    if is_hypertable(connection):
        chunks = drop_chunks_older_than(connection, settings.DEVLOGS_RETENTION_MAX_DAYS)
        if chunks:
            log.info("retention dropped %s chunks older than %s days", chunks, settings.DEVLOGS_RETENTION_MAX_DAYS)
    forget_old_keys()
    for tenant in Tenant.objects.order_by("id"):
        days = min(tenant.retention_days, settings.DEVLOGS_RETENTION_MAX_DAYS)
        cutoff = now - timedelta(days=days)
        count = delete_in_batches(LogEntry.objects.filter(tenant_id=tenant.id, time__lt=cutoff),
                                  batch_size=batch_size)
        deleted[tenant.slug] = count
        if count:
            log.info("retention deleted lines=%s tenant=%s older_than=%s", count, tenant.slug, cutoff.isoformat())
    return deleted


def start_retention_thread(every_seconds: float, *, first_after: float = 300.0):
    """The embedded mode's schedule: apply retention a few minutes after start, then every `every_seconds`."""
    import threading
    import time

    from django.db import connections

    def loop():
        # Not at once: start-up stays quick, and a server restarted often still gets there.
        time.sleep(min(first_after, every_seconds))
        while True:
            try:
                apply_retention()
            except Exception:
                log.exception("retention run failed; trying again at the next interval")
            finally:
                connections.close_all()
            time.sleep(every_seconds)

    thread = threading.Thread(target=loop, name="devlogs-retention", daemon=True)
    thread.start()
    return thread
