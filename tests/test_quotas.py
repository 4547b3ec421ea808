"""Ingest quotas: lines per second per tenant and per key, bytes per day per tenant.

Refused requests get 429 with Retry-After and queue nothing; other tenants are unaffected;
the limits hold across two server processes sharing Redis.
"""

import urllib.request
import uuid

import orjson
import pytest
from django.test import override_settings

from accounts.models import ApiKey, Tenant
from ingest import quotas
from ingest.quotas import LocalLimiter, RedisLimiter, seconds_to_midnight
from tests.conftest import assert_error, http_post_logs, post_logs, running_server


class Clock:
    def __init__(self, now=1_700_000_000.0):
        self.now = now

    def __call__(self):
        return self.now


def check(limiter, lines=1, size=100, tenant_rate=None, key_rate=None, bytes_per_day=None, tenant_id=1, key_id=1):
    return limiter.check(tenant_id=tenant_id, key_id=key_id, lines=lines, size_bytes=size, tenant_rate=tenant_rate,
                         key_rate=key_rate, bytes_per_day=bytes_per_day)


# --- the algorithm, on both limiters -------------------------------------------------------------

@pytest.fixture(params=["local", "redis"])
def limiter(request):
    if request.param == "local":
        return LocalLimiter()
    url = request.getfixturevalue("redis_url")
    return RedisLimiter(url, prefix=f"test:{uuid.uuid4().hex}")


def test_a_quiet_tenant_may_burst_one_seconds_worth_then_is_refused_until_the_debt_is_paid(limiter):
    assert check(limiter, lines=150, tenant_rate=100) is None  # 100 in the bucket, 50 on credit
    which, retry_after = check(limiter, lines=1, tenant_rate=100)
    assert which == "tenant_rate"
    assert 0.3 < retry_after <= 0.5


def test_one_large_batch_is_admitted_and_then_paid_for(limiter):
    # 1,000 lines at 10 lines/s: admitted (never refused outright), then ~100 s of debt.
    assert check(limiter, lines=1000, tenant_rate=10) is None
    which, retry_after = check(limiter, lines=1, tenant_rate=10)
    assert which == "tenant_rate"
    assert 90 <= retry_after <= 100


def test_the_key_limit_applies_within_the_tenant_and_spends_nothing_when_refused(limiter):
    assert check(limiter, lines=60, tenant_rate=1000, key_rate=50, key_id=7) is None
    which, _ = check(limiter, lines=10_000, tenant_rate=1000, key_rate=50, key_id=7)
    assert which == "key_rate"
    # The refused 10,000 lines cost the tenant nothing: another key still has its budget.
    assert check(limiter, lines=1000, tenant_rate=1000, key_id=8) is None
    assert check(limiter, lines=1, tenant_rate=1000, key_id=8)[0] == "tenant_rate"


def test_bytes_per_day_refuses_the_request_that_would_cross_it(limiter):
    assert check(limiter, size=600, bytes_per_day=1000) is None
    which, retry_after = check(limiter, size=500, bytes_per_day=1000)
    assert which == "bytes_per_day"
    assert 1 <= retry_after <= 86_400
    assert check(limiter, size=400, bytes_per_day=1000) is None  # exactly fills it
    assert check(limiter, size=1, bytes_per_day=1000)[0] == "bytes_per_day"
    assert limiter.usage(1).bytes == 1000
    assert limiter.usage(1).lines == 2


def test_tenants_have_separate_buckets_and_counters(limiter):
    assert check(limiter, lines=20, tenant_rate=10, size=900, bytes_per_day=1000, tenant_id=1) is None
    assert check(limiter, lines=1, tenant_rate=10, tenant_id=1)[0] == "tenant_rate"
    assert check(limiter, lines=20, tenant_rate=10, size=900, bytes_per_day=1000, tenant_id=2) is None
    assert limiter.usage(2).bytes == 900


def test_local_buckets_refill_with_time_and_counters_reset_at_midnight():
    clock = Clock(now=1_700_006_400.0 - 10)  # ten seconds before a UTC midnight
    limiter = LocalLimiter(clock=clock)
    assert check(limiter, lines=20, tenant_rate=10, size=1000, bytes_per_day=1000) is None
    assert check(limiter, lines=1, tenant_rate=10)[0] == "tenant_rate"
    clock.now += 1.05  # one second pays 10 of the 10 lines of debt
    assert check(limiter, lines=1, tenant_rate=10) is None
    assert check(limiter, size=1, bytes_per_day=1000)[0] == "bytes_per_day"
    assert seconds_to_midnight(clock.now) <= 9
    clock.now += 10
    assert check(limiter, size=1000, bytes_per_day=1000) is None
    assert limiter.usage(1).bytes == 1000


# --- through the API ------------------------------------------------------------------------------

@pytest.fixture
def limited(make_key, queue):
    raw = make_key(tenant="acme")
    Tenant.objects.filter(slug="acme").update(ingest_lines_per_second=5, ingest_bytes_per_day=None)
    return raw


