"""Dead letters on Kafka: read from the dead-letter topic, replayed onto the lines topic.

A topic is a log, so replayed letters stay in it; the consumer group `<group>.dlq-replay`
remembers how far `replay all` has gone, and `list` marks what lies before that point.
"""

import time
import uuid

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition

from devlogs.kafka_client import client_config
from processing.dead_letter_record import DeadLetter, DeadLetterNotFound
from processing.kafka_queue import LINES_HEADER, KafkaProducer


class KafkaDeadLetters:
    def __init__(self, settings):
        self.settings = settings
        self.topic = settings.KAFKA_DLQ_TOPIC
        self.group = settings.KAFKA_CONSUMER_GROUP + ".dlq-replay"

    def _consumer(self, group: str | None = None) -> Consumer:
        return Consumer({**client_config(self.settings), "group.id": group or f"devlogs-dlq-reader-{uuid.uuid4()}",
                         "enable.auto.commit": False, "auto.offset.reset": "earliest",
                         "enable.partition.eof": True})

    def _partitions(self, consumer: Consumer) -> list[int]:
        metadata = consumer.list_topics(self.topic, timeout=10).topics.get(self.topic)
        if metadata is None or metadata.error is not None:
            return []
        return sorted(metadata.partitions)

    def _replayed_up_to(self, partitions: list[int]) -> dict[int, int]:
        replay = self._consumer(self.group)
        try:
            committed = replay.committed([TopicPartition(self.topic, p) for p in partitions], timeout=10)
        finally:
            replay.close()
        return {tp.partition: max(tp.offset, 0) for tp in committed}

    def _read(self, start: dict[int, int], limit: int | None = None) -> list[DeadLetter]:
        consumer = self._consumer()
        letters = []
        try:
            partitions = list(start)
            done = set()
            ends = {}
            for p in partitions:
                low, high = consumer.get_watermark_offsets(TopicPartition(self.topic, p), timeout=10)
                ends[p] = high
                if start[p] >= high:
                    done.add(p)
            consumer.assign([TopicPartition(self.topic, p, start[p] if start[p] >= 0 else OFFSET_BEGINNING)
                             for p in partitions if p not in done])
            deadline = time.monotonic() + 30
            while len(done) < len(partitions) and time.monotonic() < deadline:
                for message in consumer.consume(500, timeout=1):
                    if message.error():
                        if message.error().code() == KafkaError._PARTITION_EOF:
                            done.add(message.partition())
                        continue
                    letters.append(_letter(message))
                    if message.offset() + 1 >= ends[message.partition()]:
                        done.add(message.partition())
                    if limit is not None and len(letters) >= limit:
                        return letters
        finally:
            consumer.close()
        return letters

    def recent(self, limit: int) -> list[DeadLetter]:
        consumer = self._consumer()
        try:
            partitions = self._partitions(consumer)
        finally:
            consumer.close()
        if not partitions:
            return []
        replayed = self._replayed_up_to(partitions)
        letters = self._read({p: 0 for p in partitions}, limit)
        return [DeadLetter(**{**letter.__dict__, "replayed": int(letter.id.split(":")[1]) < replayed[
            int(letter.id.split(":")[0])]}) for letter in letters]

    def get(self, letter_id: str) -> DeadLetter:
        try:
            partition, offset = (int(part) for part in letter_id.split(":"))
        except ValueError:
            raise DeadLetterNotFound(f"{letter_id} (ids look like PARTITION:OFFSET)") from None
        letters = self._read({partition: offset}, limit=1)
        if not letters or letters[0].id != letter_id:
            raise DeadLetterNotFound(letter_id)
        return letters[0]

    def replay(self, ids: list[str] | None) -> int:
        if ids is not None:
            letters = [self.get(letter_id) for letter_id in ids]
        else:
            consumer = self._consumer()
            try:
                partitions = self._partitions(consumer)
            finally:
                consumer.close()
            start = self._replayed_up_to(partitions) if partitions else {}
            letters = self._read(start) if start else []
        producer = KafkaProducer(self.settings)
        try:
            for letter in letters:
                producer.publish(letter.key, [letter.value], [letter.lines])
        finally:
            producer.close()
        if ids is None and letters:
            last = {}
            for letter in letters:
                partition, offset = (int(part) for part in letter.id.split(":"))
                last[partition] = max(last.get(partition, -1), offset + 1)
            replay = self._consumer(self.group)
            try:
                replay.commit(offsets=[TopicPartition(self.topic, p, o) for p, o in last.items()],
                              asynchronous=False)
            finally:
                replay.close()
        return len(letters)


def _letter(message) -> DeadLetter:
    headers = {name: (value or b"").decode(errors="replace") for name, value in (message.headers() or [])}
    return DeadLetter(
        id=f"{message.partition()}:{message.offset()}", key=(message.key() or b"").decode(errors="replace"),
        lines=int(headers.get(LINES_HEADER, "1") or 1), error=headers.get("devlogs-error", ""),
        source=f"{headers.get('devlogs-source-topic', '?')}[{headers.get('devlogs-source-partition', '?')}]"
               f"@{headers.get('devlogs-source-offset', '?')}",
        failed_at=float(headers.get("devlogs-failed-at", "0") or 0), value=message.value() or b"")
