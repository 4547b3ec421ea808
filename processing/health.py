"""The processor's liveness: its loop beats a heartbeat on every poll and every write attempt.

Idle, a processor polls every DEVLOGS_BATCH_WAIT_SECONDS; in a database outage it retries at
least every 45 s (backoff capped at 30 s, jitter ×1.5); in a broker outage its polls return
empty. So a heartbeat older than DEVLOGS_HEALTH_STALL_SECONDS (120 s) means a wedged loop,
not a dependency outage — restarting the container cannot fix an outage, and a probe must
not try. Readiness (database and queue reachable) is the health listener's own check.
"""

from devlogs import health_listener
from devlogs.health_listener import Heartbeat, HealthListener
from processing.processor import Processor
from processing.queue import Consumer, Message


class BeatingConsumer(Consumer):
    """A consumer that beats the heartbeat on each poll; everything else goes to the real one."""

    def __init__(self, inner: Consumer, heartbeat: Heartbeat):
        self.inner = inner
        self.heartbeat = heartbeat

    def poll(self, *, max_lines: int, timeout: float) -> list[Message]:
        self.heartbeat.beat()
        try:
            return self.inner.poll(max_lines=max_lines, timeout=timeout)
        finally:
            self.heartbeat.beat()

    def commit(self, messages: list[Message]) -> None:
        self.inner.commit(messages)

    def dead_letter(self, message: Message, error: str) -> None:
        self.inner.dead_letter(message, error)

    def close(self) -> None:
        self.inner.close()

    def __getattr__(self, name):  # lag(), pending_lines() and the like
        return getattr(self.inner, name)


def watch(processor: Processor, heartbeat: Heartbeat) -> None:
    """Make the processor's polls, write attempts and reconnections beat `heartbeat`."""
    processor.consumer = BeatingConsumer(processor.consumer, heartbeat)
    if processor.reconnect is not None:
        reconnect = processor.reconnect
        processor.reconnect = lambda: BeatingConsumer(reconnect(), heartbeat)
    write = processor.write

    def beating_write(envelopes):
        heartbeat.beat()
        return write(envelopes)

    processor.write = beating_write


def serve_processor_health(processor: Processor) -> HealthListener | None:
    """Start the health listener (DEVLOGS_HEALTH_PORT; None when unset) with this processor's heartbeat."""
    heartbeat = Heartbeat()
    listener = health_listener.start(heartbeat=heartbeat, checks=("database", "queue"))
    if listener is not None:
        watch(processor, heartbeat)
    return listener
