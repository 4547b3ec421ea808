"""The alerts worker: evaluate due rules, send due notifications, sleep; until told to stop."""

import logging
import threading

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from alerts.deliveries import send_due_deliveries
from alerts.evaluation import evaluate_due_rules

log = logging.getLogger("devlogs.alerts")


def run_once(now=None, *, stop: threading.Event | None = None) -> tuple[int, int]:
    """One tick: (rules evaluated, delivery attempts)."""
    now = now or timezone.now()
    outcomes = evaluate_due_rules(now, stop=stop)
    attempts = send_due_deliveries(now, stop=stop)
    return len(outcomes), len(attempts)


def start_alerts_thread() -> threading.Thread:
    """The embedded mode's alerts worker: a daemon thread of the server, like its processor."""
    thread = threading.Thread(target=run, args=(threading.Event(),), name="devlogs-alerts", daemon=True)
    thread.start()
    return thread


def run(stop: threading.Event, *, tick_seconds: float | None = None, heartbeat=None) -> None:
    """Tick until `stop` is set; the rule or delivery in hand when it is set is finished first."""
    tick = settings.DEVLOGS_ALERT_TICK_SECONDS if tick_seconds is None else tick_seconds
    log.info("alerts worker started", extra={"tick_seconds": tick})
    while not stop.is_set():
        close_old_connections()  # a long-lived loop: drop connections past CONN_MAX_AGE or broken
        try:
            run_once(stop=stop)
        except Exception:  # the database may be away for a while; keep ticking
            log.exception("alerts tick failed")
        if heartbeat is not None:
            heartbeat.beat()
        stop.wait(tick)
    close_old_connections()
    log.info("alerts worker stopped")
