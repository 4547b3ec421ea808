"""Syslog messages (RFC 5424 and RFC 3164) → plain records for ingest.parsing.normalise_line.

Plain Python with no Django. No maintained parser exists on PyPI (the RFC 5424 ones were last
released years ago and none reads BSD syslog too), so this is a small, strict one:

- RFC 5424: `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD-ID name="value"…] MSG`, "-" for
  an absent field, an optional UTF-8 BOM before MSG.
- RFC 3164: `<PRI>Mmm dd hh:mm:ss HOSTNAME TAG[PID]: MSG`. It has no year and no time zone: the
  year is the one that puts the time nearest before the receipt, the zone is UTC. Senders that
  put an RFC 3339 time in its place (rsyslog's forward format) are read too.

Framing (RFC 6587): octet counting (`LEN SP MSG`) or one message per line, told apart by the
first byte. Mapping to our fields is in `to_record`; docs/shippers-bulk-syslog.md has the table.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone

from ingest.parsing import BodyError, LineError
from logline.timestamps import parse_timestamp

FACILITIES = ("kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp",
              "ntp", "security", "console", "solaris-cron", "local0", "local1", "local2", "local3", "local4",
              "local5", "local6", "local7")
SEVERITIES = ("emerg", "alert", "crit", "err", "warning", "notice", "info", "debug")

# Structured data that carries an API key for this one message: `[devlogs key="dl_ingest_…"]`
# (or an SD-ID `devlogs@<enterprise number>`). The key is taken out and never stored.
KEY_SD_ID = "devlogs"
KEY_PARAMS = ("key", "api_key")

_PRI = re.compile(r"<(\d{1,3})>")
_MONTHS = {name: number for number, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}
_BSD_TIME = re.compile(r"([A-Za-z]{3}) ([ \d]\d) (\d\d):(\d\d):(\d\d)(?:\.\d+)? ")
_ISO_TIME = re.compile(r"(\d{4}-\d\d-\d\d[Tt]\S+) ")
_TAG = re.compile(r"([^\s:\[\]]{1,128})(?:\[([^\]\s]{0,128})\])?: ?")
_SD_NAME = re.compile(r"[^\s=\]\"]{1,32}")
_OCTET_COUNT = re.compile(rb"\s*([1-9]\d{0,8}) ")
_DAY_NS = 86_400 * 10**9


@dataclass
class SyslogMessage:
    facility: int
    severity: int
    message: str
    rfc: str  # "5424" or "3164"
    ts_ns: int | None = None
    hostname: str | None = None
    app_name: str | None = None
    procid: str | None = None
    msgid: str | None = None
    structured_data: dict[str, dict] = field(default_factory=dict)


def parse_message(raw: bytes | str, *, received_ns: int) -> SyslogMessage:
    """One message without its framing; LineError says what is wrong with it."""
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, (bytes, bytearray)) else raw
    text = text.rstrip("\r\n")
    match = _PRI.match(text)
    if match is None:
        if text.startswith("<"):
            raise LineError("invalid_priority", "The priority must be <0> to <191> at the start of the message.",
                            "priority")
        raise LineError("missing_priority", "A syslog message starts with <PRI> (RFC 5424 or RFC 3164).", "priority")
    pri = int(match.group(1))
    if pri > 191:
        raise LineError("invalid_priority", f"The priority <{pri}> is out of range (0-191).", "priority")
    rest = text[match.end():]
    facility, severity = divmod(pri, 8)
    if rest[:1].isdigit() and rest[1:2] == " ":
        if rest[0] != "1":
            raise LineError("unsupported_version", f"Syslog protocol version {rest[0]} is not supported (only 1).",
                            "version")
        return _parse_5424(rest[2:], facility, severity)
    return _parse_3164(rest, facility, severity, received_ns)


def _nil(value: str) -> str | None:
    return None if value == "-" else value


def _parse_5424(rest: str, facility: int, severity: int) -> SyslogMessage:
    parts = rest.split(" ", 5)
    if len(parts) < 6:
        raise LineError("malformed_header", "The RFC 5424 header needs TIMESTAMP HOSTNAME APP-NAME PROCID MSGID "
                        "STRUCTURED-DATA, each '-' when absent.", "header")
    timestamp, hostname, app_name, procid, msgid, tail = parts
    ts_ns = None
    if timestamp != "-":
        try:
            ts_ns = parse_timestamp(timestamp)
        except ValueError as exc:
            raise LineError("invalid_timestamp", str(exc), "timestamp") from None
    if tail.startswith("-"):
        sd, after = {}, tail[1:]
    elif tail.startswith("["):
        sd, after = _parse_structured_data(tail)
    else:
        raise LineError("invalid_structured_data", "STRUCTURED-DATA must be '-' or [SD-ID name=\"value\" …].",
                        "structured_data")
    if after and not after.startswith(" "):
        raise LineError("invalid_structured_data", "STRUCTURED-DATA must be followed by a space and the message.",
                        "structured_data")
    message = after[1:]
    if message.startswith("\ufeff"):
        message = message[1:]
    return SyslogMessage(facility=facility, severity=severity, message=message, rfc="5424", ts_ns=ts_ns,
                         hostname=_nil(hostname), app_name=_nil(app_name), procid=_nil(procid), msgid=_nil(msgid),
                         structured_data=sd)


def _parse_structured_data(text: str) -> tuple[dict[str, dict], str]:
    """`[id a="1"][id2 b="2"] rest` → ({id: {a: "1"}, id2: {b: "2"}}, " rest")."""
    elements: dict[str, dict] = {}
    pos = 0
    while pos < len(text) and text[pos] == "[":
        name = _SD_NAME.match(text, pos + 1)
        if name is None:
            raise _sd_error("an SD-ID after '['")
        sd_id = name.group(0)
        params = elements.setdefault(sd_id, {})
        pos = name.end()
        while True:
            if pos >= len(text):
                raise _sd_error(f"']' to close [{sd_id}")
            if text[pos] == "]":
                pos += 1
                break
            if text[pos] != " ":
                raise _sd_error(f"a space or ']' in [{sd_id}")
            param = _SD_NAME.match(text, pos + 1)
            if param is None or text[param.end():param.end() + 2] != '="':
                raise _sd_error(f'name="value" in [{sd_id}')
            value, pos = _sd_value(text, param.end() + 2)
            name_ = param.group(0)
            if name_ in params:  # RFC 5424 allows a parameter to repeat
                previous = params[name_]
                params[name_] = [*previous, value] if isinstance(previous, list) else [previous, value]
            else:
                params[name_] = value
    return elements, text[pos:]


def _sd_value(text: str, pos: int) -> tuple[str, int]:
    out = []
    while pos < len(text):
        char = text[pos]
        if char == "\\" and pos + 1 < len(text) and text[pos + 1] in '"\\]':
            out.append(text[pos + 1])
            pos += 2
            continue
        if char == '"':
            return "".join(out), pos + 1
        out.append(char)
        pos += 1
    raise _sd_error("a closing '\"' for a parameter value")


def _sd_error(expected: str) -> LineError:
    return LineError("invalid_structured_data", f"Malformed STRUCTURED-DATA: expected {expected}.", "structured_data")


def _parse_3164(rest: str, facility: int, severity: int, received_ns: int) -> SyslogMessage:
    ts_ns = None
    bsd = _BSD_TIME.match(rest)
    iso = None if bsd else _ISO_TIME.match(rest)
    if bsd:
        ts_ns = _bsd_time(bsd, received_ns)
        rest = rest[bsd.end():]
    elif iso:
        try:
            ts_ns = parse_timestamp(iso.group(1))
        except ValueError as exc:
            raise LineError("invalid_timestamp", str(exc), "timestamp") from None
        rest = rest[iso.end():]
    hostname = None
    if ts_ns is not None:
        # After the time comes the host, unless the sender left it out and went straight to the tag.
        first, space, after = rest.partition(" ")
        if space and first and not first.endswith(":") and "[" not in first:
            hostname, rest = first, after
    app_name = procid = None
    tag = _TAG.match(rest)
    if tag:
        app_name, procid, rest = tag.group(1), tag.group(2) or None, rest[tag.end():]
    return SyslogMessage(facility=facility, severity=severity, message=rest, rfc="3164", ts_ns=ts_ns,
                         hostname=hostname, app_name=app_name, procid=procid)


def _bsd_time(match: re.Match, received_ns: int) -> int:
    month = _MONTHS.get(match.group(1).lower())
    if month is None:
        raise LineError("invalid_timestamp", f"{match.group(1)!r} is not a month name (Jan … Dec).", "timestamp")
    day, hour, minute, second = (int(match.group(i)) for i in range(2, 6))
    received_year = datetime.fromtimestamp(received_ns / 1e9, tz=timezone.utc).year
    for year in (received_year, received_year - 1):
        try:
            moment = datetime(year, month, day, hour, minute, min(second, 59), tzinfo=timezone.utc)
        except ValueError:
            continue  # e.g. Feb 29 in a year without one
        ts_ns = int(moment.timestamp()) * 10**9
        # A time more than a day ahead is from last year (December lines read in January).
        if ts_ns <= received_ns + _DAY_NS:
            return ts_ns
    raise LineError("invalid_timestamp", f"{match.group(0).strip()!r} is not a valid date.", "timestamp")


def take_key(message: SyslogMessage) -> str | None:
    """Remove and return a per-message API key carried in structured data (never stored)."""
    found = None
    for sd_id in list(message.structured_data):
        if sd_id != KEY_SD_ID and not sd_id.startswith(KEY_SD_ID + "@"):
            continue
        params = message.structured_data[sd_id]
        for name in KEY_PARAMS:
            value = params.pop(name, None)
            if isinstance(value, list):
                value = value[-1]
            if value and found is None:
                found = value
        if not params:
            del message.structured_data[sd_id]
    return found


def to_record(message: SyslogMessage) -> dict:
    """A plain record for normalise_line: severity → level, HOSTNAME → host, APP-NAME/TAG → service,
    the rest under attributes.syslog, structured data under attributes.sd.<SD-ID>.<name>."""
    syslog = {"facility": FACILITIES[message.facility], "severity": SEVERITIES[message.severity],
              "format": f"rfc{message.rfc}"}
    if message.procid is not None:
        syslog["procid"] = message.procid
    if message.msgid is not None:
        syslog["msgid"] = message.msgid
    attributes: dict = {"syslog": syslog}
    if message.structured_data:
        attributes["sd"] = message.structured_data
    record = {"message": message.message, "level": message.severity, "attributes": attributes}
    if message.ts_ns is not None:
        record["timestamp"] = message.ts_ns
    if message.hostname:
        record["host"] = message.hostname
    if message.app_name:
        record["service"] = message.app_name
    return record


def split_frames(data: bytes) -> list[bytes]:
    """The messages of a body: octet-counted when it starts with a digit, else one per line."""
    stripped = data.lstrip()
    if stripped[:1].isdigit():
        return _split_octet_counted(stripped)
    frames = []
    for raw in data.split(b"\n"):
        raw = raw.rstrip(b"\r")
        if raw.strip():
            frames.append(raw)
    return frames


def _split_octet_counted(data: bytes) -> list[bytes]:
    frames, pos = [], 0
    while pos < len(data):
        if not data[pos:].strip():
            break
        match = _OCTET_COUNT.match(data, pos)
        if match is None:
            raise BodyError(400, "malformed_framing", f"Octet-counted framing: expected 'LENGTH SP' at byte {pos} "
                            "(RFC 6587); or send one message per line.", "body")
        length = int(match.group(1))
        start = match.end()
        if start + length > len(data):
            raise BodyError(400, "malformed_framing", f"Octet-counted framing: the message at byte {pos} declares "
                            f"{length} bytes but only {len(data) - start} follow.", "body")
        frames.append(data[start:start + length])
        pos = start + length
    return frames
