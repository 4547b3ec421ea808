"""A tiny health listener for the roles that have no HTTP server (processor, alerts, syslog).

    GET /healthz  200 while the role's main loop has ticked within DEVLOGS_HEALTH_STALL_SECONDS
                  (503 "stalled" after), so a wedged loop gets the container restarted;
    GET /readyz   the same checks and answer as the web role's /readyz (devlogs/health.py).

Standard library only (http.server in a daemon thread): it must keep answering while the
role's own loop is busy, and add nothing to install. One listener per process; a second
start() (say, a command run under `run_with_health`) attaches its heartbeat to the first.
It also serves the role's Prometheus metrics at /metrics (devlogs/metrics.py): the health port
is cluster-internal, so no scrape token is asked there. Further paths are added with `route()`.
"""

import logging
import threading
import time
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import orjson

from devlogs.errors import error_body

log = logging.getLogger("devlogs.health")

Route = Callable[[], tuple[int, bytes, str]]  # () -> (status, body, content type)


class Heartbeat:
    """When the role's main loop last showed progress."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self._at = clock()

    def beat(self) -> None:
        self._at = self._clock()

    def age(self) -> float:
        return self._clock() - self._at


def _metrics() -> tuple[int, bytes, str]:
    from devlogs.metrics import exposition

    body, content_type = exposition()
    return 200, body, content_type


class HealthListener:
    def __init__(self, port: int, *, checks: Iterable[str], stall_seconds: float, host: str = "0.0.0.0"):
        self.checks = tuple(checks)
        self.stall_seconds = stall_seconds
        self.heartbeat: Heartbeat | None = None
        self.routes: dict[str, Route] = {"/healthz": self._healthz, "/readyz": self._readyz, "/metrics": _metrics}
        self._server = ThreadingHTTPServer((host, port), _handler_for(self))
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="devlogs-health", daemon=True)

    def start(self) -> "HealthListener":
        self._thread.start()
        log.info("health listener on port %s (checks: %s)", self.port, ", ".join(self.checks))
        return self

    def route(self, path: str, answer: Route) -> None:
        self.routes[path] = answer

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _healthz(self) -> tuple[int, bytes, str]:
        age = self.heartbeat.age() if self.heartbeat is not None else 0.0
        if age > self.stall_seconds:
            body = {"status": "stalled", "seconds_since_last_tick": round(age, 1),
                    **error_body(503, "stalled", f"The main loop has not ticked for {age:.0f}s "
                                                 f"(limit {self.stall_seconds:g}s).")}
            return 503, orjson.dumps(body), "application/json"
        return 200, orjson.dumps({"status": "ok", "seconds_since_last_tick": round(age, 1)}), "application/json"

    def _readyz(self) -> tuple[int, bytes, str]:
        from django.db import connections

        from devlogs.health import readiness_report

        try:
            status, body = readiness_report(self.checks)
        finally:
            connections.close_all()  # this thread's connections, if any check opened one
        return status, orjson.dumps(body), "application/json"


def _handler_for(listener: HealthListener):
    class Handler(BaseHTTPRequestHandler):
        server_version = "devlogs-health"

        def do_GET(self):
            self._answer(send_body=True)

        def do_HEAD(self):
            self._answer(send_body=False)

        def _answer(self, *, send_body: bool) -> None:
            route = listener.routes.get(self.path.split("?", 1)[0])
            if route is None:
                status, body, content_type = 404, orjson.dumps(error_body(
                    404, "not_found", f"No endpoint at {self.path}; try /healthz or /readyz.")), "application/json"
            else:
                try:
                    status, body, content_type = route()
                except Exception:
                    log.exception("health route %s failed", self.path)
                    status, body, content_type = 500, orjson.dumps(error_body(
                        500, "internal_error", "The health check itself failed; it has been logged.")), \
                        "application/json"
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            if send_body:
                self.wfile.write(body)

        def log_message(self, format, *args):  # probes every few seconds would drown the role's own log
            pass

    return Handler


_listener: HealthListener | None = None
_lock = threading.Lock()


def start(*, heartbeat: Heartbeat | None = None, checks: Iterable[str] | None = None,
          port: int | None = None) -> HealthListener | None:
    """Start this process's listener on DEVLOGS_HEALTH_PORT (None when that is 0), or attach to the one running.

    `checks` are the readiness checks (default: database and queue); `heartbeat` drives liveness
    (without one, liveness is the listener answering at all).
    """
    global _listener
    from django.conf import settings

    port = settings.DEVLOGS_HEALTH_PORT if port is None else port
    with _lock:
        if _listener is None:
            if not port:
                return None
            _listener = HealthListener(port, checks=checks or ("database", "queue"),
                                       stall_seconds=settings.DEVLOGS_HEALTH_STALL_SECONDS).start()
        elif checks is not None:
            _listener.checks = tuple(checks)
        if heartbeat is not None:
            _listener.heartbeat = heartbeat
        return _listener


def stop() -> None:
    global _listener
    with _lock:
        if _listener is not None:
            _listener.close()
            _listener = None
