"""Assemble a processor from settings: the queue's consumer, the log writer, the live feed."""

from django.conf import settings

from logs.live import publish_envelopes
from logs.writer import write_envelopes
from processing.processor import Processor
from processing.queue import get_consumer


def build_processor(**overrides) -> Processor:
    options = {"batch_lines": settings.DEVLOGS_BATCH_LINES, "max_wait": settings.DEVLOGS_BATCH_WAIT_SECONDS}
    options.update(overrides)
    return Processor(consumer=get_consumer(), reconnect=get_consumer, write=write_envelopes,
                     publish=publish_envelopes, **options)
