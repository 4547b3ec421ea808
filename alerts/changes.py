"""Changing channels and rules, and the audit event each change leaves, whoever asks (API or admin).

A channel decides where samples of a tenant's lines leave the platform, so every change to one is
recorded; a rule change also resets what the rule had learnt. Each function takes a `save` callable
that writes the row (a serializer's or a form's save) so callers keep their own validation.
"""

from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.audit import record
from accounts.keys import SYSTEM
from alerts.evaluation import stand_down
from alerts.models import Channel, Rule, SeenValue, new_secret

# Changing these changes what the rule looks at: a new_value rule learns its baseline again.
WATCHED = ("query", "kind", "field")


class NameTaken(Exception):
    """The tenant already has a channel or rule of that name."""


def saving(instance):
    """A `save` for an instance a form has filled (Model.save returns nothing)."""
    def save():
        instance.save()
        return instance
    return save


def _saved(save: Callable[[], object]):
    try:
        with transaction.atomic():  # a savepoint: a name clash must not break the caller's transaction
            return save()
    except IntegrityError:
        raise NameTaken() from None


def channel_created(save: Callable[[], Channel], *, actor: str = SYSTEM, via: str = "api") -> Channel:
    channel = _saved(save)
    record(tenant=channel.tenant, actor=actor, action="alert_channel.created", via=via, channel=channel.name,
           kind=channel.kind)
    return channel


def channel_updated(save: Callable[[], Channel], *, fields, actor: str = SYSTEM, via: str = "api") -> Channel:
    channel = _saved(save)
    record(tenant=channel.tenant, actor=actor, action="alert_channel.updated", via=via, channel=channel.name,
           fields=sorted(fields))
    return channel


def channel_delete(channel: Channel, *, actor: str = SYSTEM, via: str = "api") -> None:
    record(tenant=channel.tenant, actor=actor, action="alert_channel.deleted", via=via, channel=channel.name)
    channel.delete()


def channel_rotate_secret(channel: Channel, *, actor: str = SYSTEM, via: str = "api") -> Channel:
    """A new signing secret; the old one stops at once."""
    channel.secret = new_secret()
    channel.save(update_fields=["secret", "updated_at"])
    record(tenant=channel.tenant, actor=actor, action="alert_channel.secret_rotated", via=via, channel=channel.name)
    return channel


def rule_created(save: Callable[[], Rule], *, actor: str = SYSTEM, via: str = "api") -> Rule:
    rule = _saved(save)
    record(tenant=rule.tenant, actor=actor, action="alert_rule.created", via=via, rule=rule.name)
    return rule


def watched_values(rule: Rule) -> dict:
    """What the rule looks at, read before an edit and handed to rule_updated."""
    return {name: getattr(rule, name) for name in WATCHED}


def rule_updated(save: Callable[[], Rule], *, before: dict, fields, actor: str = SYSTEM, via: str = "api") -> Rule:
    """Save an edited rule: it is evaluated at the next tick, forgets its baseline when what it looks at
    changed, and resolves at once if it was switched off or muted while firing."""
    rule = _saved(save)
    now = timezone.now()
    # Evaluated at the next tick rather than after the old interval; one UPDATE for both fields.
    fields_now = {"next_evaluation_at": now}
    if any(getattr(rule, name) != value for name, value in before.items()):
        SeenValue.objects.filter(rule=rule).delete()
        fields_now["baseline_at"] = None
    Rule.objects.filter(pk=rule.pk).update(**fields_now)
    rule.next_evaluation_at = now
    stand_down(rule.pk, now)
    record(tenant=rule.tenant, actor=actor, action="alert_rule.updated", via=via, rule=rule.name,
           fields=sorted(fields))
    return rule


def rule_delete(rule: Rule, *, actor: str = SYSTEM, via: str = "api") -> None:
    record(tenant=rule.tenant, actor=actor, action="alert_rule.deleted", via=via, rule=rule.name)
    rule.delete()
