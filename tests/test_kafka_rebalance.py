"""A rebalance that happens inside a fetch must not lose the messages that fetch returned.

consume() runs the rebalance callbacks; the revoke callback replaces the consumer's buffer.
Messages appended to the old buffer would never be stored while later offsets got committed:
acknowledged lines lost (found by the end-to-end benchmark with two processors).
"""

from collections import deque

from confluent_kafka import TopicPartition

from processing.kafka_queue import KafkaConsumer
from processing.queue import Message


def test_messages_fetched_across_a_revoke_are_kept():
    consumer = KafkaConsumer.__new__(KafkaConsumer)  # no broker: the buffering logic alone
    consumer._buffer = deque()
    consumer.assigned = {0, 1}
    kept = [Message(key="app", value=b"x", lines=10, handle=("logs", 0, offset)) for offset in range(3)]

    def fetch_with_a_rebalance(*, timeout):
        consumer._forget([TopicPartition("logs", 1)])  # what the revoke callback does inside consume()
        return list(kept)

    consumer._fetch = fetch_with_a_rebalance
    assert consumer.poll(max_lines=1000, timeout=0) == kept
    assert consumer.assigned == {0}


def test_concurrent_first_requests_share_one_producer(settings, tmp_path):
    import threading

    from processing import queue as queue_module

    settings.DEVLOGS_QUEUE_PATH = tmp_path / "queue.sqlite3"
    queue_module.reset_producer()
    made, start = [], threading.Barrier(8)

    def first_request():
        start.wait()
        made.append(queue_module.get_producer())

    threads = [threading.Thread(target=first_request) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    try:
        assert len(made) == 8 and len({id(p) for p in made}) == 1
    finally:
        queue_module.reset_producer()
