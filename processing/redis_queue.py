"""The Redis Streams backend of the queue interface (docs/redis-queue.md).

N streams `<prefix>:<i>`; a key (the app id) always goes to the same stream, so one app's lines
keep their order. One consumer group reads them all.

Producer: each publish() is one pipeline of XADDs; it returns only when Redis has answered every
one (durable as far as Redis's own persistence goes: appendfsync always fsyncs before answering).
Entries are never trimmed by length (no MAXLEN): the bound is back-pressure instead — past
DEVLOGS_REDIS_QUEUE_MAX_PENDING unacknowledged entries publish() raises QueueUnavailable (503).

Order: a stream is read by one processor at a time, as a Kafka partition is. Processors announce
themselves in the sorted set `<prefix>:members` (score: Redis's clock, refreshed every third of
the claim time); stream i belongs to the i-th living member modulo their number. Only around a
membership change (a processor joining, leaving or dying) can two of them hold entries of one
stream at once; writes are idempotent, so that may reorder, never lose or double.

Consumer: XREADGROUP; commit() is XDEL + XACK, pipelined but not a MULTI (at maxmemory Redis
refuses a whole transaction, even one that only frees memory), so the streams hold exactly the
entries not yet stored (XLEN is the backlog, and memory is given back as lines are stored). A
processor that dies leaves its entries pending; after DEVLOGS_REDIS_QUEUE_CLAIM_IDLE_SECONDS
another one takes them over (XAUTOCLAIM). A living processor keeps its entries fresh from a
small thread (XCLAIM JUSTID, which does not count a delivery), so a long write, e.g. through a
database outage, is not taken from it. An entry delivered more than MAX_DELIVERIES times goes to
the dead-letter stream `<prefix>:dead` with the reason.
"""

import logging
import os
import secrets
import socket
import threading
import time
import zlib
from collections import deque

import redis

from processing.queue_interface import Consumer, Message, Producer, QueueUnavailable

log = logging.getLogger("devlogs.redis_queue")

# How long the back-pressure figure is reused: one round trip a second, not one a request.
BACKLOG_CACHE_SECONDS = 1.0
# Entries read per stream per XREADGROUP (each up to 1,000 lines; the rest waits in our buffer).
# Small, so that several processors share a burst instead of one taking it all.
READ_COUNT = 10
# How often a processor forgets the group's long-gone consumers (a consumer idle this long, at least).
SWEEP_SECONDS = 300.0


class RedisStreams:
    """Names and connection shared by producer, consumer and the dead-letter store."""

    def __init__(self, settings, *, socket_timeout: float = 10.0):
        self.prefix = settings.DEVLOGS_REDIS_QUEUE_PREFIX
        self.count = settings.DEVLOGS_REDIS_QUEUE_STREAMS
        self.group = settings.DEVLOGS_REDIS_QUEUE_GROUP
        self.streams = [f"{self.prefix}:{i}" for i in range(self.count)]
        self.dead = f"{self.prefix}:dead"
        self.client = redis.Redis.from_url(settings.DEVLOGS_REDIS_QUEUE_URL, socket_timeout=socket_timeout,
                                           socket_connect_timeout=min(socket_timeout, 5.0))
        self._groups_ready = False

    def stream_for(self, key: str) -> str:
        # crc32, not hash(): every process must send a key to the same stream.
        return self.streams[zlib.crc32(key.encode()) % self.count]

    def ensure_groups(self) -> None:
        """The group on every stream, from the start (id 0): no entry is ever skipped."""
        if self._groups_ready:
            return
        for stream in self.streams:
            try:
                self.client.xgroup_create(stream, self.group, id="0", mkstream=True)
            except redis.ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise
        self._groups_ready = True

    def backlog_by_stream(self) -> dict[str, int]:
        """Entries not yet acknowledged, per stream (acknowledged ones are deleted, so this is XLEN)."""
        pipe = self.client.pipeline(transaction=False)
        for stream in self.streams:
            pipe.xlen(stream)
        return dict(zip(self.streams, pipe.execute()))

    def pending_lines(self) -> int:
        """Lines not yet acknowledged; reads every entry, so for tests and tools only."""
        total = 0
        for stream in self.streams:
            for _id, fields in self.client.xrange(stream):
                total += int(fields.get(b"n", 1))
        return total

    def close(self) -> None:
        self.client.close()