def test_over_the_rate_gets_429_with_retry_after_and_queues_nothing(client, limited, queue):
    assert post_logs(client, limited, [{"message": f"line {i}"} for i in range(20)]).status_code == 202
    queued = queue.pending_lines()
    response = post_logs(client, limited, {"message": "one more"})
    body = assert_error(response, 429, "rate_limited")
    assert "5 lines per second" in body["error"]["message"]
    assert 1 <= int(response["Retry-After"]) <= 4
    assert queue.pending_lines() == queued == 20


def test_other_tenants_are_not_limited_by_one_tenants_quota(client, limited, make_key):
    other = make_key(tenant="globex")
    post_logs(client, limited, [{"message": "x"}] * 20)
    assert post_logs(client, limited, {"message": "x"}).status_code == 429
    assert post_logs(client, other, [{"message": "y"}] * 20).status_code == 202


def test_a_key_limit_holds_while_the_tenants_other_keys_go_on(client, make_key, queue):
    slow = make_key(tenant="acme", lines_per_second=2)
    fast = make_key(tenant="acme")
    assert post_logs(client, slow, [{"message": "x"}] * 3).status_code == 202
    response = post_logs(client, slow, {"message": "x"})
    body = assert_error(response, 429, "rate_limited")
    assert ApiKey.objects.get(lines_per_second=2).prefix in body["error"]["message"]
    assert post_logs(client, fast, {"message": "x"}).status_code == 202


def test_daily_bytes_quota_and_usage_api(client, make_key, queue):
    raw = make_key(tenant="acme")
    Tenant.objects.filter(slug="acme").update(ingest_bytes_per_day=1000)
    line = {"message": "m" * 300}
    assert post_logs(client, raw, [line, line]).status_code == 202  # ~640 bytes
    response = post_logs(client, raw, [line, line])
    assert_error(response, 429, "daily_quota_exceeded")
    assert int(response["Retry-After"]) >= 1
    usage = client.get("/api/v1/usage", HTTP_AUTHORIZATION=f"Bearer {raw}").json()
    assert usage["lines"] == 2
    assert 600 < usage["bytes"] <= 1000
    assert usage["limits"] == {"lines_per_second": None, "bytes_per_day": 1000}
    assert usage["bytes_remaining"] == 1000 - usage["bytes"]


def test_usage_needs_a_credential_and_is_per_tenant(client, make_key, queue):
    a = make_key(tenant="acme")
    b = make_key(tenant="globex")
    post_logs(client, a, [{"message": "x"}] * 7)
    assert client.get("/api/v1/usage").status_code == 401
    assert client.get("/api/v1/usage", HTTP_AUTHORIZATION=f"Bearer {b}").json()["lines"] == 0
    assert client.get("/api/v1/usage", HTTP_AUTHORIZATION=f"Bearer {a}").json()["lines"] == 7


@override_settings(DEVLOGS_QUOTA_REDIS_URL="redis://127.0.0.1:1/0")
def test_an_unreachable_limiter_admits_rather_than_losing_logs(client, limited, queue):
    quotas.reset_limiter()
    for _ in range(3):
        assert post_logs(client, limited, [{"message": "x"}] * 20).status_code == 202
    assert queue.pending_lines() == 60
    assert client.get("/api/v1/usage", HTTP_AUTHORIZATION=f"Bearer {limited}").json()["available"] is False


# --- two real servers sharing Redis ---------------------------------------------------------------

@pytest.mark.live
def test_limits_hold_across_two_ingest_servers_sharing_redis(transactional_db, tmp_path, make_key, redis_url):
    raw = make_key(tenant="acme")
    other = make_key(tenant="globex")
    Tenant.objects.filter(slug="acme").update(ingest_lines_per_second=5, ingest_bytes_per_day=50_000)
    env = {"DEVLOGS_QUOTA_REDIS_URL": redis_url, "DEVLOGS_QUOTA_REDIS_PREFIX": f"test:{uuid.uuid4().hex}"}
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with running_server(tmp_path / "a", **env) as a, running_server(tmp_path / "b", **env) as b:
        # 100 lines through A: admitted, leaving ~19 s of debt that B must see.
        status, body, _ = http_post_logs(a, raw, [{"message": f"a{i}"} for i in range(100)])
        assert status == 202, body
        status, body, headers = http_post_logs(b, raw, [{"message": "b"}])
        assert status == 429, body
        assert body["error"]["code"] == "rate_limited"
        assert int(headers["Retry-After"]) >= 10
        # The other tenant goes on through either server.
        assert http_post_logs(b, other, [{"message": "g"}])[0] == 202
        # The byte quota is shared too: the usage B reports includes what A admitted.
        request = urllib.request.Request(f"http://{b}/api/v1/usage", headers={"Authorization": f"Bearer {raw}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            usage = orjson.loads(response.read())
        assert usage["lines"] == 100
        assert usage["bytes"] > 100 * len('{"message":"a0"}')
