"""The TimescaleDB code paths against the real TimescaleDB of the PostgreSQL test stage.

scripts/postgres.sh builds the TimescaleDB 2.28.3 release kept in ../shared/vendor/timescaledb/
into the machine's PostgreSQL 15 and preloads it, so the test database pytest-django creates is
made the django-timescaledb way (chosen by detection, devlogs/db_backend/base.py) and the
log table is a hypertable. Everything runs through the project's public functions (the writer,
logs.timescale, retention, deletes, histogram, search); the writer is the default one (COPY).

Skipped on SQLite and with DEVLOGS_TIMESCALE=off (the plain-PostgreSQL stage of scripts/test.sh);
on PostgreSQL without TimescaleDB it skips locally and fails under CI=true.
"""

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count

from accounts.models import App, Tenant
from logs.deletion import delete_in_batches
from logs.histogram import histogram
from logline.levels import ERROR, INFO
from logs.models import LogEntry
from logs.retention import apply_retention
from logs.search import Search
from logs import timescale
from logs.writer import write_envelopes
from logline.envelope import Envelope
from tests.conftest import require_service

pytestmark = pytest.mark.django_db(transaction=True)  # procedures (refresh, run_job) refuse a transaction block

TABLE = LogEntry._meta.db_table
HOURS = 20 * 24


