"""Dead letters on Redis: the stream `<prefix>:dead`, replayed onto the lines streams.

Letters stay in the stream after a replay (as on Kafka's topic); the set `<prefix>:dead:replayed`
remembers which were replayed, so `list` marks them and `replay --all` skips them. A letter's id
is its entry id in the dead-letter stream.
"""

import redis

from processing.dead_letter_record import DeadLetter, DeadLetterNotFound
from processing.queue_interface import QueueUnavailable
from processing.redis_queue import RedisProducer, RedisStreams


class RedisDeadLetters:
    def __init__(self, settings):
        self.settings = settings
        self.streams = RedisStreams(settings)
        self.replayed_key = self.streams.dead + ":replayed"

    def _letters(self, entries) -> list[DeadLetter]:
        client = self.streams.client
        replayed = {member.decode() for member in client.smembers(self.replayed_key)}
        return [_letter(entry_id.decode(), fields, entry_id.decode() in replayed) for entry_id, fields in entries]

    def recent(self, limit: int) -> list[DeadLetter]:
        return self._letters(self.streams.client.xrange(self.streams.dead, count=limit))

    def get(self, letter_id: str) -> DeadLetter:
        try:
            entries = self.streams.client.xrange(self.streams.dead, min=letter_id, max=letter_id, count=1)
        except redis.ResponseError:
            raise DeadLetterNotFound(f"{letter_id} (ids look like 1700000000000-0)") from None
        if not entries:
            raise DeadLetterNotFound(letter_id)
        return self._letters(entries)[0]

    def replay(self, ids: list[str] | None) -> int:
        if ids is not None:
            letters = [self.get(letter_id) for letter_id in ids]
        else:
            letters = [letter for letter in self._letters(self.streams.client.xrange(self.streams.dead))
                       if not letter.replayed]
        if not letters:
            return 0
        producer = RedisProducer(self.settings)
        try:
            for letter in letters:
                producer.publish(letter.key, [letter.value], [letter.lines])
                self.streams.client.sadd(self.replayed_key, letter.id)
        except redis.RedisError as exc:
            raise QueueUnavailable(f"redis: {exc}") from None
        finally:
            producer.close()
        return len(letters)


def _letter(letter_id: str, fields: dict, replayed: bool) -> DeadLetter:
    text = lambda name, default="": fields.get(name.encode(), default.encode()).decode(errors="replace")  # noqa: E731
    return DeadLetter(id=letter_id, key=text("k"), lines=int(text("n", "1") or 1), error=text("error"),
                      source=text("source", "?"), failed_at=float(text("failed_at", "0") or 0),
                      value=fields.get(b"v", b""), replayed=replayed)
