"""Per-tenant and per-key ingest quotas: lines per second and bytes per UTC day.

Rates use a cell-rate (GCRA-style) bucket that may go into debt: a request is admitted
while the bucket is not in debt, whatever its size, and then pays for all its lines.
So one large batch is never refused outright, yet the average rate holds, and the
Retry-After we answer is exactly when the debt is paid. The bucket holds at most one
second's worth of lines, which is the burst a quiet tenant may send at once.

The byte quota counts decompressed bodies per UTC day and refuses a request that would
cross it. Both are enforced across every ingest process through Redis when
DEVLOGS_QUOTA_REDIS_URL is set (production), else inside this process (embedded mode,
one server). If Redis is unreachable we admit and log: quotas protect capacity, and
refusing logs because the limiter is down would lose lines we could have kept.
"""

import logging
import math
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone

from django.conf import settings

log = logging.getLogger("devlogs.ingest.quotas")

DAY_SECONDS = 86_400
USAGE_TTL_SECONDS = 3 * DAY_SECONDS  # today's and yesterday's counters stay readable


class QuotaExceeded(Exception):
    def __init__(self, code: str, message: str, retry_after: int):
        super().__init__(message)
        self.code, self.message, self.retry_after = code, message, retry_after


@dataclass(frozen=True)
class Usage:
    day: str
    lines: int
    bytes: int


def utc_day(epoch_seconds: float) -> str:
    return datetime.fromtimestamp(epoch_seconds, tz=timezone.utc).strftime("%Y-%m-%d")


def seconds_to_midnight(epoch_seconds: float) -> int:
    return max(1, math.ceil(DAY_SECONDS - epoch_seconds % DAY_SECONDS))


def _refused(which: str, retry_after: float, *, tenant, key, rate: int | None = None,
             quota: int | None = None) -> QuotaExceeded:
    wait = max(1, math.ceil(retry_after))
    if which == "tenant_rate":
        return QuotaExceeded("rate_limited", f"Tenant '{tenant.slug}' may send {rate} lines per second; "
                                             f"retry in {wait} s.", wait)
    if which == "key_rate":
        return QuotaExceeded("rate_limited", f"API key {key.prefix}… may send {rate} lines per second; "
                                             f"retry in {wait} s.", wait)
    return QuotaExceeded("daily_quota_exceeded", f"Tenant '{tenant.slug}' has used its {quota} bytes for "
                                                 f"today (UTC); the quota resets in {wait} s.", wait)


class LocalLimiter:
    """One process's quotas, for the embedded mode and tests."""

    def __init__(self, clock=time.time):
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}  # name → (tokens, at)
        self._counters: dict[tuple[str, str], list[int]] = {}  # (tenant, day) → [lines, bytes]

    def _tokens(self, name: str, rate: int, now: float) -> float:
        tokens, at = self._buckets.get(name, (rate, now))
        return min(rate, tokens + (now - at) * rate)

    def check(self, *, tenant_id: int, key_id, lines: int, size_bytes: int, tenant_rate: int | None,
              key_rate: int | None, bytes_per_day: int | None) -> tuple[str, float] | None:
        with self._lock:
            now = self._clock()
            day = utc_day(now)
            buckets = []
            for which, name, rate in (("tenant_rate", f"t{tenant_id}", tenant_rate),
                                      ("key_rate", f"k{key_id}", key_rate)):
                if rate:
                    tokens = self._tokens(name, rate, now)
                    if tokens <= 0:
                        return which, -tokens / rate
                    buckets.append((name, tokens))
            counter = self._counters.setdefault((str(tenant_id), day), [0, 0])
            if bytes_per_day is not None and counter[1] + size_bytes > bytes_per_day:
                return "bytes_per_day", seconds_to_midnight(now)
            for name, tokens in buckets:
                self._buckets[name] = (tokens - lines, now)
            counter[0] += lines
            counter[1] += size_bytes
            return None

    def usage(self, tenant_id: int) -> Usage:
        day = utc_day(self._clock())
        lines, size = self._counters.get((str(tenant_id), day), (0, 0))
        return Usage(day, lines, size)


# Runs atomically inside Redis, so ingest processes never race between check and spend.
# KEYS: tenant bucket, key bucket, today's usage hash. ARGV: lines, bytes, tenant rate,
# key rate, bytes per day (0 = none), usage ttl. Time comes from Redis so servers' clocks
# do not matter. Returns {0} admitted, {1|2, retry ms} over a rate, {3} over the byte quota.
_REDIS_SCRIPT = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000 + math.floor(tonumber(now_parts[2]) / 1000)
local lines = tonumber(ARGV[1])
local size = tonumber(ARGV[2])
local rates = {tonumber(ARGV[3]), tonumber(ARGV[4])}
local quota = tonumber(ARGV[5])
local tokens = {}
for i = 1, 2 do
  local rate = rates[i]
  if rate > 0 then
    local state = redis.call('HMGET', KEYS[i], 'tokens', 'at')
    local t = tonumber(state[1]) or rate
    local at = tonumber(state[2]) or now
    t = math.min(rate, t + (now - at) * rate / 1000)
    if t <= 0 then
      return {i, math.ceil(-t * 1000 / rate)}
    end
    tokens[i] = t
  end
