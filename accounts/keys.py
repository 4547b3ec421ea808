"""API keys: making them, storing them safely, and checking them.

A key reads `dl_<kind>_<lookup><secret>`: the kind (ingest, read, full) tells a
person at a glance what a leaked key can do, the 12-character lookup finds the row,
and only HMAC-SHA256 of the whole key is stored, compared in constant time.
"""

import hashlib
import hmac
import re
import secrets
import string
import threading
import time
from collections import OrderedDict
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.audit import record
from accounts.models import ApiKey, App, Scope, Tenant

_ALPHABET = string.ascii_letters + string.digits
_LOOKUP_LEN = 12
_SECRET_LEN = 32
_KEY_RE = re.compile(r"^dl_(ingest|read|full)_([A-Za-z0-9]{12})([A-Za-z0-9]{32})$")
VALID_SCOPES = {Scope.INGEST.value, Scope.READ.value}


class InvalidKey(Exception):
    """The presented key is malformed, unknown, revoked or expired."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def _kind(scopes: list[str]) -> str:
    if set(scopes) == VALID_SCOPES:
        return "full"
    return scopes[0]


def hash_key(raw_key: str) -> str:
    return hmac.new(settings.DEVLOGS_API_KEY_PEPPER.encode(), raw_key.encode(), hashlib.sha256).hexdigest()


def normalise_scopes(scopes) -> list[str]:
    if isinstance(scopes, str):
        scopes = [s.strip() for s in scopes.split(",") if s.strip()]
    unknown = set(scopes) - VALID_SCOPES
    if unknown or not scopes:
        raise ValueError(f"scopes must be a non-empty subset of {sorted(VALID_SCOPES)}, got {sorted(scopes)}")
    return sorted(set(scopes))


def generate_key(scopes: list[str]) -> tuple[str, str]:
    """Return (full key, stored prefix) for a new key with these scopes."""
    lookup = "".join(secrets.choice(_ALPHABET) for _ in range(_LOOKUP_LEN))
    secret = "".join(secrets.choice(_ALPHABET) for _ in range(_SECRET_LEN))
    prefix = f"dl_{_kind(scopes)}_{lookup}"
    return prefix + secret, prefix


# Who changed a key, as the audit log names them: a person's username or a key's actor, and the
# way they came (the REST API, the admin, a management command). Set-up code that acts for no
# one (fixtures, `manage.py demo`) is recorded as "system".
SYSTEM = "system"


def api_key_create(*, app: App, scopes, name: str = "", expires_at: datetime | None = None,
                   lines_per_second: int | None = None, actor: str = SYSTEM, via: str = "api") -> tuple[ApiKey, str]:
    """Create a key for an app (audited). Returns the row and the full key, which is never stored."""
    key = ApiKey(app=app, name=name, expires_at=expires_at, lines_per_second=lines_per_second)
    return key, api_key_save_new(key, scopes=scopes, actor=actor, via=via)


@transaction.atomic
def api_key_save_new(key: ApiKey, *, scopes, actor: str = SYSTEM, via: str = "api") -> str:
    """Give an unsaved key (the admin's form instance, or one built above) its secret, save it and
    record who made it; returns the full key, to show once."""
    raw = assign_new_secret(key, scopes=scopes)
    key.save()
    record(tenant=key.app.tenant, actor=actor, action="api_key.created", via=via, prefix=key.prefix,
           app=key.app.slug, scopes=key.scopes)
    return raw


def assign_new_secret(key: ApiKey, *, scopes) -> str:
    """Give an unsaved key its scopes, prefix and hash; return the full key to show once."""
    key.scopes = normalise_scopes(scopes)
    raw, key.prefix = generate_key(key.scopes)
    key.key_hash = hash_key(raw)
    return raw


@transaction.atomic
def api_key_revoke(*, key: ApiKey, actor: str = SYSTEM, via: str = "api") -> None:
    """Revoke a key (audited); revoking a revoked key changes and records nothing."""
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        record(tenant=key.app.tenant, actor=actor, action="api_key.revoked", via=via, prefix=key.prefix)


@transaction.atomic
def api_key_rotate(*, key: ApiKey, grace: timedelta, actor: str = SYSTEM, via: str = "api") -> tuple[ApiKey, str]:
    """Replace a key: a new key with the same app, scopes and limits, while the old one keeps
    working for `grace` (so clients can switch without a gap) and then expires.

    Returns the new row and its full key. A revoked or expired key cannot be rotated.
    """
    key = ApiKey.objects.select_for_update().get(pk=key.pk)
    if not key.is_usable():
        raise ValueError("Only an active key can be rotated; create a new key instead.")
    new = ApiKey(app=key.app, name=key.name, expires_at=None, lines_per_second=key.lines_per_second, rotated_from=key)
    raw = assign_new_secret(new, scopes=key.scopes)
    new.save()
    ends = timezone.now() + grace
    if key.expires_at is None or key.expires_at > ends:
        key.expires_at = ends
        key.save(update_fields=["expires_at"])
    record(tenant=key.app.tenant, actor=actor, action="api_key.rotated", via=via, prefix=key.prefix,
           new_prefix=new.prefix, old_expires_at=key.expires_at.isoformat())
    return new, raw


@transaction.atomic
def create_api_key_for_slugs(*, tenant_slug: str, app_slug: str, scopes, name: str = "",
                             expires_at: datetime | None = None) -> tuple[ApiKey, str]:
    """Create tenant and app when missing, then a key: the operator's one-liner."""
    tenant, _ = Tenant.objects.get_or_create(slug=tenant_slug, defaults={"name": tenant_slug.replace("-", " ").title()})
    app, _ = App.objects.get_or_create(tenant=tenant, slug=app_slug, defaults={"name": app_slug.replace("-", " ").title()})
    return api_key_create(app=app, scopes=scopes, name=name, expires_at=expires_at)


class _VerifiedKeys:
    """Keys this process verified against the database lately: while the database is down, ingest
    goes on for them (the queue is what makes a line safe) for DEVLOGS_API_KEY_CACHE_SECONDS after
    their last check; an unknown key then gets 503. Bounded (least recently verified go first);
    indexed by the key's hash, so no key is kept in memory in clear."""

    MAX = 10_000

    def __init__(self):
        self._keys: OrderedDict[str, tuple[float, ApiKey]] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, key_hash: str, key: ApiKey) -> None:
        with self._lock:
            self._keys[key_hash] = (time.monotonic(), key)
            self._keys.move_to_end(key_hash)
            while len(self._keys) > self.MAX:
                self._keys.popitem(last=False)

    def recall(self, key_hash: str) -> ApiKey | None:
        with self._lock:
            found = self._keys.get(key_hash)
        if found is None or time.monotonic() - found[0] > settings.DEVLOGS_API_KEY_CACHE_SECONDS:
            return None
        key = found[1]
        return key if key.is_usable() else None  # expiry still counts, by the clock

    def forget(self, key_hash: str) -> None:
        with self._lock:
            self._keys.pop(key_hash, None)


