"""Storage: the writer keeps every field, writes each event once, retention and delete-by-query
remove exactly what they should and only in the right tenant, the histogram counts right."""

import random
from datetime import datetime, timedelta, timezone

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from accounts.models import ApiKey, AuditEvent, Membership, Tenant
from logs.histogram import histogram
from logline.levels import ERROR, INFO, WARN
from logs.models import LogEntry
from logs.retention import apply_retention
from logs.search import Search
from logs.writer import write_envelopes
from logline.envelope import Envelope
from tests.conftest import assert_error

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)


def _ns(moment: datetime) -> int:
    return int(moment.timestamp()) * 10**9 + moment.microsecond * 1000


def _line(event_id: str, moment: datetime, **fields) -> dict:
    return {"id": event_id, "ts": _ns(moment), "level": fields.pop("level", INFO), "message": fields.pop("message", "m"),
            "service": "", "host": "", "trace_id": "", "span_id": "", "attributes": {}, **fields}


def _uuid(i: int) -> str:
    return f"01a229c6-0000-7000-8000-{i:012x}"


@pytest.fixture
def tenants(make_key):
    make_key(tenant="alpha", app="web")
    make_key(tenant="bravo", app="web")
    return {t.slug: t for t in Tenant.objects.all()}


def _write(tenant, lines):
    app = tenant.apps.get(slug="web")
    write_envelopes([Envelope(tenant_id=tenant.id, app_id=app.id, received_ns=_ns(NOW), lines=lines)])


def test_writer_keeps_every_field_exactly(tenants):
    attributes = {"unicode": "日本語 ✓ émoji 🚀", "null": None, "empty": "", "nested": {"list": [1, 2.5, True, None]},
                  "big": "x" * 50_000, "quote": "it's \"quoted\" \\ back\tslash\nnewline"}
    line = _line(_uuid(1), NOW.replace(microsecond=123456), level=ERROR, message="Ünïcödé\n\tmultiline 🚀 \\N",
                 service="billing", host="web-7", trace_id="4bf92f3577b34da6a3ce929d0e0e4736",
                 span_id="00f067aa0ba902b7", attributes=attributes)
    _write(tenants["alpha"], [line, _line(_uuid(2), NOW)])

    stored = LogEntry.objects.get(event_id=_uuid(1))
    assert stored.time == NOW.replace(microsecond=123456)
    assert stored.received_at == NOW
    assert (stored.tenant_id, stored.level, stored.message) == (tenants["alpha"].id, ERROR, line["message"])
    assert (stored.service, stored.host, stored.trace_id, stored.span_id) == (
        "billing", "web-7", line["trace_id"], line["span_id"])
    assert stored.attributes == attributes
    plain = LogEntry.objects.get(event_id=_uuid(2))
    assert (plain.service, plain.host, plain.attributes) == ("", "", {})


def test_the_same_batch_twice_and_an_overlapping_batch_store_each_line_once(tenants):
    batch = [_line(_uuid(i), NOW - timedelta(seconds=i)) for i in range(500)]
    _write(tenants["alpha"], batch)
    _write(tenants["alpha"], batch)
    _write(tenants["alpha"], batch[250:] + [_line(_uuid(i), NOW) for i in range(500, 600)])
    assert LogEntry.objects.count() == 600


def test_retention_removes_exactly_what_is_due_per_tenant(tenants):
    Tenant.objects.filter(slug="alpha").update(retention_days=7)
    Tenant.objects.filter(slug="bravo").update(retention_days=30)
    ages = [0, 1, 6, 7, 8, 29, 30, 31, 90]  # days, each a second short of it: "7d" is inside 7 days
    for tenant in tenants.values():
        _write(tenant, [_line(_uuid(hash((tenant.slug, age)) % 10**12), NOW - timedelta(days=age, seconds=-1),
                              message=f"{age}d") for age in ages])

    deleted = apply_retention(now=NOW, batch_size=2)  # tiny batches: the loop must go on until done

    assert deleted == {"alpha": 5, "bravo": 2}
    left = {t: sorted(LogEntry.objects.filter(tenant_id=tenants[t].id).values_list("message", flat=True))
            for t in tenants}
    assert sorted(left["alpha"]) == sorted(["0d", "1d", "6d", "7d"])
    assert sorted(left["bravo"]) == sorted(["0d", "1d", "6d", "7d", "8d", "29d", "30d"])


@pytest.fixture
def people(tenants):
    User = get_user_model()
    roles = {}
    for role in ("owner", "admin", "member", "viewer"):
        user = User.objects.create_user(f"{role}-user", password="pw-for-tests-123")
        Membership.objects.create(user=user, tenant=tenants["alpha"], role=role)
        roles[role] = user
    return roles


