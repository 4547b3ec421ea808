"""The embedded mode's processor: a daemon thread of the server process."""

import logging
import threading

from processing.build import build_processor
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


def _run(processor: Processor) -> None:
    # A daemon thread must never die silently: log and restart the loop.
    while True:
        try:
            processor.run()
            return
        except Exception:
            log.exception("in-server processor crashed; restarting")
            processor.stop.wait(1.0)
