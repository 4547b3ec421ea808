"""Run a worker command with the health listener beside it, for commands that start none themselves.

    python manage.py run_with_health run_alerts --tick 5
    python manage.py run_with_health --checks database,queue run_syslog

/healthz answers while the process runs (a command that later starts its own heartbeat
through devlogs.health_listener.start attaches to this listener); /readyz runs the checks.
"""

import argparse

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from devlogs import health_listener
from devlogs.health import CHECKS


class Command(BaseCommand):
    help = "Run another management command with /healthz and /readyz on DEVLOGS_HEALTH_PORT."

    def add_arguments(self, parser):
        parser.add_argument("--checks", default="database",
                            help=f"readiness checks, comma-separated, of: {', '.join(CHECKS)} (default: database)")
        parser.add_argument("worker", help="the command to run, e.g. run_alerts")
        parser.add_argument("worker_args", nargs=argparse.REMAINDER, help="its arguments")

    def handle(self, *args, checks, worker, worker_args, **options):
        names = [name.strip() for name in checks.split(",") if name.strip()]
        unknown = sorted(set(names) - set(CHECKS))
        if unknown:
            raise CommandError(f"unknown checks {unknown}; choose from {sorted(CHECKS)}")
        health_listener.start(checks=names)
        call_command(worker, *worker_args)
