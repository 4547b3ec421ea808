"""The public shape of a log entry, shared by the query API, export and the live feed."""

from datetime import datetime, timedelta, timezone

from logline.levels import level_name

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def ns_to_datetime(ns: int) -> datetime:
    return EPOCH + timedelta(microseconds=ns // 1000)


def iso(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_from_row(row, app_slug: str) -> dict:
    """A stored LogEntry as the API shows it."""
    return {
        "id": str(row.event_id),
        "time": iso(row.time),
        "received_at": iso(row.received_at),
        "app": app_slug,
        "level": level_name(row.level),
        "message": row.message,
        "service": row.service,
        "host": row.host,
        "trace_id": row.trace_id,
        "span_id": row.span_id,
        "attributes": row.attributes,
    }


def entry_from_line(line: dict, *, received_ns: int, app_slug: str) -> dict:
    """A queued line as the API shows it once stored (for the live feed, without a read-back)."""
    return {
        "id": line["id"],
        "time": iso(ns_to_datetime(line["ts"])),
        "received_at": iso(ns_to_datetime(received_ns)),
        "app": app_slug,
        "level": level_name(line["level"]),
        "message": line["message"],
        "service": line["service"],
        "host": line["host"],
        "trace_id": line["trace_id"],
        "span_id": line["span_id"],
        "attributes": line["attributes"],
    }
