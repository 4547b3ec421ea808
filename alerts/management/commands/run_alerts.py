"""Run the alerts worker until SIGTERM or SIGINT (the evaluation or send in hand finishes first)."""

import signal
import threading

from django.core.management.base import BaseCommand

from alerts.worker import run
from devlogs import health_listener


class Command(BaseCommand):
    help = "Evaluate alert rules and send their notifications, every few seconds. Stops cleanly on SIGTERM/SIGINT."

    def add_arguments(self, parser):
        parser.add_argument("--tick", type=float, default=None,
                            help="seconds between ticks (DEVLOGS_ALERT_TICK_SECONDS)")

    def handle(self, *args, tick, **options):
        stop = threading.Event()

        def on_signal(signum, frame):
            stop.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        heartbeat = health_listener.Heartbeat()
        # /healthz, /readyz and /metrics on DEVLOGS_HEALTH_PORT when set; liveness follows the loop's ticks.
        health_listener.start(heartbeat=heartbeat, checks=("database",))
        run(stop, tick_seconds=tick, heartbeat=heartbeat)
        self.stdout.write("alerts worker stopped")
