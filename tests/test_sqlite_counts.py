"""Lines per minute and second on SQLite (logs/sqlite_counts.py): a histogram without a query
reads whole minutes and seconds from the counts and gives exactly what counting the log table
gives, through writes, redeliveries and every kind of delete, for its tenant only."""

import dataclasses
from datetime import datetime, timedelta, timezone

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.db.models.signals import post_migrate
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import App, Tenant
from logs import histogram as histograms
from logs import sqlite_counts
from logs.entries import iso
from logline.levels import level_name
from logs.querylang import parse
from logs.search import Search
from logs.store import get_store
from logs.writer import write_envelopes
from logline.envelope import Envelope

# Not on a minute: the partial minutes at a range's ends are part of every test.
BASE = datetime(2026, 12, 7, 10, 0, 17, 250000, tzinfo=timezone.utc)
LEVELS = (9, 13, 17)  # info, warn, error


@pytest.fixture(autouse=True)
def sqlite_only(db):
    if not sqlite_counts.enabled():
        pytest.skip("these counts are SQLite's (TimescaleDB's: the continuous aggregate, tests/test_timescale.py)")


def _ns(moment: datetime) -> int:
    return int(moment.timestamp() * 1e9)


def _tenant(slug: str):
    tenant = Tenant.objects.create(slug=slug, name=slug)
    return tenant, App.objects.create(tenant=tenant, slug="web", name="web"), \
        App.objects.create(tenant=tenant, slug="worker", name="worker")


def _envelope(tenant, app, lines: list[tuple[float, int]], first_event: int) -> Envelope:
    """lines: (seconds after BASE, level)."""
    return Envelope(tenant_id=tenant.id, app_id=app.id, received_ns=_ns(BASE), lines=[
        {"id": f"01a229c6-0000-7000-8000-{first_event + i:012x}", "ts": _ns(BASE + timedelta(seconds=offset)),
         "level": level, "message": f"line {first_event + i}", "service": "api", "host": "", "trace_id": "",
         "span_id": "", "attributes": {}} for i, (offset, level) in enumerate(lines)])


def _from_table(search, interval: int) -> list[dict]:
    return [{"time": iso(histograms._as_datetime(b)), "level": level_name(level), "count": count}
            for b, level, count in histograms._from_table(search.queryset(), interval)]


def _assert_counts_match_the_table(tenant, since, until, interval, query=""):
    search = Search.for_tenant(tenant, query, since=since, until=until)
    assert histograms.histogram(search, interval_seconds=interval) == _from_table(search, interval)


LINES = st.lists(st.tuples(st.floats(min_value=-400, max_value=400, allow_nan=False), st.sampled_from(LEVELS)),
                 max_size=40)
BOUND = st.none() | st.floats(min_value=-450, max_value=450, allow_nan=False)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(web=LINES, worker=LINES, others=LINES, since=BOUND, until=BOUND,
       interval=st.sampled_from([1, 5, 30, 60, 90, 120, 300, 3600, 86400]),
       query=st.sampled_from(["", "level:error", "level:>=warn", "level:<warn", "app:web", "app:w*", "app:nope",
                              "-level:info", "level:error OR app:worker", "app:* -(app:web level:warn)",
                              "line", "level:error line"]))
def test_a_histogram_from_the_counts_is_the_tables_exactly(web, worker, others, since, until, interval, query):
    """Levels and apps are answered from the counts; other queries from the table: the same counts."""
    n = Tenant.objects.count()
    tenant, app, second_app = _tenant(f"c{n}")
    other, other_app, _ = _tenant(f"o{n}")
    write_envelopes([_envelope(tenant, app, web, 1000 * n), _envelope(other, other_app, others, 1000 * n + 300),
                     _envelope(tenant, second_app, worker, 1000 * n + 600)])
    since = BASE + timedelta(seconds=since) if since is not None else None
    until = BASE + timedelta(seconds=until) if until is not None else None
    if since and until and since > until:
        since, until = until, since

    _assert_counts_match_the_table(tenant, since, until, interval, query)
    everything = histograms.histogram(Search.for_tenant(tenant, ""), interval_seconds=interval)
    assert sum(bucket["count"] for bucket in everything) == len(web) + len(worker)


def test_a_range_is_whole_minutes_then_whole_seconds_then_the_part_seconds_at_its_ends():
    since, until = BASE, BASE + timedelta(minutes=14, seconds=46.25)  # 10:00:17.25 .. 10:15:03.5
    at = lambda minute, second: int((BASE.replace(minute=minute, second=second, microsecond=0)
                                     - datetime(1970, 1, 1, tzinfo=timezone.utc)).total_seconds())

    spans, table = sqlite_counts.cover(since, until)

    assert spans == [(1, at(0, 18), at(1, 0)), (60, at(1, 0), at(15, 0)), (1, at(15, 0), at(15, 3))]
    assert table == [(since, BASE.replace(second=18, microsecond=0)), (BASE.replace(minute=15, second=3,
                                                                                     microsecond=0), until)]
    assert sqlite_counts.cover(since, since + timedelta(microseconds=10)) == ([], [(since, since + timedelta(
        microseconds=10))])
    assert sqlite_counts.cover(None, None) == ([(60, None, None)], [])
    assert sqlite_counts.cover(since, until, (1,))[0] == [(1, at(0, 18), at(15, 3))]


