"""Sending the notifications evaluation owes: pending → sent, or retried with backoff until failed.

Each Delivery row exists once per (rule, firing, kind, channel) — its idempotency key is unique —
so a firing is never notified twice however often rules are evaluated or workers restart. On the
wire it is at-least-once: a worker that dies after the receiver answered but before recording it
sends again once its claim expires; receivers drop the repeat by X-Devlogs-Delivery.
"""

import logging
import random
import threading
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from alerts.models import Delivery
from devlogs import metrics
from alerts.notify import deliver
from alerts.outbound import DeliveryError

log = logging.getLogger("devlogs.alerts")

# Longer than one send can take (DNS + connect + read timeouts, or an SMTP exchange).
LEASE = timedelta(minutes=5)


def backoff(attempts: int) -> timedelta:
    """The wait after the n-th failed attempt: doubling from the base, capped, plus up to 25% jitter."""
    base = settings.DEVLOGS_ALERT_RETRY_BASE_SECONDS * 2 ** min(attempts - 1, 30)
    seconds = min(base, settings.DEVLOGS_ALERT_RETRY_MAX_SECONDS)
    return timedelta(seconds=seconds * (1 + random.random() / 4))


def claim_next_delivery(now: datetime) -> tuple[Delivery, str] | None:
    """The most overdue pending delivery whose firing notification (if any) is settled, held by us."""
    token = uuid.uuid4().hex
    waiting = Delivery.objects.filter(pk=OuterRef("depends_on_id"), status=Delivery.Status.PENDING)
    with transaction.atomic():
        delivery = (Delivery.objects.select_for_update(skip_locked=True)
                    .filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now)
                    .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
                    .exclude(Exists(waiting)).order_by("next_attempt_at", "id").first())
        if delivery is None:
            return None
        Delivery.objects.filter(pk=delivery.pk).update(claim_token=token, claimed_until=now + LEASE)
    return delivery, token


def send_delivery(delivery: Delivery, now: datetime, *, claim: str | None = None) -> Delivery:
    """One attempt; the row afterwards (sent, pending with a later next_attempt_at, or failed)."""
    delivery = Delivery.objects.select_related("channel", "event__rule", "event__tenant").get(pk=delivery.pk)
    status, error = None, ""
    try:
        status = deliver(delivery)
    except DeliveryError as exc:
        error, status = str(exc), exc.status
    except Exception as exc:  # a bug in rendering must not wedge the queue: count it as a failed attempt
        log.exception("alert delivery crashed", extra={"delivery": delivery.pk})
        error = f"{type(exc).__name__}: {exc}"[:2000]
    with transaction.atomic():
        current = Delivery.objects.select_for_update().get(pk=delivery.pk)
        if claim is not None and current.claim_token != claim:
            return current  # our claim expired and another worker took it over
        current.attempts += 1
        current.response_status = status
        current.claim_token, current.claimed_until = "", None
        if not error:
            current.status, current.sent_at, current.last_error = Delivery.Status.SENT, now, ""
        elif current.attempts >= settings.DEVLOGS_ALERT_MAX_ATTEMPTS:
            current.status, current.last_error = Delivery.Status.FAILED, error
        else:
            current.last_error, current.next_attempt_at = error, now + backoff(current.attempts)
        current.save()
    metrics.ALERT_NOTIFICATIONS.labels(current.channel.kind, "sent" if not error else (
        "failed" if current.status == Delivery.Status.FAILED else "retry")).inc()
    log.info("alert delivery %s", "sent" if not error else current.status,
             extra={"delivery": current.pk, "channel": current.channel_id, "attempts": current.attempts,
                    "error": error})
    return current


def send_due_deliveries(now: datetime, *, stop: threading.Event | None = None) -> list[Delivery]:
    """Attempt every delivery due at `now`, once each."""
    done = []
    while not (stop and stop.is_set()):
        claimed = claim_next_delivery(now)
        if claimed is None:
            break
        done.append(send_delivery(claimed[0], now, claim=claimed[1]))
    return done