end
if quota > 0 then
  local used = tonumber(redis.call('HGET', KEYS[3], 'bytes')) or 0
  if used + size > quota then
    return {3, 0}
  end
end
for i = 1, 2 do
  if tokens[i] ~= nil then
    redis.call('HSET', KEYS[i], 'tokens', tokens[i] - lines, 'at', now)
    redis.call('PEXPIRE', KEYS[i], math.ceil((lines / rates[i] + 2) * 1000))
  end
end
redis.call('HINCRBY', KEYS[3], 'lines', lines)
redis.call('HINCRBY', KEYS[3], 'bytes', size)
redis.call('EXPIRE', KEYS[3], tonumber(ARGV[6]))
return {0, 0}
"""


class RedisLimiter:
    """Quotas shared by every ingest process through one Redis."""

    def __init__(self, url: str, prefix: str = "devlogs:quota"):
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._script = self._redis.register_script(_REDIS_SCRIPT)
        self._prefix = prefix

    def _usage_key(self, tenant_id: int, day: str) -> str:
        return f"{self._prefix}:usage:{tenant_id}:{day}"

    def check(self, *, tenant_id: int, key_id, lines: int, size_bytes: int, tenant_rate: int | None,
              key_rate: int | None, bytes_per_day: int | None) -> tuple[str, float] | None:
        now = time.time()
        keys = [f"{self._prefix}:rate:t{tenant_id}", f"{self._prefix}:rate:k{key_id}",
                self._usage_key(tenant_id, utc_day(now))]
        which, retry_ms = self._script(keys=keys, args=[lines, size_bytes, tenant_rate or 0, key_rate or 0,
                                                        0 if bytes_per_day is None else max(bytes_per_day, 1),
                                                        USAGE_TTL_SECONDS])
        if which == 0:
            return None
        if which == 3:
            return "bytes_per_day", seconds_to_midnight(now)
        return ("tenant_rate" if which == 1 else "key_rate"), retry_ms / 1000

    def usage(self, tenant_id: int) -> Usage:
        day = utc_day(time.time())
        values = self._redis.hmget(self._usage_key(tenant_id, day), ["lines", "bytes"])
        return Usage(day, int(values[0] or 0), int(values[1] or 0))


_limiter = None
_limiter_lock = threading.Lock()
_last_outage_log = 0.0


def get_limiter():
    global _limiter
    with _limiter_lock:
        if _limiter is None:
            url = settings.DEVLOGS_QUOTA_REDIS_URL
            _limiter = RedisLimiter(url, settings.DEVLOGS_QUOTA_REDIS_PREFIX) if url else LocalLimiter()
        return _limiter


def reset_limiter() -> None:
    """Forget the limiter (tests, and settings changes)."""
    global _limiter
    with _limiter_lock:
        _limiter = None


def admit(*, tenant, key, lines: int, size_bytes: int) -> None:
    """Spend `lines` and `size_bytes` of the tenant's (and key's) quotas, or raise QuotaExceeded."""
    global _last_outage_log
    key_rate = getattr(key, "lines_per_second", None)
    try:
        refused = get_limiter().check(tenant_id=tenant.id, key_id=key.id, lines=lines, size_bytes=size_bytes,
                                      tenant_rate=tenant.ingest_lines_per_second, key_rate=key_rate,
                                      bytes_per_day=tenant.ingest_bytes_per_day)
    except Exception as exc:  # a Redis outage must not refuse logs (see module docstring)
        if time.monotonic() - _last_outage_log > 60:
            _last_outage_log = time.monotonic()
            log.warning("quota limiter unavailable, admitting without quotas: %s", exc)
        return
    if refused is not None:
        which, retry_after = refused
        raise _refused(which, retry_after, tenant=tenant, key=key,
                       rate=tenant.ingest_lines_per_second if which == "tenant_rate" else key_rate,
                       quota=tenant.ingest_bytes_per_day)


def usage(tenant) -> Usage | None:
    """Today's admitted lines and bytes for the tenant, or None when the limiter cannot say."""
    try:
        return get_limiter().usage(tenant.id)
    except Exception as exc:
        log.warning("quota limiter unavailable, usage unknown: %s", exc)
        return None
