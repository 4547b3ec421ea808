"""The embedded queue's file: a claim reads only the bodies it takes, and a drained backlog gives
its disk space back, in new files and in files made before that."""

import os
import sqlite3

from processing.embedded_queue import EmbeddedQueue

BODY = 100_000  # bytes a message: a backlog of them is tens of MB


def _size(path) -> int:
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return os.path.getsize(path)


def _publish(queue: EmbeddedQueue, count: int, lines: int = 100) -> list[bytes]:
    bodies = [i.to_bytes(4, "big") + os.urandom(BODY) for i in range(count)]
    for start in range(0, count, 50):
        queue.publish("k", bodies[start:start + 50], [lines] * len(bodies[start:start + 50]))
    return bodies


def test_a_claim_takes_whole_messages_in_order_up_to_its_lines_with_their_bodies(tmp_path):
    queue = EmbeddedQueue(tmp_path / "q.sqlite3")
    bodies = _publish(queue, 300)

    first = queue.poll(max_lines=550, timeout=0)
    second = queue.poll(max_lines=550, timeout=0)

    assert [m.value for m in first] == bodies[:5] and [m.value for m in second] == bodies[5:10]
    assert all(m.lines == 100 for m in first + second)
    queue.commit(first)
    assert queue.pending_lines() == 295 * 100


def test_a_drained_backlog_gives_its_disk_space_back(tmp_path):
    path = tmp_path / "q.sqlite3"
    queue = EmbeddedQueue(path)
    _publish(queue, 400)  # ~40 MB
    peak = _size(path)

    while messages := queue.poll(max_lines=1000, timeout=0):
        queue.commit(messages)

    assert queue.pending_lines() == 0
    assert peak > 40_000_000 and _size(path) < 20_000_000, (peak, _size(path))


def test_a_queue_file_made_without_auto_vacuum_is_converted_and_keeps_its_messages(tmp_path):
    path = tmp_path / "q.sqlite3"
    with sqlite3.connect(path) as conn:  # what older versions made: no auto_vacuum
        conn.execute("CREATE TABLE messages (id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL, "
                     "value BLOB NOT NULL, lines INTEGER NOT NULL, enqueued_at REAL NOT NULL, claimed_until REAL, "
                     "claim_token TEXT, deliveries INTEGER NOT NULL DEFAULT 0)")
        conn.execute("INSERT INTO messages (key, value, lines, enqueued_at) VALUES ('k', x'01', 1, 0)")
    conn.close()

    queue = EmbeddedQueue(path)

    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA auto_vacuum").fetchone()[0] == 2  # incremental
    conn.close()
    assert [m.value for m in queue.poll(max_lines=10, timeout=0)] == [b"\x01"]
