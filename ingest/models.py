"""Idempotency keys seen at ingest: a retried request reuses its first receipt time and event ids."""

from django.db import models
from django.utils import timezone


class IdempotencyKey(models.Model):
    app_id = models.BigIntegerField()
    key = models.CharField(max_length=200)
    received_ns = models.BigIntegerField(help_text="when the first request with this key arrived")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["app_id", "key"], name="idempotencykey_unique_app_key")]