verified_keys = _VerifiedKeys()


def authenticate_key(raw_key: str) -> ApiKey:
    """Find the usable key for a presented string, or raise InvalidKey.

    With the database unreachable, a key verified in the last DEVLOGS_API_KEY_CACHE_SECONDS is
    still accepted (ingest keeps working on the queue); any other key raises the database's
    error, which the API answers with 503 and Retry-After.
    """
    match = _KEY_RE.match(raw_key)
    if not match:
        raise InvalidKey("malformed_key", "The API key is malformed; expected dl_<kind>_<44 characters>.")
    prefix = f"dl_{match.group(1)}_{match.group(2)}"
    from devlogs.errors import DATABASE_ERRORS  # here: devlogs.errors imports DRF, which imports this module

    try:
        key = ApiKey.objects.select_related("app__tenant").filter(prefix=prefix).first()
    except DATABASE_ERRORS:
        recalled = verified_keys.recall(hash_key(raw_key))
        if recalled is None:
            raise
        return recalled
    # Hash even when the prefix is unknown so timing does not reveal which prefixes exist.
    presented = hash_key(raw_key)
    stored = key.key_hash if key else hash_key("dl_none")
    if key is None or not hmac.compare_digest(presented, stored):
        raise InvalidKey("unknown_key", "The API key is not recognised.")
    now = timezone.now()
    if key.revoked_at is not None or (key.expires_at is not None and key.expires_at <= now):
        verified_keys.forget(presented)  # an outage right after must not bring it back
        if key.revoked_at is not None:
            raise InvalidKey("revoked_key", "The API key has been revoked.")
        raise InvalidKey("expired_key", "The API key has expired.")
    _touch(key, now)
    verified_keys.remember(presented, key)
    return key


def _touch(key: ApiKey, now: datetime) -> None:
    # One write per key per interval, not per request: ingest is hot.
    interval = timedelta(seconds=settings.DEVLOGS_API_KEY_TOUCH_SECONDS)
    if key.last_used_at is None or now - key.last_used_at >= interval:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
