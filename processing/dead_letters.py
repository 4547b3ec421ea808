"""Dead letters: list, show and replay messages the processor set aside, on any backend.

Replaying puts a message back on the lines queue unchanged (same event ids), so replaying
twice, or replaying something that was partly stored, stores nothing twice.
"""

import time

from django.conf import settings

from processing.dead_letter_record import DeadLetter, DeadLetterNotFound
from processing.embedded_queue import EmbeddedQueue

__all__ = ["DeadLetter", "DeadLetterNotFound", "list_dead_letters", "get_dead_letter", "replay_dead_letters"]


def _store():
    if settings.DEVLOGS_QUEUE == "kafka":
        from processing.kafka_dead_letters import KafkaDeadLetters

        return KafkaDeadLetters(settings)
    if settings.DEVLOGS_QUEUE == "redis":
        from processing.redis_dead_letters import RedisDeadLetters

        return RedisDeadLetters(settings)
    return EmbeddedDeadLetters(EmbeddedQueue(settings.DEVLOGS_QUEUE_PATH))


def list_dead_letters(limit: int = 100) -> list[DeadLetter]:
    return _store().recent(limit)


def get_dead_letter(letter_id: str) -> DeadLetter:
    return _store().get(letter_id)


def replay_dead_letters(ids: list[str] | None = None) -> int:
    """Replay these (or, with None, every not yet replayed) dead letters; returns how many."""
    return _store().replay(ids)


class EmbeddedDeadLetters:
    def __init__(self, queue: EmbeddedQueue):
        self.queue = queue

    def _letter(self, row: dict) -> DeadLetter:
        return DeadLetter(id=str(row["id"]), key=row["key"], lines=row["lines"], error=row["error"],
                          source=f"queue message {row['source_id']}", failed_at=row["failed_at"], value=row["value"])

    def recent(self, limit: int) -> list[DeadLetter]:
        return [self._letter(row) for row in self.queue.dead_letters()[:limit]]

    def get(self, letter_id: str) -> DeadLetter:
        for row in self.queue.dead_letters():
            if str(row["id"]) == letter_id:
                return self._letter(row)
        raise DeadLetterNotFound(letter_id)

    def replay(self, ids: list[str] | None) -> int:
        rows = self.queue.dead_letters()
        chosen = rows if ids is None else [row for row in rows if str(row["id"]) in set(ids)]
        if ids is not None and len(chosen) != len(set(ids)):
            missing = set(ids) - {str(row["id"]) for row in chosen}
            raise DeadLetterNotFound(", ".join(sorted(missing)))
        for row in chosen:
            self.queue.requeue_dead_letter(row["id"])
        return len(chosen)


def format_time(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(epoch))
