"""Health: `/healthz` says the process is alive, `/readyz` says it can do its work.

Readiness asks each dependency one cheap question, all at once, each bounded by
DEVLOGS_HEALTH_TIMEOUT_SECONDS: the database (SELECT 1 on a connection of its own), the
queue (the embedded file takes a write lock; Kafka's brokers answer a metadata request for
the lines topic with a leader for every partition; Redis answers PING and says how it persists,
reported as the queue's `durability`) and the channel layer (Redis PING).
The worker roles answer the same checks on their own small listener (devlogs/health_listener.py).
"""

import copy
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from devlogs.errors import error_body, json_error


class NotReady(Exception):
    """A dependency answered, but not in a way we can work with."""


@dataclass
class CheckResult:
    name: str
    ok: bool
    latency_ms: float
    backend: str
    error: str | None = None
    durability: str | None = None  # what the dependency promises about what it acknowledged

    def as_dict(self) -> dict:
        body = {"status": "ok" if self.ok else "error", "latency_ms": round(self.latency_ms, 1),
                "backend": self.backend}
        if self.durability:
            body["durability"] = self.durability
        if self.error:
            body["error"] = self.error
        return body


# --- the checks: each raises when its dependency cannot serve us ------------------------------------

def check_database(timeout: float) -> str:
    # A connection of our own (not the request thread's pooled one), with a connect timeout,
    # so a half-open pooled connection cannot answer for a server that is gone.
    default = connections["default"]
    params = copy.deepcopy(default.settings_dict)
    if default.vendor == "postgresql":
        params.setdefault("OPTIONS", {})["connect_timeout"] = max(1, round(timeout))
        # Not from the connection pool: a pooled connection would prove nothing about the server
        # now, and this probe's statement_timeout would stay on it for the next borrower.
        params["OPTIONS"].pop("pool", None)
        params["CONN_MAX_AGE"] = 0
    probe = type(default)(params, alias="readyz")
    try:
        with probe.cursor() as cursor:
            if default.vendor == "postgresql":
                cursor.execute("SET statement_timeout = %s", [max(1, int(timeout * 1000))])
            cursor.execute("SELECT 1")
            cursor.fetchone()
    finally:
        probe.close()
    return default.vendor


