"""Delete lines older than each tenant's retention; once, or every N seconds."""

import signal
import threading

from django.core.management.base import BaseCommand

from logs.retention import apply_retention


class Command(BaseCommand):
    help = "Enforce each tenant's retention_days (run from cron, or with --every as a long-lived process)."

    def add_arguments(self, parser):
        parser.add_argument("--every", type=float, default=None, help="repeat every N seconds until SIGTERM")

    def handle(self, *args, every, **options):
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        while True:
            for tenant, count in apply_retention().items():
                self.stdout.write(f"{tenant}\t{count} deleted")
            if every is None or stop.wait(every):
                return