def _redis_now(client) -> float:
    seconds, micros = client.time()
    return seconds + micros / 1e6


def _message(stream: str, entry_id: bytes, fields: dict) -> Message:
    return Message(key=fields.get(b"k", b"").decode(errors="replace"), value=fields.get(b"v", b""),
                   lines=max(int(fields.get(b"n", 1)), 1), handle=(stream, entry_id))


class RedisProducer(RedisStreams, Producer):
    def __init__(self, settings):
        super().__init__(settings)
        self.max_pending = settings.DEVLOGS_REDIS_QUEUE_MAX_PENDING
        self._backlog = 0
        self._backlog_at = float("-inf")
        self._lock = threading.Lock()

    def _over_bound(self) -> bool:
        now = time.monotonic()
        with self._lock:
            if now - self._backlog_at >= BACKLOG_CACHE_SECONDS:
                self._backlog = sum(self.backlog_by_stream().values())
                self._backlog_at = now
            return self._backlog >= self.max_pending

    def publish(self, key: str, values: list[bytes], lines: list[int]) -> None:
        try:
            self.ensure_groups()
            if self._over_bound():
                raise QueueUnavailable(f"redis queue: {self._backlog} entries wait for the processors "
                                       f"(DEVLOGS_REDIS_QUEUE_MAX_PENDING={self.max_pending})")
            stream = self.stream_for(key)
            pipe = self.client.pipeline(transaction=False)
            for value, count in zip(values, lines):
                pipe.xadd(stream, {"k": key, "v": value, "n": count})  # no MAXLEN: never trim the unprocessed
            results = pipe.execute(raise_on_error=True)
        except redis.RedisError as exc:
            raise QueueUnavailable(f"redis queue: {exc}") from None
        if len(results) != len(values) or not all(results):
            raise QueueUnavailable("redis queue: not every entry was acknowledged")
        with self._lock:
            self._backlog += len(values)


