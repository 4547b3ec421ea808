"""Store batches of lines. A line whose event id is already stored is skipped."""

import uuid

from django.db import transaction

from logs.entries import ns_to_datetime
from logs.models import LogEntry
from processing.envelope import Envelope


def rows_from_envelopes(envelopes: list[Envelope]) -> list[LogEntry]:
    """Model rows for a batch, de-duplicated by event id inside the batch."""
    rows, seen = [], set()
    for envelope in envelopes:
        received = ns_to_datetime(envelope.received_ns)
        for line in envelope.lines:
            if line["id"] in seen:
                continue
            seen.add(line["id"])
            rows.append(LogEntry(
                time=ns_to_datetime(line["ts"]), received_at=received,
                tenant_id=envelope.tenant_id, app_id=envelope.app_id, level=line["level"],
                message=line["message"], service=line["service"], host=line["host"],
                trace_id=line["trace_id"], span_id=line["span_id"], attributes=line["attributes"],
                event_id=uuid.UUID(line["id"]),
            ))
    return rows


def write_envelopes(envelopes: list[Envelope]) -> int:
    """Write all lines of these envelopes in one transaction; returns the lines offered."""
    rows = rows_from_envelopes(envelopes)
    with transaction.atomic():
        # ignore_conflicts: ON CONFLICT DO NOTHING (PostgreSQL) / INSERT OR IGNORE (SQLite)
        # on (event_id, time), which is what makes a re-delivered line a no-op.
        LogEntry.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
    return len(rows)
