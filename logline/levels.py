"""Log levels: six names, ordered, stored as small integers (OpenTelemetry severity numbers).

Input is forgiving (any case, common aliases, syslog severities 0-7); storage and output
are canonical, so `level >= warn` is a plain integer comparison.
"""

TRACE, DEBUG, INFO, WARN, ERROR, FATAL = 1, 5, 9, 13, 17, 21

NAMES = {TRACE: "trace", DEBUG: "debug", INFO: "info", WARN: "warn", ERROR: "error", FATAL: "fatal"}
ORDER = list(NAMES.values())
NUMBERS = {name: number for number, name in NAMES.items()}

_ALIASES = {
    "trace": TRACE, "trc": TRACE, "verbose": TRACE, "finest": TRACE,
    "debug": DEBUG, "dbg": DEBUG, "d": DEBUG, "fine": DEBUG,
    "info": INFO, "information": INFO, "informational": INFO, "inf": INFO, "i": INFO, "notice": INFO, "log": INFO,
    "warn": WARN, "warning": WARN, "wrn": WARN, "w": WARN,
    "error": ERROR, "err": ERROR, "e": ERROR, "severe": ERROR,
    "fatal": FATAL, "critical": FATAL, "crit": FATAL, "emerg": FATAL, "emergency": FATAL,
    "alert": FATAL, "panic": FATAL, "f": FATAL,
}

# RFC 5424 severities: 0 emergency .. 7 debug.
_SYSLOG = {0: FATAL, 1: FATAL, 2: FATAL, 3: ERROR, 4: WARN, 5: INFO, 6: INFO, 7: DEBUG}


def parse_level(value) -> int:
    """Canonical level number for a name, alias or syslog severity; ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError("level must be a name like 'error' or a syslog number 0-7, not a boolean")
    if isinstance(value, int):
        if value in _SYSLOG:
            return _SYSLOG[value]
        raise ValueError(f"level {value} is not a syslog severity (0-7)")
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _ALIASES:
            return _ALIASES[text]
        if text.isdigit() and int(text) in _SYSLOG:
            return _SYSLOG[int(text)]
        raise ValueError(f"unknown level {value[:40]!r}; use one of {', '.join(ORDER)} (or a syslog number 0-7)")
    raise ValueError(f"level must be a string or a syslog number, not {type(value).__name__}")


def level_name(number: int) -> str:
    return NAMES.get(number, "info")
