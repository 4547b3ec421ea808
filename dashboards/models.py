"""Dashboards: per tenant, a grid of widgets, each a saved query shown one way."""

import uuid

from django.db import models
from django.utils import timezone

from accounts.models import Tenant

GRID_COLUMNS = 12


def default_time_range() -> dict:
    return {"range": "24h"}


class Dashboard(models.Model):
    """A named grid of widgets with a time range they all share. `uid` makes its URL shareable."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="dashboards")
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    # {"range": "15m"|"1h"|…} (relative, like the explorer's presets) or {"since": …, "until": …}.
    time_range = models.JSONField(default=default_time_range)
    created_by = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="dashboard_unique_tenant_name")]

    def __str__(self) -> str:
        return self.name


class Widget(models.Model):
    """One cell of the grid: a query shown as a chart, a table, a number or a list of lines."""

    class Kind(models.TextChoices):
        TIMESERIES = "timeseries", "Count over time"
        TOP_VALUES = "top_values", "Top values"
        SINGLE_NUMBER = "single_number", "Single number"
        LOG_LIST = "log_list", "Log lines"

    dashboard = models.ForeignKey(Dashboard, on_delete=models.CASCADE, related_name="widgets")
    title = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    query = models.TextField(blank=True, help_text="in the query language (docs/query-language.md)")
    split_by = models.CharField(max_length=300, blank=True,
                                help_text="timeseries: a series per value; top_values: the field ranked")
    options = models.JSONField(default=dict, blank=True)
    # Grid position: GRID_COLUMNS columns wide, rows of any number.
    x = models.PositiveSmallIntegerField(default=0)
    y = models.PositiveIntegerField(default=0)
    w = models.PositiveSmallIntegerField(default=6)
    h = models.PositiveSmallIntegerField(default=4)

    class Meta:
        ordering = ["y", "x", "id"]

    def __str__(self) -> str:
        return self.title or f"{self.get_kind_display()} {self.query}"
