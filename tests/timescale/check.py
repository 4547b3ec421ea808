"""Exercise the TimescaleDB code paths against a real TimescaleDB (the PGlite build served by
server.mjs) and print what happened as JSON. Run by tests/test_timescale.py in a subprocess,
with DATABASE_URL pointing at that server."""

import json
import os
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "devlogs.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from accounts.models import App, Tenant  # noqa: E402
from logs.deletion import delete_in_batches  # noqa: E402
from logs.histogram import histogram  # noqa: E402
from logs.levels import ERROR, INFO  # noqa: E402
from logs.models import LogEntry  # noqa: E402
from logs.retention import apply_retention  # noqa: E402
from logs.search import Search  # noqa: E402
from logs.timescale import (compress_chunks_older_than, drop_chunks_older_than, is_hypertable,  # noqa: E402
                            refresh_minute_counts)
from logs.writer import write_envelopes  # noqa: E402
from processing.envelope import Envelope  # noqa: E402

NOW = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)


def lines_for(tenant: str, hours: int) -> list[dict]:
    out = []
    for h in range(hours):
        moment = NOW - timedelta(hours=h, minutes=30)
        ns = int(moment.timestamp()) * 10**9
        out.append({"id": f"01a229c6-0000-7000-8{tenant[0] == 'a':03x}-{h:012x}", "ts": ns,
                    "level": ERROR if h % 3 == 0 else INFO, "message": f"{tenant} hour {h} {'timeout' if h % 2 else 'ok'}",
                    "service": "api", "host": "web-1", "trace_id": "", "span_id": "",
                    "attributes": {"user_id": h % 5, "tenant": tenant}})
    return out


def main() -> dict:
    result = {}
    call_command("migrate", verbosity=0)
    result["engine"] = connection.settings_dict["ENGINE"]
    result["hypertable"] = is_hypertable(connection)
    alpha = Tenant.objects.create(slug="alpha", name="Alpha", retention_days=7)
    bravo = Tenant.objects.create(slug="bravo", name="Bravo", retention_days=30)
    envelopes = []
    for tenant in (alpha, bravo):
        app = App.objects.create(tenant=tenant, slug="web", name="Web")
        envelopes.append(Envelope(tenant_id=tenant.id, app_id=app.id, received_ns=int(NOW.timestamp()) * 10**9,
                                  lines=lines_for(tenant.slug, 20 * 24)))
    write_envelopes(envelopes)
    result["rows"] = LogEntry.objects.count()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM show_chunks(%s)", [LogEntry._meta.db_table])
        result["chunks"] = cursor.fetchone()[0]
    result["compressed_chunks"] = compress_chunks_older_than(connection, "2 days")
    write_envelopes(envelopes)  # re-delivery into compressed chunks: a no-op
    result["rows_after_rewrite"] = LogEntry.objects.count()

    since, until = NOW - timedelta(days=3), NOW
    refresh_minute_counts(connection, since, until)
    from_aggregate = histogram(Search.for_tenant(alpha, since=since, until=until), interval_seconds=3600)
    from_table = histogram(Search.for_tenant(alpha, "hour", since=since, until=until), interval_seconds=3600)
    result["histogram_buckets"] = len(from_aggregate)
    result["histogram_aggregate_equals_table"] = from_aggregate == from_table
    result["timeout_lines_alpha"] = Search.for_tenant(alpha, "TIMEOUT").queryset().count()
    result["user_3_lines_alpha"] = Search.for_tenant(alpha, "attributes.user_id:3").queryset().count()

    result["retention_deleted"] = apply_retention(now=NOW)
    result["rows_after_retention"] = {t.slug: LogEntry.objects.filter(tenant_id=t.id).count() for t in (alpha, bravo)}
    result["deleted_by_query"] = delete_in_batches(Search.for_tenant(bravo, "timeout").queryset(), batch_size=50)
    result["rows_after_delete"] = {t.slug: LogEntry.objects.filter(tenant_id=t.id).count() for t in (alpha, bravo)}
    # drop_chunks removes whole 1-day chunks that ended more than 10 days before the database's now():
    # which lines go depends on the time of day, so check the bounds that do not.
    from django.utils import timezone

    now = timezone.now()
    result["rows_within_10_days"] = LogEntry.objects.filter(time__gte=now - timedelta(days=10)).count()
    result["dropped_chunks"] = drop_chunks_older_than(connection, 10)
    result["rows_within_10_days_after_drop"] = LogEntry.objects.filter(time__gte=now - timedelta(days=10)).count()
    result["rows_older_than_11_days_after_drop"] = LogEntry.objects.filter(time__lt=now - timedelta(days=11)).count()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM timescaledb_information.jobs WHERE hypertable_name IN (%s, %s)",
                       [LogEntry._meta.db_table, "logs_minute_counts"])
        result["policies"] = cursor.fetchone()[0]
    return result


if __name__ == "__main__":
    print(json.dumps(main()))
