"""Keyset (cursor) pagination over (time, id): stable under inserts, fast at any depth."""

import base64
from datetime import datetime

import orjson
from django.db.models import Q, QuerySet

from logs.entries import ns_to_datetime


class CursorError(ValueError):
    pass


def pack_cursor(micros: int, tie) -> str:
    """A cursor every store hands out: a time in microseconds and the row's tie-breaker (the SQL
    store's row id, ClickHouse's event id), as URL-safe text."""
    return base64.urlsafe_b64encode(orjson.dumps([micros, tie])).decode().rstrip("=")


def unpack_cursor(cursor: str, tie_type: type) -> tuple[int, object]:
    """(micros, tie) of a cursor pack_cursor made with a tie of `tie_type`; CursorError otherwise."""
    try:
        micros, tie = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if type(micros) is not int or type(tie) is not tie_type:
            raise TypeError
    except (ValueError, TypeError, orjson.JSONDecodeError):
        raise CursorError("The cursor is not one this API returned; start again without it.") from None
    return micros, tie


def encode_cursor(time: datetime, row_id: int) -> str:
    return pack_cursor(round(time.timestamp() * 1_000_000), row_id)


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    micros, row_id = unpack_cursor(cursor, int)
    return ns_to_datetime(micros * 1000), row_id


def after(queryset: QuerySet, time: datetime, row_id: int, *, newest_first: bool) -> QuerySet:
    """The rows that come after (time, row_id) in the chosen order.

    The plain `time` bound lets the (tenant, time, id) index start at the cursor; without it
    the OR made every page scan from the beginning (1M-row export: 6,500 rows/s).
    """
    if newest_first:
        return queryset.filter(Q(time__lte=time) & (Q(time__lt=time) | Q(id__lt=row_id)))
    return queryset.filter(Q(time__gte=time) & (Q(time__gt=time) | Q(id__gt=row_id)))


def ordered(queryset: QuerySet, *, newest_first: bool) -> QuerySet:
    return queryset.order_by("-time", "-id") if newest_first else queryset.order_by("time", "id")


def page(queryset: QuerySet, *, limit: int, cursor: str | None, newest_first: bool = True) -> tuple[list, str | None]:
    """One page in the chosen order, and the cursor of the next page or None."""
    if cursor:
        queryset = after(queryset, *decode_cursor(cursor), newest_first=newest_first)
    rows = list(ordered(queryset, newest_first=newest_first)[: limit + 1])
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor(rows[-1].time, rows[-1].id)
