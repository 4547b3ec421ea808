"""The syslog listener behind `manage.py run_syslog`: TCP (optionally TLS) and UDP, into the queue.

One asyncio loop reads messages; database and queue work (key look-ups, `submit_lines`) runs on
one worker thread, never on the loop. Messages are parsed and validated as they arrive
(shippers/syslog.py, then ingest.parsing.normalise_line) and collected by a `Batcher`, which hands
them to `submit_lines` by size or by time, grouped by API key.

When the queue cannot take lines the batch is kept and retried with backoff; once
`max_pending_lines` wait, TCP connections stop being read, so senders feel the backpressure
(rsyslog then queues on its side) instead of lines being dropped here. UDP cannot push back: its
datagrams are dropped and counted once the buffer is full. A tenant over its quota is refused
like over HTTP: those lines are dropped and counted. SIGTERM stops accepting, flushes what was
read (for at most `shutdown_seconds`) and exits.
"""

import asyncio
import concurrent.futures
import contextlib
import logging
import os
import signal
import socket
import ssl
import time
from dataclasses import dataclass

from django.db import close_old_connections

from accounts.keys import InvalidKey, authenticate_key
from accounts.scoping import Caller, caller_for_key
from devlogs import health_listener, metrics
from devlogs.errors import ApiError
from ingest.accept import now_ns
from ingest.event_ids import uuid7_strings
from ingest.parsing import Limits, LineError, normalise_line
from ingest.submit import submit_lines
from shippers.syslog import parse_message, take_key, to_record

log = logging.getLogger("devlogs.syslog")

KEY_CACHE_SECONDS = 60.0  # a revoked key stops working within this long
BACKOFF_START, BACKOFF_MAX = 0.2, 5.0
REJECTION_LOG_EVERY = 10.0  # seconds between logged rejections (each is counted)


@dataclass
class ListenerConfig:
    tcp: tuple[str, int] | None
    udp: tuple[str, int] | None
    api_key: str | None = None
    tls_cert: str | None = None
    tls_key: str | None = None
    max_message_bytes: int = 128 * 1024
    idle_timeout: float = 300.0
    batch_lines: int = 1000
    batch_wait: float = 0.2
    max_pending_lines: int = 20_000
    shutdown_seconds: float = 10.0
    udp_buffer_bytes: int = 8 * 1024 * 1024  # the kernel's receive buffer: a burst waits there


@dataclass
class Stats:
    received: int = 0
    accepted: int = 0  # durably queued
    rejected: int = 0  # unparsable, invalid, or without a usable key
    dropped: int = 0  # over quota, UDP overflow, or unflushed at shutdown
    connections: int = 0
    kernel_dropped: int = 0  # UDP datagrams the kernel dropped before we could read them (its buffer was full)

    def as_text(self) -> str:
        return (f"received={self.received} accepted={self.accepted} rejected={self.rejected} "
                f"dropped={self.dropped} kernel_dropped={self.kernel_dropped} connections={self.connections}")


def udp_kernel_drops(sock) -> int | None:
    """Datagrams the kernel dropped for this socket (Linux: /proc/net/udp's `drops`); None elsewhere."""
    inode = str(os.fstat(sock.fileno()).st_ino)
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            with open(table) as rows:
                for row in rows:
                    fields = row.split()
                    if len(fields) >= 13 and fields[9] == inode:
                        return int(fields[12])
        except OSError:
            return None
    return None


def _grow_receive_buffer(sock, size: int) -> int:
    # As root, SO_RCVBUFFORCE passes net.core.rmem_max; otherwise the kernel caps SO_RCVBUF there.
    for option in (getattr(socket, "SO_RCVBUFFORCE", 33), socket.SO_RCVBUF):
        try:
            sock.setsockopt(socket.SOL_SOCKET, option, size)
            break
        except OSError:
            continue
    return sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)


def parse_address(text: str, what: str) -> tuple[str, int] | None:
    """"host:port" → (host, port); "" or "off" → None. ValueError with a readable reason otherwise."""
    text = text.strip()
    if text.lower() in ("", "off", "none"):
        return None
    host, colon, port = text.rpartition(":")
    if not colon or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"{what} must be HOST:PORT (or 'off'), not {text!r}")
    return host.strip("[]") or "0.0.0.0", int(port)


