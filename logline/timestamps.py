"""Timestamps in, nanoseconds since the epoch out.

Accepted: RFC 3339 strings (fractions to the nanosecond, `Z` or an offset; no offset
means UTC) and epoch numbers in seconds, milliseconds, microseconds or nanoseconds,
told apart by magnitude, as numbers or digit strings.
"""

import re
from datetime import date

_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9})\d*)?"
    r"(?:([Zz])|([+-])(\d{2}):?(\d{2}))?$"
)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_MAX_NS = 253402300799 * 10**9  # 9999-12-31T23:59:59Z

# Magnitude thresholds: 1e11 s is year 5138, so anything larger is a finer unit.
_SECONDS_BELOW = 10**11
_MILLIS_BELOW = 10**14
_MICROS_BELOW = 10**17


def parse_timestamp(value) -> int:
    """Nanoseconds since the epoch; ValueError with a readable reason otherwise."""
    if isinstance(value, bool):
        raise ValueError("timestamp must be an RFC 3339 string or an epoch number, not a boolean")
    if isinstance(value, (int, float)):
        return _from_epoch(value)
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return _from_epoch(int(text))
        return _from_rfc3339(text)
    raise ValueError(f"timestamp must be an RFC 3339 string or an epoch number, not {type(value).__name__}")


def _from_epoch(number) -> int:
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError("timestamp is not a finite number")
    if number < 0:
        raise ValueError("timestamp must not be before 1970")
    if number < _SECONDS_BELOW:
        # A float of seconds carries about microsecond precision; do not invent digits.
        ns = round(number * 10**6) * 1000 if isinstance(number, float) else number * 10**9
    elif number < _MILLIS_BELOW:
        ns = round(number * 10**6)
    elif number < _MICROS_BELOW:
        ns = round(number * 10**3)
    else:
        ns = int(number)
    if ns > _MAX_NS:
        raise ValueError("timestamp is beyond the year 9999")
    return ns


def _from_rfc3339(text: str) -> int:
    match = _RFC3339.match(text)
    if not match:
        raise ValueError(f"timestamp {text[:40]!r} is not RFC 3339 (e.g. 2026-11-29T23:40:01.123Z) or an epoch number")
    year, month, day, hour, minute, second = (int(match.group(i)) for i in range(1, 7))
    fraction = match.group(7) or ""
    try:
        days = date(year, month, day).toordinal() - _EPOCH_ORDINAL
    except ValueError as exc:
        raise ValueError(f"timestamp {text[:40]!r} has an invalid date: {exc}") from None
    if hour > 23 or minute > 59 or second > 60:
        raise ValueError(f"timestamp {text[:40]!r} has an invalid time of day")
    offset = 0
    if match.group(9):
        offset_h, offset_m = int(match.group(10)), int(match.group(11))
        if offset_h > 23 or offset_m > 59:
            raise ValueError(f"timestamp {text[:40]!r} has an invalid UTC offset")
        offset = (offset_h * 3600 + offset_m * 60) * (1 if match.group(9) == "+" else -1)
    seconds = days * 86400 + hour * 3600 + minute * 60 + min(second, 59) - offset
    ns = seconds * 10**9 + int(fraction.ljust(9, "0")) if fraction else seconds * 10**9
    if ns < 0:
        raise ValueError("timestamp must not be before 1970")
    return ns
