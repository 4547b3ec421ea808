"""Assemble a processor from settings: the queue's consumer, the log store's write, the live feed."""

from django.conf import settings

from logs.live import publish_envelopes
from logs.store import get_store
from processing.app_directory import AppDirectory
from processing.processor import Processor
from processing.queue import get_consumer


def build_processor(**overrides) -> Processor:
    options = {"batch_lines": settings.DEVLOGS_BATCH_LINES, "max_wait": settings.DEVLOGS_BATCH_WAIT_SECONDS}
    options.update(overrides)
    return Processor(consumer=get_consumer(), reconnect=get_consumer, write=get_store().write,
                     publish=publish_envelopes, known_app=AppDirectory().known, **options)
