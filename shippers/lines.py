"""Shipper records → normalised lines, through the same validation as our own JSON API.

Each protocol module turns its records into the plain dicts `POST /api/v1/logs` accepts
(message, level, service, host, trace_id, span_id, attributes) plus the record's own time in
nanoseconds (an `ingest.parsing.Record`), and `ingest.parsing.normalise_records` runs them
through the same loop as every protocol, so limits, truncation and rejections are identical
whatever protocol brought a line.
"""

from ingest.parsing import LineError, ParsedBody, Record

__all__ = ["Record", "check_ts", "lenient_level", "summarise_rejections"]
from logline.levels import level_name, parse_level

# The bound logline.timestamps puts on parsed times (9999-12-31T23:59:59Z): protocol times arrive
# as integers and skip that parser, so they are checked against the same limit here.
MAX_TS_NS = 253402300799 * 10**9


def check_ts(ns: int, what: str = "timestamp") -> int:
    if ns < 0 or ns > MAX_TS_NS:
        raise LineError("invalid_timestamp", f"The {what} {ns} ns is outside 1970..9999.", "timestamp")
    return ns


def lenient_level(value) -> str | None:
    """Our level name for a shipper's level/severity value, or None when it names no level.

    Shippers label levels freely (Loki's detected_level is "unknown" when it cannot tell), so an
    unrecognised value keeps the line at the default level instead of rejecting it.
    """
    try:
        return level_name(parse_level(value))
    except ValueError:
        return None


def summarise_rejections(parsed: ParsedBody, *, total: int, noun: str, listed: int = 5) -> str:
    """One readable sentence about what was rejected, for protocols with a single error message."""
    reasons = "; ".join(r.message for r in parsed.rejected[:listed])
    more = f"; and {len(parsed.rejected) - listed} more" if len(parsed.rejected) > listed else ""
    return f"{len(parsed.rejected)} of {total} {noun} rejected: {reasons}{more}"
