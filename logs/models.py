"""The stored log entry."""

import uuid

from django.db import models
from timescale.db.models.fields import TimescaleDateTimeField

from accounts.models import App, Tenant
from logline.levels import NAMES


class LogEntry(models.Model):
    """One log line. `time` is the partitioning column once this is a hypertable.

    tenant and app are plain integer columns without foreign-key constraints or single-column
    indexes (the composite indexes below lead with tenant): the writer inserts tens of thousands
    of rows a second and the ids come from an authenticated key, so those would only cost.
    """

    # On the TimescaleDB engine this makes the table a hypertable partitioned by time (1-day chunks
    # to start; DEVLOGS_TIMESCALE_CHUNK_INTERVAL changes it). Elsewhere it is a plain DateTimeField.
    time = TimescaleDateTimeField(interval="1 day")
    received_at = models.DateTimeField()
    tenant = models.ForeignKey(Tenant, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False,
                               related_name="+")
    app = models.ForeignKey(App, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False,
                            related_name="+")
    level = models.SmallIntegerField(choices=sorted(NAMES.items()))
    message = models.TextField()
    service = models.CharField(max_length=255, blank=True, default="")
    host = models.CharField(max_length=255, blank=True, default="")
    trace_id = models.CharField(max_length=64, blank=True, default="")
    span_id = models.CharField(max_length=64, blank=True, default="")
    attributes = models.JSONField(default=dict, blank=True)
    event_id = models.UUIDField(default=uuid.uuid4, editable=False)
    # The write batch the line came in, per tenant: logs/token_blocks.py keeps each block's words so
    # that a word search reads only the blocks that can match. NULL where no block index is kept.
    block_id = models.BigIntegerField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "log entry"
        verbose_name_plural = "log entries"
        constraints = [
            # Includes time so it survives the move to a hypertable; the event id alone decides.
            models.UniqueConstraint(fields=["event_id", "time"], name="logentry_event_id_time_uniq"),
        ]
        indexes = [
            # Serves newest-first pages (scanned backwards) and, covering level and app, the
            # histogram and facet counts as index-only scans (81 ms vs 575 ms for 24 h at 10M rows).
            models.Index(fields=["tenant", "time", "id"], include=["level", "app"], name="logentry_tenant_time"),
            models.Index(fields=["tenant", "app", "-time"], name="logentry_tenant_app_time"),
            # No (tenant, level, time) index: the one above covers level, and each btree costs ~3 µs of
            # PostgreSQL CPU a row written (docs/storage.md); errors of the last hour read it backwards.
        ]

    def __str__(self) -> str:
        return f"{self.time:%Y-%m-%d %H:%M:%S} {NAMES.get(self.level, self.level)} {self.message[:80]}"


class SavedSearch(models.Model):
    """A named query of a tenant, shared with all its members."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="saved_searches")
    name = models.CharField(max_length=200)
    query = models.TextField(blank=True, help_text="in the query language (docs/query-language.md)")
    # Time range and view options as the dashboard keeps them, e.g. {"range": "15m"} or {"since": ..., "until": ...}.
    options = models.JSONField(default=dict, blank=True)
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="savedsearch_unique_tenant_name")]

    def __str__(self) -> str:
        return self.name