def test_delete_by_query_touches_only_the_callers_tenant_and_is_audited(client, tenants, people):
    for tenant in tenants.values():
        _write(tenant, [_line(_uuid(hash((tenant.slug, i)) % 10**12), NOW - timedelta(minutes=i),
                              message=f"user 42 {'secret' if i % 2 else 'public'}") for i in range(10)])
    client.force_login(people["admin"])

    response = client.post("/api/v1/logs/delete", {"q": "SECRET"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json() == {"deleted": 5, "more": False}
    assert LogEntry.objects.filter(tenant_id=tenants["alpha"].id).count() == 5
    assert not LogEntry.objects.filter(tenant_id=tenants["alpha"].id, message__contains="secret").exists()
    assert LogEntry.objects.filter(tenant_id=tenants["bravo"].id).count() == 10
    event = AuditEvent.objects.get(action="logs.delete_by_query")
    assert (event.tenant.slug, event.actor, event.action) == ("alpha", "admin-user", "logs.delete_by_query")
    assert event.details["deleted"] == 5 and "SECRET" in event.details["query"]


def test_delete_by_query_is_bounded_per_call(tenants, people):
    from accounts.scoping import caller_for_user
    from logs.gdpr import delete_by_query

    _write(tenants["alpha"], [_line(_uuid(i), NOW - timedelta(seconds=i)) for i in range(25)])
    caller = caller_for_user(people["owner"])
    search = Search(caller=caller, node=Search.for_tenant(caller.tenant, "m").node, since=None, until=None)
    first, second, third = (delete_by_query(caller=caller, search=search, max_rows=10) for _ in range(3))
    assert [(r.deleted, r.more) for r in (first, second, third)] == [(10, True), (10, True), (5, False)]
    assert LogEntry.objects.count() == 0


@pytest.mark.parametrize("who", ["member", "viewer"])
def test_members_and_viewers_cannot_delete(client, tenants, people, who):
    _write(tenants["alpha"], [_line(_uuid(1), NOW)])
    client.force_login(people[who])
    assert_error(client.post("/api/v1/logs/delete", {"q": "m"}, format="json"), 403, "permission_denied")
    assert LogEntry.objects.count() == 1


def test_api_keys_cannot_delete_and_a_filter_is_required(client, tenants, people, make_key):
    key = make_key(tenant="alpha", app="web", scopes=["ingest", "read"])
    _write(tenants["alpha"], [_line(_uuid(1), NOW)])
    assert_error(client.post("/api/v1/logs/delete", {"q": "m"}, format="json", HTTP_AUTHORIZATION=f"Bearer {key}"),
                 403, "permission_denied")
    client.force_login(people["owner"])
    assert_error(client.post("/api/v1/logs/delete", {}, format="json"), 400, "no_filter")
    assert_error(client.post("/api/v1/logs/delete", {"q": "level:loud"}, format="json"), 400, "invalid_query")
    assert LogEntry.objects.count() == 1
    assert ApiKey.objects.count() == 3


def test_histogram_matches_direct_counts(tenants):
    rng = random.Random(7)
    start = NOW - timedelta(hours=2)
    lines = [_line(_uuid(i), start + timedelta(seconds=rng.randrange(7200)), level=rng.choice([INFO, WARN, ERROR]),
                   message=rng.choice(["timeout", "ok"])) for i in range(2000)]
    _write(tenants["alpha"], lines)
    _write(tenants["bravo"], [_line(_uuid(10_000 + i), start + timedelta(minutes=i)) for i in range(100)])

    def expected(interval, keep):
        counts = {}
        for line in lines:
            if not keep(line):
                continue
            seconds = line["ts"] // 10**9
            bucket = (seconds - 946684800) // interval * interval + 946684800
            key = (datetime.fromtimestamp(bucket, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                   {INFO: "info", WARN: "warn", ERROR: "error"}[line["level"]])
            counts[key] = counts.get(key, 0) + 1
        return counts

    tenant = tenants["alpha"]
    for interval, query, keep in [
        (600, "", lambda line: True),
        (60, "level:>=warn", lambda line: line["level"] >= WARN),
        (37, "TIMEOUT", lambda line: line["message"] == "timeout"),
    ]:
        got = {(row["time"], row["level"]): row["count"]
               for row in histogram(Search.for_tenant(tenant, query), interval_seconds=interval)}
        assert got == expected(interval, keep), (interval, connection.vendor)


def test_postgresql_has_the_search_indexes():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL-only indexes; this run is on " + connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s",
                       [LogEntry._meta.db_table])
        indexes = dict(cursor.fetchall())
    # No per-row text or JSON index: word and attribute search go through the block index
    # (logs/token_blocks.py).
    assert "logentry_message_trgm" not in indexes
    assert "logentry_attributes_gin" not in indexes
    assert "brin (block_id)" in indexes["logentry_block_brin"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'tokenblock_hashes'")
        assert "gin (hashes)" in cursor.fetchone()[0]
    assert "logs_logentry_tenant_id_e162c69b" not in indexes


@pytest.mark.django_db
def test_retention_also_forgets_idempotency_keys_past_their_hours(settings):
    """ingest registers its housekeeping with retention (ingest/apps.py): logs never import ingest."""
    from datetime import timedelta

    from django.utils import timezone

    from ingest.models import IdempotencyKey

    settings.DEVLOGS_IDEMPOTENCY_HOURS = 24
    IdempotencyKey.objects.create(app_id=1, key="old", received_ns=1, created_at=timezone.now() - timedelta(hours=25))
    IdempotencyKey.objects.create(app_id=1, key="fresh", received_ns=2)
    apply_retention()
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["fresh"]
