"""The log store's contract (logs/store/base.py), through get_store() on the database of this run.

Only the interface is used, for writing and for reading back, so another engine's store passes
the same tests by joining the `store` fixture's parameters (its name as DEVLOGS_STORE).
"""

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from accounts.models import App, Tenant
from logs.facets import UnknownFacet
from logline.levels import DEBUG, ERROR, INFO, WARN, parse_level
from logs.pagination import CursorError
from logs.search import Search
from logs.store import get_store
from logline.envelope import Envelope

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)
TENANT_IDS = {"alpha": 0, "bravo": 10**6}
STORES = ["sql", "clickhouse"]


def _ns(moment: datetime) -> int:
    return int(moment.timestamp()) * 10**9 + moment.microsecond * 1000


def _id(tenant: str, i: int) -> str:
    return f"01a229c6-0000-7000-8000-{TENANT_IDS[tenant] + i:012x}"


def _line(event_id: str, moment: datetime, *, message: str = "m", level: int = INFO, host: str = "",
          service: str = "", attributes: dict | None = None) -> dict:
    return {"id": event_id, "ts": _ns(moment), "level": level, "message": message, "service": service, "host": host,
            "trace_id": "", "span_id": "", "attributes": attributes or {}}


@pytest.fixture(params=STORES)
def store(request, settings):
    if request.param == "clickhouse":
        return request.getfixturevalue("clickhouse_store")
    settings.DEVLOGS_STORE = request.param
    return get_store()


@pytest.fixture
def tenants(make_key):
    for tenant in ("alpha", "bravo"):
        make_key(tenant=tenant, app="web")
        make_key(tenant=tenant, app="worker")
    return {t.slug: t for t in Tenant.objects.all()}


def _write(store, tenant, lines, *, app="web") -> int:
    app_id = App.objects.get(tenant=tenant, slug=app).id
    return store.write([Envelope(tenant_id=tenant.id, app_id=app_id, received_ns=_ns(NOW), lines=lines)])


def _all(store, search, *, newest_first=True) -> list[dict]:
    return store.search(search, limit=1000, newest_first=newest_first).entries