def test_whole_minutes_are_read_from_the_counts_not_the_log_table():
    tenant, app, _ = _tenant("whole")
    write_envelopes([_envelope(tenant, app, [(s, LEVELS[s % 3]) for s in range(0, 600, 7)], 1)])
    since = BASE.replace(second=0, microsecond=0)
    search = Search.for_tenant(tenant, "", since=since, until=since + timedelta(minutes=15))

    with CaptureQueriesContext(connection) as queries:
        buckets = histograms.histogram(search, interval_seconds=60)
        errors = histograms.histogram(dataclasses.replace(search, node=parse("level:error app:web")),
                                      interval_seconds=300)

    assert sum(b["count"] for b in buckets) == len(range(0, 600, 7))
    assert sum(b["count"] for b in errors) == len([s for s in range(0, 600, 7) if s % 3 == 2])
    assert not [q["sql"] for q in queries if "logs_logentry" in q["sql"]]


def test_a_redelivered_batch_is_counted_once():
    tenant, app, _ = _tenant("again")
    envelope = _envelope(tenant, app, [(s, 9) for s in range(100)], 1)
    write_envelopes([envelope])
    write_envelopes([envelope, _envelope(tenant, app, [(30.5, 17)], 500)])

    buckets = histograms.histogram(Search.for_tenant(tenant, ""), interval_seconds=3600)

    assert [(b["level"], b["count"]) for b in buckets] == [("info", 100), ("error", 1)]


def test_deletes_of_every_kind_take_their_lines_off_the_counts():
    tenant, app, second_app = _tenant("deletes")
    other, other_app, _ = _tenant("bystander")
    write_envelopes([_envelope(tenant, app, [(s, LEVELS[s % 3]) for s in range(-300, 300, 3)], 1),
                     _envelope(tenant, second_app, [(s + 0.5, 13) for s in range(-300, 300, 11)], 1000),
                     _envelope(other, other_app, [(s, 9) for s in range(-300, 300, 5)], 2000)])
    store = get_store()

    store.delete(Search.for_tenant(tenant, "level:error"), max_rows=10_000)  # delete by query
    _assert_counts_match_the_table(tenant, None, None, 60)
    store.delete_older_than(tenant_id=tenant.id, cutoff=BASE - timedelta(seconds=100.5), batch_size=50)  # retention
    _assert_counts_match_the_table(tenant, None, None, 60)
    second_app.delete()  # an app's lines go with it
    _assert_counts_match_the_table(tenant, BASE - timedelta(minutes=3), BASE + timedelta(minutes=3), 120)

    remaining = histograms.histogram(Search.for_tenant(tenant, ""), interval_seconds=86400)
    assert {b["level"] for b in remaining} == {"info", "warn"}
    assert sum(b["count"] for b in histograms.histogram(Search.for_tenant(other, ""), interval_seconds=86400)) == 120


def test_times_before_the_bucket_origin_fall_in_the_bucket_that_holds_them():
    """Buckets count from 2000-01-01; SQLite's division truncates towards zero, which put a line
    at 1999-12-31T23:59:30 in the bucket after it."""
    tenant, app, _ = _tenant("y2k")
    before = datetime(1999, 12, 31, 23, 59, 30, tzinfo=timezone.utc)
    write_envelopes([_envelope(tenant, app, [((before - BASE).total_seconds(), 9)], 1)])
    search = Search.for_tenant(tenant, "")

    for interval in (60, 3600):
        expected = [{"time": iso(before.replace(second=0) if interval == 60 else before.replace(minute=0, second=0)),
                     "level": "info", "count": 1}]
        assert histograms.histogram(search, interval_seconds=interval) == expected
        assert _from_table(search, interval) == expected


def test_a_migration_that_rebuilds_the_log_table_gets_its_counting_triggers_back():
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER logentry_count_insert")
    logs_app = django_apps.get_app_config("logs")
    post_migrate.send(sender=logs_app, app_config=logs_app, verbosity=0, interactive=False,
                      using=connection.alias, apps=django_apps, plan=[])
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'logentry_count_%'")
        assert sorted(row[0] for row in cursor.fetchall()) == [
            "logentry_count_delete", "logentry_count_insert", "logentry_count_update"]


def test_minutes_emptied_by_retention_leave_no_rows_behind():
    tenant, app, _ = _tenant("empty")
    write_envelopes([_envelope(tenant, app, [(s, 9) for s in range(-300, 300, 10)], 1)])

    get_store().delete_older_than(tenant_id=tenant.id, cutoff=BASE + timedelta(hours=1), batch_size=100)

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {sqlite_counts.TABLE} WHERE tenant_id = %s", [tenant.id])
        assert cursor.fetchone()[0] == 0
