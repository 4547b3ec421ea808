"""A message's fingerprint: its text with the parts that change from line to line replaced.

"payment 8812 failed after 31 ms" and "payment 9920 failed after 7 ms" share the fingerprint
"payment <n> failed after <n> ms", so a new_value rule on `fingerprint` alerts on a new kind of
error, not on every new order number. The fingerprint is readable on purpose: it is what the
notification shows.
"""

import re

MAX_LENGTH = 300

# Order matters: the specific shapes go before the bare numbers inside them.
_REPLACEMENTS = [
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I), "<uuid>"),
    (re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b"), "<email>"),
    (re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b"), "<ip>"),
    (re.compile(r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?"), "<time>"),
    (re.compile(r"\b0x[0-9a-f]+\b", re.I), "<hex>"),
    # Hex runs with at least one digit and one letter (hashes, ids), not words like "deadline".
    (re.compile(r"\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b", re.I), "<hex>"),
    (re.compile(r"'[^']*'|\"[^\"]*\""), "<str>"),
    (re.compile(r"(?<![\w<])-?\d+(?:\.\d+)?(?![\w>])"), "<n>"),
]
_SPACES = re.compile(r"\s+")


def fingerprint(message: str) -> str:
    text = message[:4 * MAX_LENGTH]
    for pattern, placeholder in _REPLACEMENTS:
        text = pattern.sub(placeholder, text)
    return _SPACES.sub(" ", text).strip()[:MAX_LENGTH]
