"""Event ids: UUIDv7 (RFC 9562), time-ordered, made a request at a time.

One timestamp and one random draw per request, then a counter in the random bits
(RFC 9562's "monotonic random" method): ids of one request sort in line order, and
making 1,000 of them costs about as much as a few uuid4 calls.
"""

import os
import time

_RAND_B_BITS = 62
_RAND_B_MASK = (1 << _RAND_B_BITS) - 1
_VARIANT = 0b10 << _RAND_B_BITS


def uuid7_strings(count: int, *, now_ms: int | None = None) -> list[str]:
    ms = time.time_ns() // 1_000_000 if now_ms is None else now_ms
    rand = int.from_bytes(os.urandom(10), "big")
    high = ((ms & 0xFFFF_FFFF_FFFF) << 16) | (0x7 << 12) | (rand >> 68)
    base = rand & _RAND_B_MASK
    head = f"{high:016x}"
    prefix = f"{head[:8]}-{head[8:12]}-{head[12:16]}-"
    ids = []
    for i in range(count):
        low = f"{_VARIANT | ((base + i) & _RAND_B_MASK):016x}"
        ids.append(f"{prefix}{low[:4]}-{low[4:]}")
    return ids