@pytest.fixture
def timescaledb(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("TimescaleDB runs in the PostgreSQL stage of scripts/test.sh (this is SQLite)")
    if settings.DEVLOGS_TIMESCALE == "off":
        pytest.skip("DEVLOGS_TIMESCALE=off: plain PostgreSQL asked for")
    if not timescale.is_hypertable(connection):
        with connection.cursor() as cursor:
            cursor.execute("SELECT default_version, installed_version FROM pg_available_extensions "
                           "WHERE name = 'timescaledb'")
            found = cursor.fetchone()
            cursor.execute("SHOW shared_preload_libraries")
            preload = cursor.fetchone()[0]
        require_service("TimescaleDB", f"{TABLE} is not a hypertable (engine {connection.settings_dict['ENGINE']}, "
                                       f"extension {found}, shared_preload_libraries {preload!r}); "
                                       "scripts/postgres.sh start builds and preloads it")
    yield connection
    # Leave the test database as migrate made it for the tests after this one: no rows (the flush
    # empties the table), and a continuous aggregate without this test's materialised minutes and
    # watermark (a real-time aggregate reads raw rows only above its watermark).
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {TABLE}")
        cursor.execute(f"DROP MATERIALIZED VIEW IF EXISTS {timescale.MINUTE_COUNTS}")
    timescale.configure(connection)


def sql(query: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall()


def one(query: str, params=()):
    return sql(query, params)[0][0]


NOW = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)


def lines_for(tenant: str, hours: int) -> list[dict]:
    """One line per hour, half past, going back `hours` hours from the current hour."""
    out = []
    for h in range(hours):
        moment = NOW - timedelta(hours=h, minutes=30)
        out.append({"id": str(uuid.UUID(f"01a229c6-0000-7000-8{tenant[0] == 'a':03x}-{h:012x}")),
                    "ts": int(moment.timestamp()) * 10**9,
                    "level": ERROR if h % 3 == 0 else INFO,
                    "message": f"{tenant} hour {h} {'timeout' if h % 2 else 'ok'}",
                    "service": "api", "host": "web-1", "trace_id": f"{h:032x}", "span_id": "",
                    "attributes": {"user_id": h % 5, "tenant": tenant}})
    return out


def compressed_chunks() -> int:
    return one("SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_name = %s AND is_compressed",
               [TABLE])


def duplicates() -> int:
    return LogEntry.objects.values("event_id").annotate(n=Count("id")).filter(n__gt=1).count()


def test_the_database_is_timescaledb_2_28_with_the_log_table_a_compressed_hypertable(timescaledb):
    assert connection.settings_dict["ENGINE"] == "devlogs.db_backend" and connection.uses_timescale  # detected
    assert one("SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'").startswith("2.28.")
    assert "timescaledb" in one("SHOW shared_preload_libraries")

    assert sql("SELECT compression_enabled, primary_dimension FROM timescaledb_information.hypertables "
               "WHERE hypertable_name = %s", [TABLE]) == [(True, "time")]
    assert one("SELECT time_interval = %s::interval FROM timescaledb_information.dimensions "
               "WHERE hypertable_name = %s", [settings.DEVLOGS_TIMESCALE_CHUNK_INTERVAL, TABLE]) is True
    settings_rows = dict(sql("SELECT attname, segmentby_column_index FROM timescaledb_information.compression_settings "
                             "WHERE hypertable_name = %s", [TABLE]))
    assert "tenant_id" in {name for name, segment in settings_rows.items() if segment is not None}

    assert one("SELECT materialized_only FROM timescaledb_information.continuous_aggregates WHERE view_name = %s",
               [timescale.MINUTE_COUNTS]) is False  # real-time: the newest minutes come from the raw table
    procs = {name for (name,) in sql(
        "SELECT proc_name FROM timescaledb_information.jobs WHERE hypertable_name IN (%s, %s)",
        [TABLE, timescale.MINUTE_COUNTS])}
    assert {"policy_compression", "policy_refresh_continuous_aggregate"} <= procs
    assert "policy_retention" not in procs  # one retention path: apply_retention (tested below)

    # Idempotent: applying it again (manage.py timescale_setup) changes nothing and breaks nothing.
    timescale.configure(connection)
    assert len(sql("SELECT 1 FROM timescaledb_information.jobs WHERE hypertable_name IN (%s, %s)",
                   [TABLE, timescale.MINUTE_COUNTS])) == len(procs)


def test_lines_written_compressed_rewritten_aggregated_retained_deleted_and_dropped(timescaledb):
    alpha = Tenant.objects.create(slug="alpha", name="Alpha", retention_days=7)
    bravo = Tenant.objects.create(slug="bravo", name="Bravo", retention_days=30)
    envelopes = []
    for tenant in (alpha, bravo):
        app = App.objects.create(tenant=tenant, slug="web", name="Web")
        envelopes.append(Envelope(tenant_id=tenant.id, app_id=app.id, received_ns=int(NOW.timestamp()) * 10**9,
                                  lines=lines_for(tenant.slug, HOURS)))
    written = {line["id"] for envelope in envelopes for line in envelope.lines}

    write_envelopes(envelopes)  # the default writer: COPY on PostgreSQL
    assert LogEntry.objects.count() == 2 * HOURS
    assert {str(e) for e in LogEntry.objects.values_list("event_id", flat=True)} == written
    assert duplicates() == 0
    assert one("SELECT count(*) FROM show_chunks(%s)", [TABLE]) >= 20  # chunks of at most a day over 20 days

    write_envelopes(envelopes)  # re-delivery into uncompressed chunks: nothing new
    assert LogEntry.objects.count() == 2 * HOURS and duplicates() == 0

    assert timescale.compress_chunks_older_than(connection, "2 days") >= 17
    assert compressed_chunks() >= 17
    before = dict(sql(f"SELECT event_id::text, message FROM {TABLE}"))
    write_envelopes(envelopes)  # re-delivery into compressed chunks: still nothing new
    assert LogEntry.objects.count() == 2 * HOURS and duplicates() == 0
    assert dict(sql(f"SELECT event_id::text, message FROM {TABLE}")) == before
    one_line = Envelope(tenant_id=alpha.id, app_id=envelopes[0].app_id, received_ns=envelopes[0].received_ns,
                        lines=[envelopes[0].lines[-1]])  # the oldest line, in a compressed chunk
    write_envelopes([one_line])
    assert LogEntry.objects.count() == 2 * HOURS

    # Queries over compressed and uncompressed chunks: each line found once.
    assert Search.for_tenant(alpha, "TIMEOUT").queryset().count() == HOURS // 2
    assert Search.for_tenant(alpha, "attributes.user_id:3").queryset().count() == HOURS // 5
    assert Search.for_tenant(alpha, f"trace_id:{5:032x}").queryset().count() == 1
    found = list(Search.for_tenant(bravo, "hour").queryset().values_list("event_id", flat=True))
    assert len(found) == len(set(found)) == HOURS

    # The continuous aggregate agrees with a raw count, minute by minute and through histogram().
    since, until = NOW - timedelta(days=3), NOW
    timescale.refresh_minute_counts(connection, since, until)
    for tenant in (alpha, bravo):
        aggregate = sql(f"SELECT bucket, level, sum(lines)::int FROM {timescale.MINUTE_COUNTS} "
                        "WHERE tenant_id = %s AND bucket >= %s AND bucket < %s GROUP BY 1, 2 ORDER BY 1, 2",
                        [tenant.id, since, until])
        raw = sql(f"SELECT time_bucket('1 minute', time), level, count(*)::int FROM {TABLE} "
                  "WHERE tenant_id = %s AND time >= %s AND time < %s GROUP BY 1, 2 ORDER BY 1, 2",
                  [tenant.id, since, until])
        assert aggregate == raw and len(raw) == 72
    from_aggregate = histogram(Search.for_tenant(alpha, since=since, until=until), interval_seconds=3600)
    from_table = histogram(Search.for_tenant(alpha, "hour", since=since, until=until), interval_seconds=3600)
    assert len(from_aggregate) == 72 and sum(b["count"] for b in from_aggregate) == 72
    assert from_aggregate == from_table

    # Tenant retention (batched deletes, into compressed chunks), then a delete by query.
    assert apply_retention(now=NOW) == {"alpha": HOURS - 7 * 24, "bravo": 0}
    assert {t.slug: LogEntry.objects.filter(tenant_id=t.id).count() for t in (alpha, bravo)} == \
        {"alpha": 7 * 24, "bravo": HOURS}
    assert delete_in_batches(Search.for_tenant(bravo, "timeout").queryset(), batch_size=50) == HOURS // 2
    assert {t.slug: LogEntry.objects.filter(tenant_id=t.id).count() for t in (alpha, bravo)} == \
        {"alpha": 7 * 24, "bravo": HOURS // 2}
    assert duplicates() == 0

    # drop_chunks removes whole chunks that ended more than 10 days before the database's now():
    # which lines go depends on the time of day, so check the bounds that do not.
    from django.utils import timezone as django_timezone

    now = django_timezone.now()
    recent = LogEntry.objects.filter(time__gte=now - timedelta(days=10)).count()
    assert recent > 0
    assert timescale.drop_chunks_older_than(connection, 10) >= 9
    assert LogEntry.objects.filter(time__gte=now - timedelta(days=10)).count() == recent  # nothing recent dropped
    assert LogEntry.objects.filter(time__lt=now - timedelta(days=11)).count() == 0  # everything past it gone


def test_the_policies_run_as_timescaledb_jobs(timescaledb):
    """The policies configure() made, run by TimescaleDB's job runner (run_job), not by our code."""
    # The policy's age as configure() sets it (scripts/test.sh defers the background one: 3650 days).
    # The background scheduler starts a new policy at once: left scheduled, it compresses the same
    # chunks as run_job below and each fails on the chunks the other holds (seen in CI). So the
    # jobs are unscheduled in the transaction that creates them, before the scheduler can see them.
    with transaction.atomic():
        timescale.configure(connection, compress_after="2 days")
        sql("SELECT alter_job(job_id, scheduled => false) FROM timescaledb_information.jobs "
            "WHERE hypertable_name IN (%s, %s)", [TABLE, timescale.MINUTE_COUNTS])
    tenant = Tenant.objects.create(slug="jobs", name="Jobs")
    app = App.objects.create(tenant=tenant, slug="web", name="Web")
    lines = lines_for("jobs", 10 * 24)
    write_envelopes([Envelope(tenant_id=tenant.id, app_id=app.id, received_ns=int(NOW.timestamp()) * 10**9,
                              lines=lines)])
    jobs = dict(sql("SELECT proc_name, job_id FROM timescaledb_information.jobs WHERE hypertable_name IN (%s, %s)",
                    [TABLE, timescale.MINUTE_COUNTS]))

    with connection.cursor() as cursor:
        cursor.execute("CALL run_job(%s)", [jobs["policy_compression"]])
    assert compressed_chunks() >= 7  # 8 days past the 2 days, in chunks of at most a day
    assert one(f"SELECT count(*) FROM {TABLE} WHERE tenant_id = %s", [tenant.id]) == len(lines)

    with connection.cursor() as cursor:
        cursor.execute("CALL run_job(%s)", [jobs["policy_refresh_continuous_aggregate"]])  # the last 3 days
        # Only what the job materialised (not the real-time part read from the raw table).
        cursor.execute(f"ALTER MATERIALIZED VIEW {timescale.MINUTE_COUNTS} SET (timescaledb.materialized_only = true)")
    since = NOW - timedelta(days=2)
    assert one(f"SELECT sum(lines)::int FROM {timescale.MINUTE_COUNTS} WHERE tenant_id = %s AND bucket >= %s",
               [tenant.id, since]) == LogEntry.objects.filter(tenant_id=tenant.id, time__gte=since).count() == 48
    assert LogEntry.objects.filter(tenant_id=tenant.id).count() == len(lines)
