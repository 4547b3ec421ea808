"""Words of a message, as the search index and the query language see them.

A word is a maximal run of ASCII letters, digits and `_`, case folded: `req-8f3a user_id=42
/api/v1` holds `req`, `8f3a`, `user_id`, `42`, `api`, `v1`. A query word or phrase matches
where it stands in the message with no word character glued to either end (`fail` finds
`fail.` and `FAIL`, not `failed`), so every word of the query is a word of a matching message:
that is what lets the block index (logs/token_blocks.py) rule out whole batches of lines.

Words are hashed (CRC-32) into HASH_BITS bits for the index. A collision only costs a block
that is scanned for nothing, never a missed line; a bounded key space keeps the index small
(a GIN entry per distinct key costs ~40 bytes, a block id in a key's posting list 1–2): unique
ids are most words of a log, and at 2^22 keys they share keys instead of each taking an entry.
Attributes are indexed too, as tokens `<path>=<value>` (`attribute_tokens`) in the same hash
space, so that `user_id:42` rules out blocks as a word does. A token stands for what the query
language's equality means (logs/querylang/compiler.py): numbers equal as numbers (42, 42.0,
4.2e1 and "42" give one token), strings any case, `true`/`false`/`null`. Values inside arrays
get none: equality never looks into an array.

Measured: docs/storage.md.
"""

import re
import zlib
from decimal import Decimal
from functools import lru_cache
from typing import Iterable

from logs.numbers import is_number, number_value

WORD_CHARS = "A-Za-z0-9_"
_WORD = re.compile(f"[{WORD_CHARS}]+")


def words(text: str) -> list[str]:
    """The words of a text, case folded, in order (with repeats)."""
    return _WORD.findall(text.lower())


# Bytes: word characters kept (upper case folded), every other byte a space.
_WORD_BYTES = bytes((c | 0x20 if 65 <= c <= 90 else c) if chr(c).isascii() and (chr(c).isalnum() or c == 95)
                    else 32 for c in range(256))


def word_bytes(text: str) -> list[bytes]:
    """`words(text)` UTF-8 encoded, for the writer: on ASCII text (nearly every log line) a byte
    translation and a split, ~40 % cheaper than the regex. Other text goes through `words`:
    str.lower() folds a few non-ASCII letters into ASCII ones (the Kelvin sign into k)."""
    if text.isascii():
        return text.encode().translate(_WORD_BYTES).split()
    return [word.encode("utf-8", "surrogatepass") for word in words(text)]


HASH_BITS = 22
_MASK = (1 << HASH_BITS) - 1


# Starts every attribute token: never part of a word, so tokens and words never meet.
ATTRIBUTE_MARK = "\x1e"


def hashes(all_words: Iterable[str]) -> list[int]:
    """Sorted distinct hashes of these words."""
    return byte_hashes(word.encode("utf-8", "surrogatepass") for word in all_words)


def byte_hashes(all_words: Iterable[bytes]) -> list[int]:
    """Sorted distinct hashes of these UTF-8 encoded words (or attribute tokens): CRC-32 folded
    into HASH_BITS bits, 0 ≤ hash < 2**HASH_BITS (fits PostgreSQL's int4)."""
    crc32, mask = zlib.crc32, _MASK
    return sorted({crc32(word) & mask for word in all_words})


def attribute_token(path: tuple[str, ...] | list[str], value) -> str:
    """The token of `path` (keys from the top) holding the scalar `value` (str, number, bool, None)."""
    return f"{ATTRIBUTE_MARK}{'.'.join(path)}={_value_text(value)}".lower()


def attribute_tokens(attributes: dict) -> list[str]:
    """The tokens of every scalar in these (nested) attributes, arrays aside."""
    tokens, stack = [], [(ATTRIBUTE_MARK, attributes)]
    while stack:  # not recursive: depth is whatever the sender nested
        prefix, mapping = stack.pop()
        for key, value in mapping.items():
            if isinstance(value, dict):
                stack.append((f"{prefix}{key}.", value))
            elif not isinstance(value, list):
                tokens.append(f"{prefix}{key}={_value_text(value)}".lower())
    return tokens


_LITERALS = {True: "true", False: "false", None: "null"}
_PLAIN_INTEGERS = 10 ** 18


def _value_text(value) -> str:
    if value is True or value is False or value is None:
        return _LITERALS[value]
    if isinstance(value, str):
        # "42" is found by `key:42` (a number, or that exact string): one token for both.
        return _number_text(number_value(value)) if is_number(value) else value
    if isinstance(value, (int, float)):
        return _number_text(value)
    return str(value)


def _number_text(number: int | float) -> str:
    """One text for equal numbers: 100, 100.0 and 1e2 are "100". Integral values below 10**18 as
    integers, larger ones normalised (1E+20, from an int or a float alike); other values are
    floats on every side (stored or queried), so their shortest repr is already one text."""
    if isinstance(number, float):
        if not number.is_integer():
            return repr(number)  # also inf, nan
        if abs(number) < _PLAIN_INTEGERS:
            return str(int(number))
        return str(Decimal(repr(number)).normalize())
    if abs(number) < _PLAIN_INTEGERS:
        return str(number)
    return str(Decimal(number).normalize())


def _is_word_char(char: str) -> bool:
    return char.isascii() and (char.isalnum() or char == "_")


@lru_cache(maxsize=512)
def term_regex(term: str) -> re.Pattern:
    """Python: where `term` stands in a text on word boundaries, any case (see the module doc)."""
    return re.compile(python_pattern(term), re.IGNORECASE | re.DOTALL)


def wildcard_pattern(pattern: str) -> str:
    """Python: `pattern` somewhere in a text, `*` any run of characters (case is the flags' job)."""
    return ".*".join(re.escape(piece) for piece in pattern.split("*"))


@lru_cache(maxsize=512)
def contains_regex(pattern: str) -> re.Pattern:
    """Python: the message test of a wildcard search term, any case. The SQLite store runs this very
    regex (REGEXP); Python's case folding is Unicode's, where SQLite's LIKE folds ASCII only."""
    return re.compile(wildcard_pattern(pattern), re.IGNORECASE | re.DOTALL)


def python_pattern(term: str) -> str:
    before = f"(?<![{WORD_CHARS}])" if term[:1] and _is_word_char(term[0]) else ""
    after = f"(?![{WORD_CHARS}])" if term[-1:] and _is_word_char(term[-1]) else ""
    return before + re.escape(term) + after


def postgres_pattern(term: str) -> str:
    """The same test as `python_pattern`, for PostgreSQL's `~*` (ARE; no look-behind there)."""
    body = "".join(char if char.isalnum() else "\\" + char for char in term)
    before = f"(^|[^{WORD_CHARS}])" if term[:1] and _is_word_char(term[0]) else ""
    after = f"([^{WORD_CHARS}]|$)" if term[-1:] and _is_word_char(term[-1]) else ""
    return before + body + after


def contains_term(text: str, term: str) -> bool:
    return term_regex(term).search(text) is not None