@dataclass
class _Entry:
    caller: Caller
    line: dict
    event_id: str
    size: int  # bytes on the wire, weighed against the tenant's daily byte quota


class Rejections:
    """Counts rejected messages; logs one now and then with the running count, never a flood."""

    def __init__(self, stats: Stats):
        self.stats = stats
        self._last_logged = 0.0

    def add(self, reason: str, peer) -> None:
        self.stats.rejected += 1
        now = time.monotonic()
        if now - self._last_logged >= REJECTION_LOG_EVERY:
            self._last_logged = now
            log.warning("syslog message rejected from %s: %s (rejected so far: %s)", peer, reason, self.stats.rejected)


class KeyRing:
    """API keys → callers, looked up off the loop and cached for KEY_CACHE_SECONDS, so a revoked or
    expired key (the listener's own included) stops working within that time."""

    def __init__(self, run_sync, default_key: str | None):
        self._run_sync = run_sync
        self.default_key = default_key
        self._cache: dict[str, tuple[Caller | None, float]] = {}

    async def caller_for(self, raw_key: str | None) -> Caller | None:
        """The caller for a message's key, or for the listener's key when the message has none."""
        raw_key = raw_key or self.default_key
        if raw_key is None:
            return None
        cached = self._cache.get(raw_key)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        caller = await self._run_sync(_caller_or_none, raw_key)
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[raw_key] = (caller, time.monotonic() + KEY_CACHE_SECONDS)
        return caller


def _caller_or_none(raw_key: str) -> Caller | None:
    try:
        caller = caller_for_key(authenticate_key(raw_key))
    except InvalidKey:
        return None
    return caller if caller.can("ingest") else None


def resolve_listener_key(raw_key: str) -> Caller:
    """The listener-level key, checked at start-up: ValueError says why it cannot be used."""
    try:
        caller = caller_for_key(authenticate_key(raw_key))
    except InvalidKey as exc:
        raise ValueError(f"the syslog API key is unusable: {exc.message}") from None
    if not caller.can("ingest"):
        raise ValueError("the syslog API key lacks the 'ingest' scope")
    return caller


class Batcher:
    """Collects validated lines and submits them by size or time; keeps them while the queue is down."""

    def __init__(self, *, run_sync, stats: Stats, batch_lines: int, batch_wait: float, max_pending: int):
        self._run_sync = run_sync
        self.stats = stats
        self.batch_lines = batch_lines
        self.batch_wait = batch_wait
        self.max_pending = max_pending
        self.pending: list[_Entry] = []
        self._wake = asyncio.Event()
        self._space = asyncio.Event()
        self._space.set()
        self._stopping = False

    def full(self) -> bool:
        return len(self.pending) >= self.max_pending

    async def put(self, caller: Caller, line: dict, size: int) -> None:
        """Add a line; waits while the buffer is full (TCP: the connection stops being read)."""
        while self.full():
            self._space.clear()
            await self._space.wait()
        self._append(caller, line, size)

    def _append(self, caller: Caller, line: dict, size: int) -> None:
        # The event id is fixed now, so a batch retried after an ambiguous failure stores each line once.
        self.pending.append(_Entry(caller, line, uuid7_strings(1)[0], size))
        if len(self.pending) >= self.batch_lines:
            self._wake.set()

    async def run(self) -> None:
        """Flush until stopped and empty (or until `stop` gives up)."""
        backoff = BACKOFF_START
        while not (self._stopping and not self.pending):
            if not self._stopping and len(self.pending) < self.batch_lines:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self.batch_wait)
            self._wake.clear()
            if not self.pending:
                continue
            if await self.flush_once():
                backoff = BACKOFF_START
            else:
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX)

    async def flush_once(self) -> bool:
        """Submit up to one batch; True when nothing failed that must be retried."""
        batch = self.pending[:self.batch_lines]
        groups: dict[int, list[_Entry]] = {}
        for entry in batch:
            groups.setdefault(entry.caller.key.pk, []).append(entry)
        done: set[int] = set()
        retry = False
        for entries in groups.values():
            outcome = await self._run_sync(_submit_group, entries)
            if outcome == "queued":
                self.stats.accepted += len(entries)
                done.update(id(e) for e in entries)
            elif outcome == "refused":
                self.stats.dropped += len(entries)
                done.update(id(e) for e in entries)
            else:
                retry = True
        if done:
            self.pending = [e for e in self.pending if id(e) not in done]
            if not self.full():
                self._space.set()
        return not retry

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()