class RedisConsumer(RedisStreams, Consumer):
    def __init__(self, settings):
        self.claim_idle = settings.DEVLOGS_REDIS_QUEUE_CLAIM_IDLE_SECONDS
        # XREADGROUP BLOCK holds the socket for up to a poll's timeout: the socket may wait longer.
        super().__init__(settings, socket_timeout=max(30.0, self.claim_idle))
        self.max_deliveries = settings.DEVLOGS_REDIS_QUEUE_MAX_DELIVERIES
        self.name = f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(4)}"
        self._buffer: deque[Message] = deque()
        self._held: dict[str, set[bytes]] = {}  # delivered to us, not yet acknowledged
        self._held_lock = threading.Lock()
        self._claimed_at = float("-inf")
        self._swept_at = time.monotonic()
        self.members_key = f"{self.prefix}:members"
        self.owned: list[str] = []
        self._members_at = float("-inf")
        self._closing = threading.Event()
        self._keeper = threading.Thread(target=self._keep_alive, name="devlogs-redis-keepalive", daemon=True)
        self._keeper.start()

    # --- the interface ----------------------------------------------------------------------
    def poll(self, *, max_lines: int, timeout: float) -> list[Message]:
        try:
            self.ensure_groups()
            if time.monotonic() - self._members_at >= self.claim_idle / 3:
                self._refresh_membership()
            if not self._buffer:
                self._buffer.extend(self._reclaim())
            if not self._buffer:
                self._buffer.extend(self._read(timeout))
        except redis.RedisError as exc:
            if "NOGROUP" in str(exc):
                # Redis lost the group (restarted without persistence, flushed): make it again, from
                # id 0, so what was added since is read.
                self._groups_ready = False
            # Redis down: polls come back empty (the processor stays alive and says so), as with Kafka.
            log.warning("redis queue unreachable: %s", exc)
            self._closing.wait(min(max(timeout, 0.1), 1.0))
            return []
        messages, lines = [], 0
        while self._buffer and (not messages or lines + self._buffer[0].lines <= max_lines):
            message = self._buffer.popleft()
            messages.append(message)
            lines += message.lines
        return messages

    def _refresh_membership(self) -> None:
        """Say we are alive and work out which streams are ours (Redis's clock: hosts may disagree)."""
        now = _redis_now(self.client)
        pipe = self.client.pipeline(transaction=False)
        pipe.zadd(self.members_key, {self.name: now})
        pipe.zremrangebyscore(self.members_key, "-inf", now - self.claim_idle)  # the dead
        pipe.zrange(self.members_key, 0, -1)
        members = sorted(m.decode() for m in pipe.execute()[-1])  # by name: scores move with every refresh
        self._members_at = time.monotonic()
        if self.name not in members:  # removed as dead between our calls: we are back now
            members = sorted([*members, self.name])
        index, count = members.index(self.name), len(members)
        owned = [stream for i, stream in enumerate(self.streams) if i % count == index]
        if owned != self.owned:
            log.info("reading streams %s (%s processors)", [s.rsplit(":", 1)[1] for s in owned], count)
            self.owned = owned

    def _read(self, timeout: float) -> list[Message]:
        if not self.owned:  # more processors than streams: this one waits in reserve
            self._closing.wait(timeout)
            return []
        block = int(timeout * 1000) if timeout > 0 else None  # BLOCK 0 would wait for ever
        answer = self.client.xreadgroup(self.group, self.name, {s: ">" for s in self.owned}, count=READ_COUNT,
                                        block=block)
        messages = []
        for stream, entries in answer or []:
            stream = stream.decode()
            for entry_id, fields in entries:
                messages.append(_message(stream, entry_id, fields))
        self._hold(messages)
        return messages

    def _reclaim(self) -> list[Message]:
        """Entries a dead processor left pending; those delivered too often go to the dead letters."""
        now = time.monotonic()
        if now - self._claimed_at < min(self.claim_idle / 2, 5.0):
            return []
        self._claimed_at = now
        idle_ms = int(self.claim_idle * 1000)
        claimed = []
        for stream in self.owned:
            # A dead processor held at most its buffer and its batch: a few READ_COUNTs per stream.
            _next, entries, *_deleted = self.client.xautoclaim(stream, self.group, self.name, idle_ms,
                                                               start_id="0-0", count=10 * READ_COUNT)
            entries = [(entry_id, fields) for entry_id, fields in entries if fields]
            if not entries:
                continue
            pipe = self.client.pipeline(transaction=False)
            for entry_id, _fields in entries:
                pipe.xpending_range(stream, self.group, min=entry_id, max=entry_id, count=1)
            deliveries = [rows[0]["times_delivered"] if rows else 1 for rows in pipe.execute()]
            for (entry_id, fields), times in zip(entries, deliveries):
                message = _message(stream, entry_id, fields)
                if times > self.max_deliveries:
                    self.dead_letter(message, f"delivered {times} times without being stored "
                                              f"(DEVLOGS_REDIS_QUEUE_MAX_DELIVERIES={self.max_deliveries})")
                else:
                    claimed.append(message)
        if claimed:
            log.info("reclaimed %s entries idle over %ss", len(claimed), self.claim_idle)
        self._hold(claimed)
        if now - self._swept_at >= SWEEP_SECONDS:
            self._swept_at = now
            self._forget_dead_consumers()
        return claimed

    def _forget_dead_consumers(self) -> None:
        """Every process is a new consumer name: drop those gone for good, or the group grows for ever.
        Only those holding nothing: deleting a consumer drops its pending entries from the group."""
        idle_ms = 1000 * max(10 * self.claim_idle, SWEEP_SECONDS)
        for stream in self.owned:
            for consumer in self.client.xinfo_consumers(stream, self.group):
                name = consumer["name"].decode() if isinstance(consumer["name"], bytes) else consumer["name"]
                if consumer["pending"] == 0 and consumer["idle"] > idle_ms and name != self.name:
                    self.client.xgroup_delconsumer(stream, self.group, consumer["name"])

    def commit(self, messages: list[Message]) -> None:
        by_stream = self._release(messages)
        if not by_stream:
            return
        # Not a MULTI: at maxmemory Redis refuses a whole transaction, even one that only frees
        # memory, so a full queue could never be emptied. Deleted before acknowledged: if only the
        # XDEL lands, the entry's pending record is dropped when it is next claimed (its lines are
        # stored, so a redelivery writes nothing); an XACK alone would leave the entry in the stream.
        pipe = self.client.pipeline(transaction=False)
        for stream, ids in by_stream.items():
            pipe.xdel(stream, *ids)
            pipe.xack(stream, self.group, *ids)
        try:
            pipe.execute()
        except redis.RedisError as exc:
            # The lines are stored: redelivering them (after the claim time) writes nothing new.
            log.warning("redis ack failed (the entries will be redelivered): %s", exc)

    def dead_letter(self, message: Message, error: str) -> None:
        stream, entry_id = message.handle
        pipe = self.client.pipeline(transaction=True)
        pipe.xadd(self.dead, {"k": message.key, "v": message.value, "n": message.lines, "error": error[:2000],
                              "source": f"{stream}@{entry_id.decode()}", "failed_at": repr(time.time())})
        pipe.xack(stream, self.group, entry_id)
        pipe.xdel(stream, entry_id)
        try:
            pipe.execute()
        except redis.RedisError as exc:
            # Not set aside: the entry stays pending, so nothing is lost.
            raise QueueUnavailable(f"redis dead-letter stream {self.dead}: {exc}") from None
        self._release([message])

    def close(self) -> None:
        self._closing.set()
        self._keeper.join(timeout=2)
        try:  # leave at once: our streams go to the others without waiting for the claim time
            self.client.zrem(self.members_key, self.name)
        except redis.RedisError:
            pass
        super().close()

    # --- holding entries ------------------------------------------------------------------------
    def _hold(self, messages: list[Message]) -> None:
        with self._held_lock:
            for message in messages:
                stream, entry_id = message.handle
                self._held.setdefault(stream, set()).add(entry_id)

    def _release(self, messages: list[Message]) -> dict[str, list[bytes]]:
        by_stream: dict[str, list[bytes]] = {}
        with self._held_lock:
            for message in messages:
                stream, entry_id = message.handle
                by_stream.setdefault(stream, []).append(entry_id)
                self._held.get(stream, set()).discard(entry_id)
        return by_stream

    def _keep_alive(self) -> None:
        """Reset the idle time of what we hold, so no living processor's entries are reclaimed."""
        while not self._closing.wait(self.claim_idle / 3):
            with self._held_lock:
                held = {stream: list(ids) for stream, ids in self._held.items() if ids}
            try:
                # Membership here too: a processor busy writing for minutes is alive all the same.
                # (Only once it has joined, at its first poll: one that never polls must own nothing.)
                if self.owned:
                    self.client.zadd(self.members_key, {self.name: _redis_now(self.client)})
                for stream, ids in held.items():
                    # JUSTID: no delivery is counted; min-idle 0: taken back even if another took it.
                    self.client.xclaim(stream, self.group, self.name, 0, ids, justid=True)
            except redis.RedisError as exc:
                log.warning("redis keep-alive failed: %s", exc)

    # --- inspection (metrics, tests) ------------------------------------------------------------
    def lag_by_partition(self) -> dict[str, int]:
        return self.backlog_by_stream()

    def lag(self) -> int | None:
        try:
            return sum(self.backlog_by_stream().values())
        except redis.RedisError:
            return None
