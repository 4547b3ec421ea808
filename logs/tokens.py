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
Measured: docs/storage.md.
"""

import re
import zlib
from functools import lru_cache
from typing import Iterable

WORD_CHARS = "A-Za-z0-9_"
_WORD = re.compile(f"[{WORD_CHARS}]+")


def words(text: str) -> list[str]:
    """The words of a text, case folded, in order (with repeats)."""
    return _WORD.findall(text.lower())


HASH_BITS = 22
_MASK = (1 << HASH_BITS) - 1


def word_hash(word: str) -> int:
    """A word's hash, 0 ≤ hash < 2**HASH_BITS (fits PostgreSQL's int4)."""
    return zlib.crc32(word.encode()) & _MASK


def hashes(all_words: Iterable[str]) -> list[int]:
    """Sorted distinct hashes of these words."""
    return sorted({word_hash(word) for word in all_words})


def _is_word_char(char: str) -> bool:
    return char.isascii() and (char.isalnum() or char == "_")


@lru_cache(maxsize=512)
def term_regex(term: str) -> re.Pattern:
    """Python: where `term` stands in a text on word boundaries, any case (see the module doc)."""
    return re.compile(python_pattern(term), re.IGNORECASE | re.DOTALL)


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