def _submit_group(entries: list[_Entry]) -> str:
    """queued | refused (over quota: dropped, as HTTP would refuse it) | retry (queue or database down)."""
    lines = []
    for position, entry in enumerate(entries):
        line = dict(entry.line)  # accept_lines edits the dicts it is given; a retry needs them intact
        line["index"] = position
        lines.append(line)
    caller = entries[0].caller
    try:
        submit_lines(caller=caller, lines=lines, received_ns=now_ns(),
                     size_bytes=sum(e.size for e in entries),
                     event_ids=[e.event_id for e in entries], protocol="syslog")
    except ApiError as exc:
        if exc.status_code == 429:
            log.warning("syslog lines over quota for tenant %s, dropping %s: %s", caller.tenant.slug, len(entries),
                        exc.message)
            return "refused"
        log.warning("syslog lines not queued (%s), keeping %s to retry", exc.code, len(entries))
        return "retry"
    except Exception:
        log.exception("syslog lines not queued, keeping %s to retry", len(entries))
        return "retry"
    return "queued"


class SyslogListener:
    """The listening sockets, their connections and the batcher of one `run_syslog` process."""

    def __init__(self, config: ListenerConfig, *, limits: Limits):
        self.config = config
        self.limits = limits
        self.stats = Stats()
        self.rejections = Rejections(self.stats)
        self._executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="syslog-db")
        self.batcher = Batcher(run_sync=self.run_sync, stats=self.stats, batch_lines=config.batch_lines,
                               batch_wait=config.batch_wait, max_pending=config.max_pending_lines)
        self.keys: KeyRing | None = None
        self._servers: list = []
        self._connections: set[asyncio.Task] = set()
        self._udp_transport = None
        self._udp_drops_at_start = 0
        self._udp_queue: asyncio.Queue | None = None
        self.stopped = asyncio.Event()

    async def run_sync(self, func, *args):
        return await asyncio.get_running_loop().run_in_executor(self._executor, _with_fresh_connection, func, *args)

    async def start(self) -> list[str]:
        """Bind the sockets; returns what is listening, for the log."""
        if self.config.api_key:
            await self.run_sync(resolve_listener_key, self.config.api_key)  # a bad key stops start-up
        else:
            log.warning("syslog listener has no API key (DEVLOGS_SYSLOG_API_KEY): only messages carrying "
                        "their own [devlogs key=\"…\"] are accepted")
        self.keys = KeyRing(self.run_sync, self.config.api_key)
        listening = []
        loop = asyncio.get_running_loop()
        if self.config.udp:
            self._udp_queue = asyncio.Queue(maxsize=max(1, self.config.max_pending_lines))
            self._udp_transport, _ = await loop.create_datagram_endpoint(
                lambda: _UdpProtocol(self), local_addr=self.config.udp)
            sock = self._udp_transport.get_extra_info("socket")
            granted = _grow_receive_buffer(sock, self.config.udp_buffer_bytes)
            self._udp_drops_at_start = udp_kernel_drops(sock) or 0
            self._connections.add(asyncio.create_task(self._udp_worker()))
            self._connections.add(asyncio.create_task(self._count_kernel_drops_every(5.0)))
            listening.append(f"udp={_sockname(self._udp_transport.get_extra_info('sockname'))} "
                             f"udp_buffer={granted}")
        if self.config.tcp:
            tls = self._tls_context()
            server = await asyncio.start_server(self._handle_tcp, *self.config.tcp, ssl=tls,
                                                limit=self.config.max_message_bytes + 64)
            self._servers.append(server)
            sockname = _sockname(server.sockets[0].getsockname())
            listening.append(f"{'tls' if tls else 'tcp'}={sockname}")
        self._batcher_task = asyncio.create_task(self.batcher.run())
        return listening

    def _tls_context(self) -> ssl.SSLContext | None:
        if not self.config.tls_cert:
            return None
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.config.tls_cert, self.config.tls_key or None)
        return context

    async def stop(self) -> None:
        """Stop reading, flush what was read (bounded), release the worker thread."""
        for server in self._servers:
            server.close()
        if self._udp_transport is not None:
            self._count_kernel_drops()
            self._udp_transport.close()
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        self.batcher.stop()
        try:
            await asyncio.wait_for(self._batcher_task, timeout=self.config.shutdown_seconds)
        except TimeoutError:
            lost = len(self.batcher.pending)
            self.stats.dropped += lost
            log.error("syslog listener stopping with %s lines the queue would not take; they are lost", lost)
        self._executor.shutdown(wait=True, cancel_futures=True)
        self.stopped.set()

    # --- messages -------------------------------------------------------------------------------

    async def accept_message(self, raw: bytes, peer) -> None:
        """Parse, authenticate and validate one message, then hand it to the batcher."""
        self.stats.received += 1
        received_ns = now_ns()
        try:
            message = parse_message(raw, received_ns=received_ns)
            raw_key = take_key(message)
            line, _truncated = normalise_line(to_record(message), received_ns=received_ns, limits=self.limits)
        except LineError as exc:
            self.rejections.add(f"{exc.code}: {exc.message}", peer)
            return
        caller = await self.keys.caller_for(raw_key)
        if caller is None:
            reason = ("no API key (set DEVLOGS_SYSLOG_API_KEY)" if raw_key is None and self.keys.default_key is None
                      else "an unusable (unknown, revoked, expired or read-only) API key")
            self.rejections.add(reason, peer)
            return
        await self.batcher.put(caller, line, len(raw))

    async def _handle_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        self._connections.add(task)
        self.stats.connections += 1
        peer = writer.get_extra_info("peername")
        count = 0
        try:
            async for frame in self._frames(reader, peer):
                count += 1
                await self.accept_message(frame, peer)
        except asyncio.CancelledError:
            pass
        except (ConnectionError, ssl.SSLError) as exc:
            log.info("syslog connection from %s ended: %s", peer, exc)
        finally:
            log.info("syslog connection from %s closed after %s messages", peer, count)
            self._connections.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), timeout=1)

    async def _frames(self, reader: asyncio.StreamReader, peer):
        """Messages of one connection; the first byte picks the framing (RFC 6587): a digit is octet
        counting, anything else one message per line."""
        idle, limit = self.config.idle_timeout, self.config.max_message_bytes
        octet_counting = None
        while True:
            try:
                if octet_counting is None:
                    first = await asyncio.wait_for(reader.read(1), idle)
                    if not first:
                        return
                    if first.isspace():
                        continue
                    octet_counting = first.isdigit()
                    pending = first
                else:
                    pending = b""
                if octet_counting:
                    header = (pending + await asyncio.wait_for(reader.readuntil(b" "), idle)).strip()
                    if not header.isdigit() or not 0 < int(header) <= limit:
                        log.warning("syslog connection from %s closed: bad or oversized octet count %r (limit %s)",
                                    peer, header[:20], limit)
                        return
                    yield await asyncio.wait_for(reader.readexactly(int(header)), idle)
                else:
                    line = pending + await asyncio.wait_for(reader.readuntil(b"\n"), idle)
                    if line.strip():
                        yield line
            except TimeoutError:
                log.info("syslog connection from %s idle for %ss, closed", peer, idle)
                return
            except asyncio.IncompleteReadError as exc:
                if exc.partial.strip() and not octet_counting:
                    yield pending + exc.partial  # the last line of a sender that closed without a newline
                return
            except asyncio.LimitOverrunError:
                log.warning("syslog connection from %s closed: a line longer than %s bytes", peer, limit)
                return

    def _count_kernel_drops(self) -> None:
        drops = udp_kernel_drops(self._udp_transport.get_extra_info("socket"))
        if drops is not None:
            self.stats.kernel_dropped = drops - self._udp_drops_at_start
            metrics.SYSLOG_UDP_KERNEL_DROPPED.set(self.stats.kernel_dropped)

    async def _count_kernel_drops_every(self, seconds: float) -> None:
        while True:
            await asyncio.sleep(seconds)
            self._count_kernel_drops()

    async def _udp_worker(self) -> None:
        while True:
            data, peer = await self._udp_queue.get()
            # Waits while the batcher is full; meanwhile datagrams queue up to the limit, then drop.
            await self.accept_message(data, peer)

    def udp_datagram(self, data: bytes, peer) -> None:
        if len(data) > self.config.max_message_bytes:
            self.stats.received += 1
            self.rejections.add(f"datagram of {len(data)} bytes over the limit", peer)
            return
        try:
            self._udp_queue.put_nowait((data, peer))
        except asyncio.QueueFull:
            self.stats.received += 1
            self.stats.dropped += 1


