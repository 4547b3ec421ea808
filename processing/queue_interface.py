"""What a queue backend is: the producer ingest publishes to, the consumer processors read.

The backends (embedded_queue.py, kafka_queue.py) implement it; processing/queue.py picks one.
"""

import abc
from dataclasses import dataclass
from typing import Any


class QueueUnavailable(Exception):
    """The queue could not take the messages durably; nothing may be reported as accepted."""


@dataclass
class Message:
    key: str
    value: bytes
    lines: int
    handle: Any = None  # backend's reference, used by commit and dead_letter


class Producer(abc.ABC):
    @abc.abstractmethod
    def publish(self, key: str, values: list[bytes], lines: list[int]) -> None:
        """Durably queue `values` under `key`; raise QueueUnavailable when that cannot be done."""

    def close(self) -> None:
        """Flush and release resources."""


class Consumer(abc.ABC):
    @abc.abstractmethod
    def poll(self, *, max_lines: int, timeout: float) -> list[Message]:
        """Up to about `max_lines` lines of messages, waiting at most `timeout` seconds for the first."""

    @abc.abstractmethod
    def commit(self, messages: list[Message]) -> None:
        """The messages are stored: never deliver them again."""

    @abc.abstractmethod
    def dead_letter(self, message: Message, error: str) -> None:
        """Set aside a message that can never be processed, with the reason."""

    def close(self) -> None:
        """Release resources; uncommitted messages will be delivered again."""
