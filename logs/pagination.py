"""Keyset (cursor) pagination over (time, id): stable under inserts, fast at any depth."""

import base64
from datetime import datetime

import orjson
from django.db.models import Q, QuerySet

from logs.entries import ns_to_datetime


class CursorError(ValueError):
    pass


def encode_cursor(time: datetime, row_id: int) -> str:
    micros = round(time.timestamp() * 1_000_000)
    return base64.urlsafe_b64encode(orjson.dumps([micros, row_id])).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        micros, row_id = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not (isinstance(micros, int) and isinstance(row_id, int)):
            raise TypeError
    except (ValueError, TypeError, orjson.JSONDecodeError):
        raise CursorError("The cursor is not one this API returned; start again without it.") from None
    return ns_to_datetime(micros * 1000), row_id


def page_newest_first(queryset: QuerySet, *, limit: int, cursor: str | None) -> tuple[list, str | None]:
    """One page, newest first, and the cursor of the next (older) page or None."""
    if cursor:
        time, row_id = decode_cursor(cursor)
        queryset = queryset.filter(Q(time__lt=time) | Q(time=time, id__lt=row_id))
    rows = list(queryset.order_by("-time", "-id")[: limit + 1])
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor(rows[-1].time, rows[-1].id)
