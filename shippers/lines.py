"""Shipper records → normalised lines, through the same validation as our own JSON API.

Each protocol module turns its records into the plain dicts `POST /api/v1/logs` accepts
(message, level, service, host, trace_id, span_id, attributes) plus the record's own time in
nanoseconds, and this module runs them through `ingest.parsing.normalise_line`, so limits,
truncation and rejections are identical whatever protocol brought a line.
"""

from dataclasses import dataclass

from ingest.parsing import BodyError, LineError, Limits, ParsedBody, Rejection, normalise_line
from logline.levels import level_name, parse_level

# The bound logline.timestamps puts on parsed times (9999-12-31T23:59:59Z): protocol times arrive
# as integers and skip that parser, so they are checked against the same limit here.
MAX_TS_NS = 253402300799 * 10**9


@dataclass
class Record:
    """One protocol record: the plain fields, or why it cannot be used; and its time in ns."""

    fields: dict | LineError
    ts_ns: int
    where: str  # how the protocol names this record in an error message


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


def check_count(count: int, limits: Limits) -> None:
    if count > limits.max_lines:
        raise BodyError(413, "too_many_lines",
                        f"The body holds {count} log records; at most {limits.max_lines} per request.", "body")


def normalise_records(records: list[Record], *, size_bytes: int, limits: Limits) -> ParsedBody:
    """Validate every record; accepted ones become lines (with their index), the rest rejections."""
    check_count(len(records), limits)
    parsed = ParsedBody(size_bytes=size_bytes)
    for index, record in enumerate(records):
        try:
            line, truncated = normalise_line(record.fields, received_ns=record.ts_ns, limits=limits)
        except LineError as exc:
            parsed.rejected.append(Rejection(index, exc.code, f"{record.where}: {exc.message}", exc.field))
            continue
        line["index"] = index
        parsed.lines.append(line)
        parsed.truncated += truncated
    return parsed


def summarise_rejections(parsed: ParsedBody, *, total: int, noun: str, listed: int = 5) -> str:
    """One readable sentence about what was rejected, for protocols with a single error message."""
    reasons = "; ".join(r.message for r in parsed.rejected[:listed])
    more = f"; and {len(parsed.rejected) - listed} more" if len(parsed.rejected) > listed else ""
    return f"{len(parsed.rejected)} of {total} {noun} rejected: {reasons}{more}"
