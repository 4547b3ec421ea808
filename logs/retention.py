"""Retention: each tenant keeps its lines for `retention_days`, nothing older.

The policy lives here (which tenant keeps what); the store does the deleting: on TimescaleDB it
drops whole chunks past DEVLOGS_RETENTION_MAX_DAYS (instant), and tenants with shorter retention
are trimmed by batched deletes, which is also the whole story on plain PostgreSQL and SQLite.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from accounts.models import Tenant
from logs.store import get_store

log = logging.getLogger("devlogs.retention")

# Other rooms' housekeeping that runs on retention's schedule (ingest forgets old Idempotency-Keys:
# ingest/apps.py registers it), so that logs need not know them.
_also_run: list = []


def also_run(step) -> None:
    """Run `step()` with every retention pass (once per step, whoever registers it twice)."""
    if step not in _also_run:
        _also_run.append(step)


def apply_retention(*, now: datetime | None = None, batch_size: int = 10_000) -> dict[str, int]:
    """Delete what each tenant no longer keeps; returns lines deleted per tenant slug."""
    now = now or timezone.now()
    deleted: dict[str, int] = {}
    store = get_store()
    chunks = store.drop_older_than(days=settings.DEVLOGS_RETENTION_MAX_DAYS)
    if chunks:
        log.info("retention dropped %s chunks older than %s days", chunks, settings.DEVLOGS_RETENTION_MAX_DAYS)
    for step in _also_run:
        try:
            step()
        except Exception:
            log.exception("housekeeping step %s failed; retention goes on", getattr(step, "__qualname__", step))
    try:
        store.maintain()
    except Exception:  # one failing step must not stop retention (nor a long-lived --every loop)
        log.exception("store maintenance failed; retention goes on")
    for tenant in Tenant.objects.order_by("id"):
        days = min(tenant.retention_days, settings.DEVLOGS_RETENTION_MAX_DAYS)
        cutoff = now - timedelta(days=days)
        count = store.delete_older_than(tenant_id=tenant.id, cutoff=cutoff, batch_size=batch_size)
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
