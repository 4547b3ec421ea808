"""Re-apply the TimescaleDB chunk interval, compression, retention and aggregate settings."""

from django.core.management.base import BaseCommand
from django.db import connection

from logs.timescale import configure, is_hypertable


class Command(BaseCommand):
    help = "Apply DEVLOGS_TIMESCALE_* settings to the log hypertable (no-op without TimescaleDB)."

    def handle(self, *args, **options):
        if not is_hypertable(connection):
            self.stdout.write("the log table is not a TimescaleDB hypertable; nothing to do")
            return
        for action in configure(connection):
            self.stdout.write(action)