def check_queue(timeout: float) -> str | tuple[str, str]:
    if settings.DEVLOGS_QUEUE == "kafka":
        _check_kafka(timeout)
        return "kafka"
    if settings.DEVLOGS_QUEUE == "redis":
        return "redis", _check_redis_queue(timeout)
    # The embedded queue is usable when its file takes a write lock (disk there, writable, not wedged).
    conn = sqlite3.connect(str(settings.DEVLOGS_QUEUE_PATH), timeout=timeout, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
    finally:
        conn.close()
    return "embedded"


_kafka_admin = None
_kafka_admin_config: dict | None = None
_kafka_admin_lock = threading.Lock()


def _admin_client():
    """One admin client per process: probes every few seconds should not reconnect each time."""
    global _kafka_admin, _kafka_admin_config
    from confluent_kafka.admin import AdminClient

    from devlogs.kafka_client import client_config

    config = client_config(settings)
    with _kafka_admin_lock:
        if _kafka_admin is None or _kafka_admin_config != config:
            # Silent: during an outage librdkafka would log every reconnect attempt, and the
            # readiness answer already says what is wrong.
            _kafka_admin = AdminClient({**config, "log_level": 0, "error_cb": lambda err: None})
            _kafka_admin_config = config
        return _kafka_admin


def _check_kafka(timeout: float) -> None:
    from confluent_kafka import KafkaException

    try:
        metadata = _admin_client().list_topics(topic=settings.KAFKA_TOPIC, timeout=timeout)
    except KafkaException as exc:
        raise NotReady(f"kafka: {exc.args[0].str() if exc.args else exc}") from None
    topic = metadata.topics.get(settings.KAFKA_TOPIC)
    if topic is None or topic.error is not None:
        raise NotReady(f"topic {settings.KAFKA_TOPIC} is missing (run manage.py kafka_setup)")
    leaderless = sorted(p.id for p in topic.partitions.values() if p.leader < 0)
    if leaderless:
        raise NotReady(f"topic {settings.KAFKA_TOPIC}: no leader for partitions {leaderless}")


def _check_redis_queue(timeout: float) -> str:
    """Reachable (PING), and how durable an acknowledged line is there: a detail, not a failure."""
    import redis

    client = redis.Redis.from_url(settings.DEVLOGS_REDIS_QUEUE_URL, socket_connect_timeout=timeout,
                                  socket_timeout=timeout)
    try:
        client.ping()
        return redis_persistence(client)
    finally:
        client.close()


def redis_persistence(client) -> str:
    """What a Redis crash would cost, from its configuration (docs/redis-queue.md#durability)."""
    import redis

    try:
        config = client.config_get("append*")
    except redis.ResponseError as exc:  # managed services often rename or forbid CONFIG
        return f"persistence unknown (CONFIG GET refused: {exc}); see docs/redis-queue.md#durability"
    config = {(k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else str(v))
              for k, v in config.items()}
    fsync = config.get("appendfsync", "")
    if config.get("appendonly") != "yes":
        return "not persisted: a Redis restart loses every queued line (appendonly no)"
    if fsync == "always":
        return "every write fsynced before it is acknowledged (appendfsync always)"
    if fsync == "everysec":
        return "up to 1 s of acknowledged lines can be lost on a Redis crash (appendfsync everysec)"
    return f"acknowledged lines can be lost on a Redis or machine crash (appendfsync {fsync})"


def check_channel_layer(timeout: float) -> str:
    url = settings.DEVLOGS_CHANNEL_LAYER
    if not url.startswith(("redis://", "rediss://")):
        return "memory"  # lives in this process: nothing to reach
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        client.ping()
    finally:
        client.close()
    return "redis"


CHECKS: dict[str, Callable[[float], str]] = {
    "database": check_database,
    "queue": check_queue,
    "channel_layer": check_channel_layer,
}
WEB_CHECKS = ("database", "queue", "channel_layer")
_WEB_EXTRA: list[str] = []


def register_check(name: str, check: Callable[[float], str], *, web: bool = True) -> None:
    """A check from an app above this layer (the log store when it is not Django's database)."""
    CHECKS[name] = check
    if web and name not in _WEB_EXTRA:
        _WEB_EXTRA.append(name)


def web_checks() -> tuple[str, ...]:
    return (*WEB_CHECKS, *_WEB_EXTRA)


def _backend(name: str) -> str:
    if name == "database":
        return connections["default"].vendor
    if name == "queue":
        return settings.DEVLOGS_QUEUE
    if name == "store":
        return settings.DEVLOGS_STORE
    return "redis" if settings.DEVLOGS_CHANNEL_LAYER.startswith(("redis://", "rediss://")) else "memory"


def _describe(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:300]


def run_checks(names: Iterable[str] = WEB_CHECKS, *, timeout: float | None = None) -> list[CheckResult]:
    """Run the named checks concurrently; one that has not answered within `timeout` has failed."""
    timeout = settings.DEVLOGS_HEALTH_TIMEOUT_SECONDS if timeout is None else timeout
    names = list(names)
    results: dict[str, CheckResult] = {}

    def run(name: str) -> None:
        started = time.monotonic()
        try:
            answer = CHECKS[name](timeout)
            backend, durability = answer if isinstance(answer, tuple) else (answer, None)
            results[name] = CheckResult(name, True, (time.monotonic() - started) * 1000, backend,
                                        durability=durability)
        except Exception as exc:  # every failure of a dependency is an answer, not a crash
            results[name] = CheckResult(name, False, (time.monotonic() - started) * 1000, _backend(name),
                                        _describe(exc))

    # Daemon threads: a check stuck in a blackholed connect must not hold up the answer or shutdown.
    threads = [threading.Thread(target=run, args=(name,), name=f"readyz-{name}", daemon=True) for name in names]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(timeout + 0.5 - (time.monotonic() - started), 0))
    return [results.get(name) or CheckResult(name, False, (time.monotonic() - started) * 1000, _backend(name),
                                             f"no answer within {timeout:g}s")
            for name in names]


def configuration_warnings() -> list[str]:
    """What works but silently does less than it should (production posture refuses to start so)."""
    warnings = []
    if settings.DEVLOGS_CHANNEL_LAYER.startswith("memory://") and not settings.DEVLOGS_PROCESSOR_IN_SERVER:
        warnings.append("live tail: processors run outside the server and the channel layer is in-memory, so no "
                        "line reaches a live tail; set DEVLOGS_CHANNEL_LAYER=redis://…")
    return warnings


def readiness_report(names: Iterable[str] = WEB_CHECKS, *, timeout: float | None = None) -> tuple[int, dict]:
    """(HTTP status, body): 200 when every check passed, else 503 with the error shape added."""
    results = run_checks(names, timeout=timeout)
    ok = all(r.ok for r in results)
    body = {"status": "ok" if ok else "unavailable", "checks": {r.name: r.as_dict() for r in results}}
    warnings = configuration_warnings()
    if warnings:
        body["warnings"] = warnings
    if not ok:
        failed = "; ".join(f"{r.name}: {r.error}" for r in results if not r.ok)
        body.update(error_body(503, "not_ready", f"Not ready: {failed}"))
    return (200 if ok else 503), body


# --- the web role's views ---------------------------------------------------------------------

def _method_not_allowed(request):
    response = json_error(405, "method_not_allowed", f"{request.method} is not allowed here; use GET.")
    response["Allow"] = "GET, HEAD"
    return response


@never_cache
def healthz(request):
    """The process is alive and serving requests; touches nothing else, so a dependency outage never restarts it."""
    if request.method not in ("GET", "HEAD"):
        return _method_not_allowed(request)
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request):
    """Database, queue and channel layer reachable: send this instance traffic."""
    if request.method not in ("GET", "HEAD"):
        return _method_not_allowed(request)
    status, body = readiness_report(web_checks())
    return JsonResponse(body, status=status)
