"""`Idempotency-Key`: a client that retries a request (after a timeout, a 503, a lost answer)
sends the same key, and the retry stores nothing new.

The first request with a key records its receipt time. Every request with that key then gets
the same event ids (UUIDv7 layout: that time, then bits derived from app, key and line index)
and the same default time for lines without a timestamp, so the database's unique
(event_id, time) index turns a repeated line into a no-op. A retry must send the same body: the
first body's SHA-256 (decompressed) is kept, and a different body under the same key is refused
with 422 `idempotency_key_reused` (Stripe's rule) — answering it with the first receipt would
acknowledge lines that are never stored. Keys are kept DEVLOGS_IDEMPOTENCY_HOURS (24 h);
apply_retention forgets older ones.
"""

import hashlib
import re
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from ingest.models import IdempotencyKey

_VALID = re.compile(r"^[\x21-\x7e]{1,200}$")
_RAND_B_MASK = (1 << 62) - 1


class InvalidIdempotencyKey(ValueError):
    pass


class IdempotencyKeyReused(ValueError):
    """The key came with a different body before."""


def check_key(key: str) -> str:
    if not _VALID.match(key):
        raise InvalidIdempotencyKey("Idempotency-Key must be 1 to 200 visible ASCII characters.")
    return key


def first_receipt_ns(*, app_id: int, key: str, received_ns: int) -> int:
    """The receipt time of the first request with this key (this one's, if it is the first)."""
    try:
        with transaction.atomic():
            row, _ = IdempotencyKey.objects.get_or_create(app_id=app_id, key=key,
                                                          defaults={"received_ns": received_ns})
    except IntegrityError:  # a concurrent first request won the race
        row = IdempotencyKey.objects.get(app_id=app_id, key=key)
    return row.received_ns


def check_same_body(*, app_id: int, key: str, body_sha256: str) -> None:
    """Remember the first body's digest under this key; IdempotencyKeyReused for another body."""
    # The first to set it wins, even against a concurrent first request with another body.
    IdempotencyKey.objects.filter(app_id=app_id, key=key, body_sha256="").update(body_sha256=body_sha256)
    stored = IdempotencyKey.objects.filter(app_id=app_id, key=key).values_list("body_sha256", flat=True).first()
    if stored not in (None, body_sha256):
        raise IdempotencyKeyReused("This Idempotency-Key was used with a different body; nothing was accepted. "
                                   "Use a new key for new lines.")


def event_ids(*, app_id: int, key: str, received_ns: int, count: int) -> list[str]:
    """The same ids for the same (app, key, line index), time-ordered by the first receipt."""
    ms = (received_ns // 1_000_000) & 0xFFFF_FFFF_FFFF
    ids = []
    for index in range(count):
        digest = int.from_bytes(hashlib.sha256(f"{app_id}\0{key}\0{index}".encode()).digest()[:10], "big")
        high = (ms << 16) | (0x7 << 12) | (digest >> 68)
        low = (0b10 << 62) | (digest & _RAND_B_MASK)
        text = f"{high:016x}{low:016x}"
        ids.append(f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}")
    return ids


def forget_old_keys() -> int:
    cutoff = timezone.now() - timedelta(hours=settings.DEVLOGS_IDEMPOTENCY_HOURS)
    return IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()[0]
