"""Tell open live tails when access may have ended, so they check at once (not at their next timer).

A key revoked, rotated, deleted or re-scoped; a membership removed or changed; a person
deactivated or signed out: after the change commits, every tenant it touches gets one
`access.changed` message on its live-tail group, and each socket and stream of that tenant asks
accounts.scoping.access_ended again before it sends another line. The timer in the consumers
still bounds what a missed message (another process's in-memory layer) can cost.
"""

import logging

from django.contrib.auth import get_user_model, user_logged_out
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from accounts.models import ApiKey, App, Membership
from logs.live import send_to_group, tenant_group

log = logging.getLogger("devlogs.live")
MESSAGE_TYPE = "access.changed"  # handled by TailConsumer.access_changed and the SSE stream


def _announce(tenant_ids) -> None:
    tenant_ids = sorted(set(tenant_ids))

    def send():
        for tenant_id in tenant_ids:
            try:
                send_to_group(tenant_group(tenant_id), {"type": MESSAGE_TYPE})
            except Exception:  # the timer catches up; a change must never fail for this
                log.warning("could not tell tenant %s's live tails that access changed", tenant_id, exc_info=True)

    transaction.on_commit(send)


def _key_changed(sender, instance: ApiKey, **kwargs):
    # By id: in a cascade the app may be going too (then the tenant's timers close what is left).
    _announce(App.objects.filter(pk=instance.app_id).values_list("tenant_id", flat=True))


def _membership_changed(sender, instance: Membership, **kwargs):
    _announce([instance.tenant_id])


def _tenants_of(user_id) -> list[int]:
    return list(Membership.objects.filter(user_id=user_id).values_list("tenant_id", flat=True))


def _user_changed(sender, instance, **kwargs):
    if kwargs.get("created"):
        return
    _announce(_tenants_of(instance.pk))


def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        _announce(_tenants_of(user.pk))


def connect() -> None:
    user_model = get_user_model()
    for signal in (post_save, post_delete):
        signal.connect(_key_changed, sender=ApiKey, dispatch_uid=f"access-watch-key-{signal}")
        signal.connect(_membership_changed, sender=Membership, dispatch_uid=f"access-watch-membership-{signal}")
    post_save.connect(_user_changed, sender=user_model, dispatch_uid="access-watch-user")
    user_logged_out.connect(_logged_out, dispatch_uid="access-watch-logout")
