"""The embedded mode's processor: a daemon thread of the server process."""

import logging
import threading

from django.conf import settings

from logs.live import publish_envelopes
from logs.store import get_store
from processing.build import build_processor
from processing.direct_write import DirectWriter
from processing.processor import Processor

log = logging.getLogger("devlogs.processor")
_thread: threading.Thread | None = None


def start_processor_thread() -> threading.Thread:
    global _thread
    if _thread is None or not _thread.is_alive():
        processor = build_processor()
        _thread = threading.Thread(target=_run, args=(processor,), name="devlogs-processor", daemon=True)
        _thread.start()
    return _thread


def use_direct_writes() -> DirectWriter:
    """Requests write their lines to the store themselves; the queue takes only what fails there."""
    from processing.embedded_queue import EmbeddedQueue
    from processing.queue import set_producer

    writer = DirectWriter(spill=EmbeddedQueue(settings.DEVLOGS_QUEUE_PATH), write=get_store().write,
                          publish=publish_envelopes, batch_lines=settings.DEVLOGS_BATCH_LINES)
    set_producer(writer)
    return writer


def _run(processor: Processor) -> None:
    # A daemon thread must never die silently: log and restart the loop.
    while True:
        try:
            processor.run()
            return
        except Exception:
            log.exception("in-server processor crashed; restarting")
            processor.stop.wait(1.0)