@pytest.fixture
def stored(store, tenants):
    """30 lines a tenant over 30 minutes, three to a second for the ties; levels, hosts, services vary."""
    for slug, tenant in tenants.items():
        lines = [_line(_id(slug, i), NOW - timedelta(minutes=30) + timedelta(minutes=i // 3 * 3),
                       message=f"{slug} request {i} {'timeout' if i % 3 == 0 else 'ok'}",
                       level=(DEBUG, INFO, WARN, ERROR)[i % 4], host=f"web-{i % 2}", service=("api", "db")[i % 5 == 0],
                       attributes={"user_id": i % 3, "region": "eu"})
                 for i in range(30)]
        _write(store, tenant, lines[:20])
        _write(store, tenant, lines[20:], app="worker")
    return tenants


def test_write_stores_each_event_once_and_returns_the_lines_offered(store, tenants):
    alpha = tenants["alpha"]
    batch = [_line(_id("alpha", i), NOW - timedelta(seconds=i)) for i in range(10)]

    assert _write(store, alpha, batch) == 10
    _write(store, alpha, batch)
    _write(store, alpha, batch[5:] + [_line(_id("alpha", 10), NOW)])

    assert store.count(Search.for_tenant(alpha)) == 11
    assert sorted(e["id"] for e in _all(store, Search.for_tenant(alpha))) == sorted(_id("alpha", i) for i in range(11))


def test_every_read_sees_only_its_tenant(store, stored):
    alpha, bravo = stored["alpha"], stored["bravo"]
    one_of_alpha = _all(store, Search.for_tenant(alpha))[0]["id"]

    assert {e["message"].split()[0] for e in _all(store, Search.for_tenant(bravo))} == {"bravo"}
    assert store.count(Search.for_tenant(bravo, "alpha")) == 0
    assert store.entry(tenant_id=bravo.id, event_id=uuid.UUID(one_of_alpha)) is None
    assert store.context(tenant_id=bravo.id, event_id=uuid.UUID(one_of_alpha), before=5, after=5) is None
    assert sum(b["count"] for b in store.histogram(Search.for_tenant(bravo, "alpha"), interval_seconds=60)) == 0
    assert store.facets(Search.for_tenant(bravo, "alpha"), ["level"], limit=10) == {"level": []}
    assert [e for page in store.export(Search.for_tenant(bravo, "alpha"), newest_first=True, page_size=5)
            for e in page] == []


def test_search_orders_by_time_and_entries_have_the_public_shape(store, stored):
    newest = _all(store, Search.for_tenant(stored["alpha"]))
    oldest = _all(store, Search.for_tenant(stored["alpha"]), newest_first=False)

    assert len(newest) == 30
    assert [e["time"] for e in newest] == sorted((e["time"] for e in newest), reverse=True)
    assert [e["id"] for e in oldest] == [e["id"] for e in reversed(newest)]
    assert set(newest[0]) == {"id", "time", "received_at", "app", "level", "message", "service", "host", "trace_id",
                              "span_id", "attributes"}
    assert {e["app"] for e in newest} == {"web", "worker"}
    assert {e["level"] for e in newest} == {"debug", "info", "warn", "error"}


@pytest.mark.parametrize("newest_first", [True, False])
def test_cursor_pages_have_no_gaps_and_no_doubles(store, stored, newest_first):
    search = Search.for_tenant(stored["alpha"])
    seen, cursor = [], None
    for _ in range(30):
        page = store.search(search, limit=4, cursor=cursor, newest_first=newest_first)
        seen += [e["id"] for e in page.entries]
        cursor = page.next_cursor
        if cursor is None:
            break

    assert seen == [e["id"] for e in _all(store, search, newest_first=newest_first)]
    assert len(set(seen)) == 30


def test_a_cursor_the_store_did_not_make_is_refused(store, stored):
    with pytest.raises(CursorError):
        store.search(Search.for_tenant(stored["alpha"]), limit=5, cursor="not-a-cursor")


def test_count_follows_the_query_and_the_half_open_time_range(store, stored):
    alpha = stored["alpha"]
    since, until = NOW - timedelta(minutes=21), NOW - timedelta(minutes=9)  # the lines at -21, -18, -15 and -12 minutes

    assert store.count(Search.for_tenant(alpha, "timeout")) == 10
    assert store.count(Search.for_tenant(alpha, "level:>=warn")) == 14
    assert store.count(Search.for_tenant(alpha, since=since, until=until)) == 12
    assert store.count(Search.for_tenant(alpha, since=NOW - timedelta(minutes=3), until=NOW)) == 3
    assert store.count(Search.for_tenant(alpha, "app:worker attributes.user_id:1")) == 3


def test_count_at_most_stops_at_its_limit_and_is_exact_below_it(store, stored):
    alpha, bravo = stored["alpha"], stored["bravo"]

    assert store.count_at_most(Search.for_tenant(alpha, "timeout"), limit=100) == 10
    assert store.count_at_most(Search.for_tenant(alpha, "timeout"), limit=10) == 10
    assert store.count_at_most(Search.for_tenant(alpha, "timeout"), limit=4) == 4
    assert store.count_at_most(Search.for_tenant(alpha, "level:>=warn"), limit=1000) == 14
    assert store.count_at_most(Search.for_tenant(alpha, since=NOW - timedelta(minutes=3), until=NOW), limit=50) == 3
    # Another tenant's lines never count, however high the limit.
    assert store.count_at_most(Search.for_tenant(bravo, "alpha"), limit=1000) == 0
    assert store.count_at_most(Search.for_tenant(bravo), limit=1000) == 30


def test_entry_and_its_context_from_the_same_app_and_host(store, stored):
    alpha = stored["alpha"]
    target = next(e for e in _all(store, Search.for_tenant(alpha)) if e["message"] == "alpha request 10 ok")

    assert store.entry(tenant_id=alpha.id, event_id=uuid.UUID(target["id"])) == target
    context = store.context(tenant_id=alpha.id, event_id=uuid.UUID(target["id"]), before=3, after=2)

    assert context["entry"] == target
    assert [e["message"].split()[2] for e in context["before"]] == ["4", "6", "8"]
    assert [e["message"].split()[2] for e in context["after"]] == ["12", "14"]
    assert {(e["app"], e["host"]) for e in context["before"] + context["after"]} == {("web", "web-0")}
    assert store.entry(tenant_id=alpha.id, event_id=uuid.uuid4()) is None


def test_histogram_buckets_sum_to_the_counts(store, stored):
    alpha = stored["alpha"]
    for query, interval in [("", 60), ("", 300), ("timeout", 120), ("level:>=warn", 37)]:
        search = Search.for_tenant(alpha, query, since=NOW - timedelta(hours=1), until=NOW)
        buckets = store.histogram(search, interval_seconds=interval)

        assert sum(b["count"] for b in buckets) == store.count(search), (query, interval)
        assert buckets == sorted(buckets, key=lambda b: (b["time"], parse_level(b["level"])))
        for bucket in buckets:
            start = datetime.strptime(bucket["time"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
            assert (start.timestamp() - 946684800) % interval == 0
            level = Search.for_tenant(alpha, f"{query} level:{bucket['level']}", since=start,
                                      until=start + timedelta(seconds=interval))
            assert bucket["count"] == store.count(level)


def test_facets_count_top_values_most_frequent_first(store, stored):
    facets = store.facets(Search.for_tenant(stored["alpha"]), ["app", "service", "attributes.user_id", "level"],
                          limit=2)

    assert facets["app"] == [{"value": "web", "count": 20}, {"value": "worker", "count": 10}]
    assert facets["service"] == [{"value": "api", "count": 24}, {"value": "db", "count": 6}]
    assert facets["attributes.user_id"] == [{"value": "0", "count": 10}, {"value": "1", "count": 10}]
    assert [row["count"] for row in facets["level"]] == [8, 8]
    with pytest.raises(UnknownFacet):
        store.facets(Search.for_tenant(stored["alpha"]), ["nope"], limit=2)


@pytest.mark.parametrize("newest_first", [True, False])
def test_export_gives_every_line_once_in_order_in_bounded_pages(store, stored, newest_first):
    search = Search.for_tenant(stored["alpha"], "level:>=info")
    pages = list(store.export(search, newest_first=newest_first, page_size=4))

    assert all(1 <= len(page) <= 4 for page in pages)
    assert [e for page in pages for e in page] == _all(store, search, newest_first=newest_first)


def test_delete_is_bounded_and_touches_only_matching_lines_of_the_tenant(store, stored):
    alpha, bravo = stored["alpha"], stored["bravo"]
    search = Search.for_tenant(alpha, "timeout")

    assert store.delete(search, max_rows=4) == (4, True)
    assert store.delete(search, max_rows=4) == (4, True)
    assert store.delete(search, max_rows=4) == (2, False)
    assert store.count(search) == 0
    assert store.count(Search.for_tenant(alpha)) == 20
    assert store.count(Search.for_tenant(bravo, "timeout")) == 10


def test_retention_deletes_only_the_tenants_older_lines(store, stored):
    alpha, bravo = stored["alpha"], stored["bravo"]
    cutoff = NOW - timedelta(minutes=15)

    assert store.delete_older_than(tenant_id=alpha.id, cutoff=cutoff, batch_size=4) == 15
    assert store.count(Search.for_tenant(alpha, until=cutoff)) == 0
    assert store.count(Search.for_tenant(alpha)) == 15
    assert store.count(Search.for_tenant(bravo)) == 30
    assert store.count(Search.for_tenant(alpha, "timeout")) == 5  # word search still right after blocks went


def test_dropping_old_partitions_keeps_younger_lines(store, stored):
    _write(store, stored["alpha"], [_line(_id("alpha", 1000), NOW - timedelta(days=400))])

    dropped = store.drop_older_than(days=365)

    assert dropped >= 0
    assert store.count(Search.for_tenant(stored["alpha"], since=NOW - timedelta(days=1))) == 30
    assert store.count(Search.for_tenant(stored["bravo"])) == 30