def _with_fresh_connection(func, *args):
    # Like a request: a database restart or an aged connection must not break this thread for good.
    close_old_connections()
    return func(*args)


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, listener: SyslogListener):
        self.listener = listener

    def datagram_received(self, data, addr):
        self.listener.udp_datagram(data, addr)


def _sockname(name) -> str:
    return f"{name[0]}:{name[1]}"


async def serve(config: ListenerConfig, *, limits: Limits, on_ready=None) -> Stats:
    """Run until SIGTERM or SIGINT; returns the counts."""
    listener = SyslogListener(config, limits=limits)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    listening = await listener.start()
    # Liveness (DEVLOGS_HEALTH_PORT, or run_with_health's listener): the loop beating proves it is not wedged.
    heartbeat = health_listener.Heartbeat()
    health_listener.start(heartbeat=heartbeat)
    beating = asyncio.create_task(_beat(heartbeat))
    log.info("syslog listener ready: %s", " ".join(listening))
    if on_ready is not None:
        on_ready(listening)
    await stop.wait()
    log.info("syslog listener stopping: %s", listener.stats.as_text())
    await listener.stop()
    beating.cancel()
    return listener.stats


async def _beat(heartbeat, every: float = 5.0) -> None:
    while True:
        heartbeat.beat()
        await asyncio.sleep(every)


