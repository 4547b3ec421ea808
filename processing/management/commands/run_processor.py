"""Run a processor: queue → database, until SIGTERM or SIGINT (the batch in flight finishes)."""

import signal

from django.core.management.base import BaseCommand

from processing.build import build_processor
from processing.health import serve_processor_health


class Command(BaseCommand):
    help = "Consume queued log lines in batches and store them. Stops cleanly on SIGTERM/SIGINT."

    def add_arguments(self, parser):
        parser.add_argument("--batch-lines", type=int, default=None, help="lines per batch (DEVLOGS_BATCH_LINES)")
        parser.add_argument("--max-wait", type=float, default=None,
                            help="seconds to wait for a batch to fill (DEVLOGS_BATCH_WAIT_SECONDS)")

    def handle(self, *args, batch_lines, max_wait, **options):
        overrides = {k: v for k, v in {"batch_lines": batch_lines, "max_wait": max_wait}.items() if v is not None}
        processor = build_processor(**overrides)
        serve_processor_health(processor)  # /healthz and /readyz on DEVLOGS_HEALTH_PORT, when set

        def on_signal(signum, frame):
            processor.stop.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        stats = processor.run()
        self.stdout.write(f"stopped after {stats.lines} lines in {stats.batches} batches")
