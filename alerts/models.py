"""Alert rules, where their notifications go, what happened to them, and what was sent.

A rule is evaluated by `alerts.evaluation`; every change of state leaves an AlertEvent; each
notification owed for an event is a Delivery row that `alerts.deliveries` sends with retries.
"""

import secrets

from django.db import models
from django.utils import timezone

from accounts.models import Tenant


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


class Channel(models.Model):
    """Where a tenant's alerts are sent: a signed webhook, email addresses, or a Slack-compatible webhook."""

    class Kind(models.TextChoices):
        WEBHOOK = "webhook", "Webhook (signed JSON)"
        EMAIL = "email", "Email"
        SLACK = "slack", "Slack-compatible incoming webhook"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="alert_channels")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    url = models.CharField(max_length=2000, blank=True, help_text="webhook and slack: where to POST")
    emails = models.JSONField(default=list, blank=True, help_text="email: the recipients")
    # Kept in clear: the worker needs it to sign every webhook body (HMAC-SHA256).
    secret = models.CharField(max_length=200, default=new_secret, help_text="webhook: the signing secret")
    enabled = models.BooleanField(default=True)
    created_by = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="alertchannel_unique_tenant_name")]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"


class State(models.TextChoices):
    OK = "ok", "OK"
    FIRING = "firing", "Firing"
    RESOLVED = "resolved", "Resolved"


class Rule(models.Model):
    """A query, a window and a condition, evaluated every `interval_seconds`."""

    class Kind(models.TextChoices):
        COUNT = "count", "Count above or below a threshold"
        ABSENCE = "absence", "No matching lines in the window"
        NEW_VALUE = "new_value", "A value of a field not seen before"

    class Comparison(models.TextChoices):
        ABOVE = "above", "above"
        BELOW = "below", "below"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="alert_rules")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    query = models.TextField(blank=True, help_text="in the query language (docs/query-language.md)")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.COUNT)
    comparison = models.CharField(max_length=5, choices=Comparison.choices, default=Comparison.ABOVE)
    threshold = models.PositiveIntegerField(default=0)
    field = models.CharField(max_length=300, blank=True,
                             help_text="new_value: level, app, service, host, attributes.<key> or fingerprint")
    window_seconds = models.PositiveIntegerField(default=300)
    interval_seconds = models.PositiveIntegerField(default=60)
    channels = models.ManyToManyField(Channel, blank=True, related_name="rules")
    enabled = models.BooleanField(default=True)
    muted_until = models.DateTimeField(null=True, blank=True,
                                       help_text="Until then the rule is evaluated but sends nothing.")

    state = models.CharField(max_length=10, choices=State.choices, default=State.OK, editable=False)
    state_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The firing event that opened the current episode; the resolve notification refers to it.
    episode = models.ForeignKey("Event", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                editable=False)
    next_evaluation_at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)
    last_evaluated_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_count = models.PositiveIntegerField(null=True, blank=True, editable=False)
    last_error = models.TextField(blank=True, editable=False)
    # new_value rules: set once the values already present have been learned (no alert for those).
    baseline_at = models.DateTimeField(null=True, blank=True, editable=False)
    # A worker's claim, so that two workers never evaluate the rule at once; expires on its own.
    claim_token = models.CharField(max_length=32, blank=True, editable=False)
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)

    created_by = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="alertrule_unique_tenant_name")]

    def __str__(self) -> str:
        return self.name

    def is_muted(self, now) -> bool:
        return self.muted_until is not None and self.muted_until > now


class Event(models.Model):
    """One change of a rule's state (history), with what the evaluation saw."""

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="events")
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=10, choices=State.choices)
    previous_state = models.CharField(max_length=10, choices=State.choices)
    # For resolved and ok events: the firing event that opened the episode.
    episode = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField()
    count = models.PositiveIntegerField()
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    # The rule's query and condition when this happened (rules can be edited later).
    query = models.TextField(blank=True)
    condition = models.CharField(max_length=300)
    new_values = models.JSONField(default=list, blank=True)
    samples = models.JSONField(default=list, blank=True)
    muted = models.BooleanField(default=False, help_text="The rule was muted: nothing was sent.")

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["tenant", "-id"], name="alertevent_tenant_id")]

    def __str__(self) -> str:
        return f"{self.rule} {self.previous_state} → {self.state} at {self.at:%Y-%m-%d %H:%M:%S}"


class Delivery(models.Model):
    """A notification owed to one channel for one event: pending until sent, or failed for good."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    class Kind(models.TextChoices):
        FIRING = "firing", "Firing"
        RESOLVED = "resolved", "Resolved"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="deliveries")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # rule:episode:kind:channel (firing: the firing event's id) — the same notification is never made twice,
    # and receivers see it in X-Devlogs-Delivery to drop the rare resend after a worker crash.
    idempotency_key = models.CharField(max_length=200, unique=True)
    # A resolve waits until the firing notification to the same channel is settled, so they arrive in order.
    depends_on = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    last_error = models.TextField(blank=True)
    response_status = models.PositiveIntegerField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    claim_token = models.CharField(max_length=32, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "deliveries"
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due")]

    def __str__(self) -> str:
        return f"{self.kind} → {self.channel} ({self.status})"


class SeenValue(models.Model):
    """A value a new_value rule has already seen (bounded per rule; the least recently seen go first)."""

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="seen_values")
    digest = models.CharField(max_length=64)
    value = models.TextField()
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["rule", "digest"], name="seenvalue_unique_rule_digest")]
        indexes = [models.Index(fields=["rule", "last_seen_at"], name="seenvalue_rule_last_seen")]