def config_from_settings(settings, **overrides) -> ListenerConfig:
    """The listener's configuration: DEVLOGS_SYSLOG_* settings, with command-line values (not None) on top."""
    given = {name: value for name, value in overrides.items() if value is not None}
    return ListenerConfig(
        tcp=parse_address(given.get("tcp", settings.DEVLOGS_SYSLOG_TCP), "the TCP address"),
        udp=parse_address(given.get("udp", settings.DEVLOGS_SYSLOG_UDP), "the UDP address"),
        api_key=given.get("api_key", settings.DEVLOGS_SYSLOG_API_KEY) or None,
        tls_cert=given.get("tls_cert", settings.DEVLOGS_SYSLOG_TLS_CERT) or None,
        tls_key=given.get("tls_key", settings.DEVLOGS_SYSLOG_TLS_KEY) or None,
        max_message_bytes=given.get("max_message_bytes", settings.DEVLOGS_SYSLOG_MAX_MESSAGE_BYTES),
        idle_timeout=given.get("idle_timeout", settings.DEVLOGS_SYSLOG_IDLE_SECONDS),
        batch_lines=given.get("batch_lines", settings.DEVLOGS_SYSLOG_BATCH_LINES),
        batch_wait=given.get("batch_wait", settings.DEVLOGS_SYSLOG_BATCH_WAIT_SECONDS),
        max_pending_lines=given.get("max_pending_lines", settings.DEVLOGS_SYSLOG_MAX_PENDING_LINES),
        udp_buffer_bytes=settings.DEVLOGS_SYSLOG_UDP_BUFFER_BYTES,
    )
