"""Run the syslog listener (TCP, TLS, UDP) until SIGTERM or SIGINT; what was read is flushed first."""

import asyncio

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ingest.views import limits_from_settings
from shippers.syslog_server import config_from_settings, serve


class Command(BaseCommand):
    help = "Receive syslog (RFC 5424/3164) over TCP, TLS or UDP and queue it. See docs/shippers-bulk-syslog.md."

    def add_arguments(self, parser):
        parser.add_argument("--tcp", help="HOST:PORT or 'off' (DEVLOGS_SYSLOG_TCP)")
        parser.add_argument("--udp", help="HOST:PORT or 'off' (DEVLOGS_SYSLOG_UDP)")
        parser.add_argument("--api-key", help="key of the app that messages without their own key go to "
                                              "(DEVLOGS_SYSLOG_API_KEY)")
        parser.add_argument("--tls-cert", help="PEM certificate (chain); makes the TCP listener TLS-only")
        parser.add_argument("--tls-key", help="PEM private key of the certificate")
        parser.add_argument("--max-message-bytes", type=int)
        parser.add_argument("--idle-timeout", type=float, help="seconds before a silent connection is closed")
        parser.add_argument("--batch-lines", type=int)
        parser.add_argument("--batch-wait", type=float, help="seconds a batch waits to fill")

    def handle(self, *args, **options):
        names = ("tcp", "udp", "api_key", "tls_cert", "tls_key", "max_message_bytes", "idle_timeout", "batch_lines",
                 "batch_wait")
        try:
            config = config_from_settings(settings, **{name: options[name] for name in names})
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if not (config.tcp or config.udp):
            raise CommandError("Nothing to listen on: give --tcp or --udp (or DEVLOGS_SYSLOG_TCP/UDP).")

        def ready(listening):
            self.stdout.write(f"listening {' '.join(listening)}")
            self.stdout.flush()

        try:
            stats = asyncio.run(serve(config, limits=limits_from_settings(), on_ready=ready))
        except (ValueError, OSError) as exc:
            raise CommandError(f"cannot start the syslog listener: {exc}") from None
        self.stdout.write(f"stopped: {stats.as_text()}")
