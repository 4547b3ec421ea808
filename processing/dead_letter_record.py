"""A dead letter as every backend's store shows it (processing/dead_letters.py picks the store)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class DeadLetter:
    id: str
    key: str
    lines: int
    error: str
    source: str
    failed_at: float
    value: bytes
    replayed: bool = False


class DeadLetterNotFound(LookupError):
    pass
