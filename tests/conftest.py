"""Fixtures shared by the suite: tenants, apps and keys; an isolated queue; a processor run."""

import contextlib
import gzip
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from rest_framework.test import APIClient

from accounts.keys import api_key_create
from accounts.models import App, Membership, Tenant
from logs.store import get_store
from processing import queue as queue_module
from processing.embedded_queue import EmbeddedQueue
from processing.processor import Processor

ROOT = Path(__file__).resolve().parent.parent


# --- accounts ---------------------------------------------------------------------------

@pytest.fixture
def make_key(db):
    def make(tenant="acme", app="web", scopes=("ingest", "read"), **kwargs):
        tenant_obj, _ = Tenant.objects.get_or_create(slug=tenant, defaults={"name": tenant.title()})
        app_obj, _ = App.objects.get_or_create(tenant=tenant_obj, slug=app, defaults={"name": app.title()})
        key, raw = api_key_create(app=app_obj, scopes=list(scopes), **kwargs)
        return raw
    return make


@pytest.fixture
def key(make_key):
    return make_key()


@pytest.fixture
def client():
    return APIClient()


@pytest.fixture(autouse=True)
def fresh_quotas():
    """Each test starts with empty quota buckets (ids repeat between tests)."""
    from ingest.quotas import reset_limiter

    reset_limiter()
    yield
    reset_limiter()


# --- queue and processor ------------------------------------------------------------------

@pytest.fixture
def queue(request, tmp_path, settings):
    """Every test gets its own durable queue: an embedded file, or (parametrised indirectly with
    "redis") its own streams on the shared Redis. Either is a consumer with pending_lines()."""
    settings.DEVLOGS_QUEUE_PATH = tmp_path / "queue.sqlite3"
    queue_module.reset_producer()
    if getattr(request, "param", "embedded") == "redis":
        with redis_queue_settings(settings, request.getfixturevalue("redis_url")):
            from processing.redis_queue import RedisConsumer

            consumer = RedisConsumer(settings)
            try:
                yield consumer
            finally:
                consumer.close()
                queue_module.reset_producer()
        return
    yield EmbeddedQueue(settings.DEVLOGS_QUEUE_PATH, visibility_seconds=settings.DEVLOGS_QUEUE_VISIBILITY_SECONDS)
    queue_module.reset_producer()


@contextlib.contextmanager
def redis_queue_settings(settings, url: str, **overrides):
    """DEVLOGS_QUEUE=redis on streams of this test's own (a unique prefix); their keys deleted after."""
    import uuid

    import redis

    settings.DEVLOGS_QUEUE = "redis"
    settings.DEVLOGS_REDIS_QUEUE_URL = url
    settings.DEVLOGS_REDIS_QUEUE_PREFIX = f"test:{uuid.uuid4().hex[:12]}"
    settings.DEVLOGS_REDIS_QUEUE_STREAMS = 4
    for name, value in overrides.items():
        setattr(settings, name, value)
    queue_module.reset_producer()
    try:
        yield settings
    finally:
        queue_module.reset_producer()
        client = redis.Redis.from_url(url)
        try:
            keys = list(client.scan_iter(match=settings.DEVLOGS_REDIS_QUEUE_PREFIX + ":*", count=1000))
            if keys:
                client.delete(*keys)
        finally:
            client.close()


def redis_queue_env(settings) -> dict:
    """Environment that points a child process at the same streams and group."""
    return {"DEVLOGS_QUEUE": "redis", **{name: getattr(settings, name) for name in (
        "DEVLOGS_REDIS_QUEUE_URL", "DEVLOGS_REDIS_QUEUE_PREFIX", "DEVLOGS_REDIS_QUEUE_STREAMS",
        "DEVLOGS_REDIS_QUEUE_MAX_PENDING", "DEVLOGS_REDIS_QUEUE_CLAIM_IDLE_SECONDS",
        "DEVLOGS_REDIS_QUEUE_MAX_DELIVERIES", "DEVLOGS_REDIS_QUEUE_GROUP")}}


@pytest.fixture
def drain(queue):
    """Run a processor until the queue is empty; returns the lines it stored."""
    def run(batch_lines=1000):
        processor = Processor(consumer=queue, write=get_store().write, batch_lines=batch_lines, max_wait=0)
        stored = 0
        for _ in range(10_000):
            if queue.pending_lines() == 0:
                return stored
            stored += processor.run_once()
        raise AssertionError("queue did not drain")
    return run


# --- HTTP helpers ---------------------------------------------------------------------------

def post_logs(client, key, body, *, content_type="application/json", encoding=None, headers=None):
    if not isinstance(body, (bytes, str)):
        body = orjson.dumps(body)
    if isinstance(body, str):
        body = body.encode()
    extra = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}
    if encoding == "gzip":
        body = gzip.compress(body)
        extra["HTTP_CONTENT_ENCODING"] = "gzip"
    for name, value in (headers or {}).items():
        extra["HTTP_" + name.upper().replace("-", "_")] = value
    return client.generic("POST", "/api/v1/logs", body, content_type=content_type, **extra)


def get_logs(client, key, **params):
    return client.get("/api/v1/logs", params, HTTP_AUTHORIZATION=f"Bearer {key}")


def assert_error(response, status, code, field=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["error"]["status"] == status
    assert body["error"]["code"] == code, body
    assert body["error"]["message"]
    if field is not None:
        assert body["error"]["field"] == field
    return body


# --- real processes --------------------------------------------------------------------------

def require_service(name: str, reason: str):
    """Skip locally, fail under CI=true: in CI every service must be there."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{name} is required in CI: {reason}")
    pytest.skip(f"{name} unavailable: {reason}")


def database_url_for_subprocess() -> str:
    """A DATABASE_URL that points a child process at the test database this test uses."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    return f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def child_env(tmp_path, **extra) -> dict:
    from django.conf import settings

    # The same SECRET_KEY, so sessions made here (client.force_login) are valid in the child.
    env = {**os.environ, "DATABASE_URL": database_url_for_subprocess(), "SECRET_KEY": str(settings.SECRET_KEY),
           "DEVLOGS_DATA_DIR": str(tmp_path / "data"), "DEVLOGS_QUEUE_PATH": str(tmp_path / "queue.sqlite3"),
           "PYTHONUNBUFFERED": "1"}
    env.update({k: str(v) for k, v in extra.items()})
    return env


def raw_http(address: str, raw: bytes) -> tuple[int, dict | None]:
    """Send raw bytes to host:port, read until the server closes: (status, the JSON error body or None).
    For what an HTTP client library would refuse to send (a 32 KB URL, 20 KB of headers, half a body)."""
    import orjson

    host, port = address.split(":")
    with socket.create_connection((host, int(port)), timeout=15) as sock:
        sock.sendall(raw)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status = int(head.split()[1])
    if status < 400:
        return status, None
    assert body[:1] == b"{", answer[:600]
    return status, orjson.loads(body)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def manage(*args) -> list[str]:
    return [sys.executable, str(ROOT / "manage.py"), *args]


class Address(str):
    """host:port of a server process, which also knows the process id."""

    pid: int


@contextlib.contextmanager
def running_server(tmp_path, *, port: int | None = None, **env):
    """A real daphne server process on a free port (or `port`); yields its host:port (an Address)."""
    port = port or free_port()
    log_path = tmp_path / f"server-{port}.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
                                 "devlogs.asgi:application"], cwd=ROOT,
                                env=child_env(tmp_path, **{"DEVLOGS_BATCH_WAIT_SECONDS": "0.05",
                                                           # tests evaluate alert rules themselves
                                                           "DEVLOGS_ALERTS_IN_SERVER": "0", **env}),
                                stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"server exited: {log_path.read_text()[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError("server did not start") from None
                time.sleep(0.1)
        address = Address(f"127.0.0.1:{port}")
        address.pid = proc.pid
        yield address
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def server(transactional_db, tmp_path):
    """A real server in the embedded mode (processor inside)."""
    with running_server(tmp_path) as address:
        yield address


# --- Kafka --------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def kafka_bootstrap():
    """The broker started by scripts/test.sh (scripts/kafka.sh start)."""
    from confluent_kafka.admin import AdminClient

    servers = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    try:
        AdminClient({"bootstrap.servers": servers, "socket.timeout.ms": 3000}).list_topics(timeout=5)
    except Exception as exc:  # confluent_kafka raises KafkaException with a librdkafka error
        require_service("Kafka", f"no broker at {servers} ({exc}); start one with scripts/kafka.sh start")
    return servers


@pytest.fixture
def kafka(settings, kafka_bootstrap):
    """Settings for a fresh topic pair and consumer group on the real broker."""
    import uuid

    from confluent_kafka.admin import AdminClient

    from processing.kafka_admin import ensure_topics

    suffix = uuid.uuid4().hex[:10]
    settings.DEVLOGS_QUEUE = "kafka"
    settings.KAFKA_BOOTSTRAP_SERVERS = kafka_bootstrap
    settings.KAFKA_TOPIC = f"test.lines.{suffix}"
    settings.KAFKA_DLQ_TOPIC = f"test.lines.{suffix}.dlq"
    settings.KAFKA_CONSUMER_GROUP = f"test-processors-{suffix}"
    settings.KAFKA_PARTITIONS = 4
    settings.KAFKA_DELIVERY_TIMEOUT_MS = 5000
    settings.KAFKA_SESSION_TIMEOUT_MS = 6000
    ensure_topics(settings)
    queue_module.reset_producer()
    yield settings
    queue_module.reset_producer()
    AdminClient({"bootstrap.servers": kafka_bootstrap}).delete_topics([settings.KAFKA_TOPIC, settings.KAFKA_DLQ_TOPIC])


def kafka_env(settings) -> dict:
    """Environment that points a child process at the same topics and group."""
    env = {"DEVLOGS_QUEUE": "kafka", "KAFKA_BOOTSTRAP_SERVERS": settings.KAFKA_BOOTSTRAP_SERVERS,
           "KAFKA_TOPIC": settings.KAFKA_TOPIC, "KAFKA_DLQ_TOPIC": settings.KAFKA_DLQ_TOPIC,
           "KAFKA_CONSUMER_GROUP": settings.KAFKA_CONSUMER_GROUP,
           "KAFKA_DELIVERY_TIMEOUT_MS": settings.KAFKA_DELIVERY_TIMEOUT_MS,
           "KAFKA_SESSION_TIMEOUT_MS": settings.KAFKA_SESSION_TIMEOUT_MS}
    for name, value in settings.KAFKA_CONFIG.items():
        env["KAFKA_CONFIG_" + name.upper().replace(".", "_")] = value
    return env


def http_post_logs(address: str, key: str, lines, timeout: float = 30) -> tuple[int, dict, dict]:
    """POST lines to a real server; returns (status, JSON body, headers) for successes and errors alike."""
    import urllib.error
    import urllib.request

    request = urllib.request.Request(f"http://{address}/api/v1/logs", data=orjson.dumps(lines), method="POST",
                                     headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, orjson.loads(response.read()), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, orjson.loads(exc.read()), dict(exc.headers)


def wait_for(predicate, *, timeout: float = 60, what: str = "condition", interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture(scope="session")
def redis_url():
    """The Redis started by scripts/test.sh (scripts/redis.sh start)."""
    url = os.environ.get("DEVLOGS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    host_port = url.split("//", 1)[1].split("/", 1)[0]
    host, port = host_port.split(":")
    try:
        socket.create_connection((host, int(port)), timeout=2).close()
    except OSError as exc:
        require_service("Redis", f"nothing at {host_port} ({exc}); start it with scripts/redis.sh start")
    return url


# --- ClickHouse (chDB: the real engine in this process) ---------------------------------------------

@pytest.fixture(scope="session")
def chdb_url(tmp_path_factory) -> str:
    """One chDB data directory for this test process (one process may own a directory)."""
    return "chdb://" + str(tmp_path_factory.mktemp("chdb"))


@pytest.fixture
def clickhouse_store(settings, chdb_url):
    """The ClickHouse store on this process's chDB, emptied; DEVLOGS_STORE points at it."""
    from logs.store import get_store

    settings.DEVLOGS_STORE = "clickhouse"
    settings.CLICKHOUSE_URL = chdb_url
    settings.CLICKHOUSE_DATABASE = "devlogs"
    settings.CLICKHOUSE_CLUSTER = ""
    store = get_store()
    store.truncate()
    return store


# --- the dashboard in a real browser (helpers in tests/browser.py) --------------------------

def pytest_collection_modifyitems(items):
    # scripts/test.sh runs the browser tests in one database stage only: they test the dashboard,
    # and the database under it is the same API either way.
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)


@pytest.fixture
def browser():
    """Debian's Chromium driven by Playwright, with the dashboard built into frontend/dist."""
    from tests.browser import ARGS, CHROMIUM

    if not os.path.exists(CHROMIUM):
        require_service("Chromium", "install it with apt-get install chromium (scripts/test.sh does)")
    if not (ROOT / "frontend" / "dist" / "index.html").exists():
        require_service("the built dashboard", "run npm ci && npm run build in frontend/ (scripts/setup.sh does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def dashboard_user(server, make_key):
    """Tenant acme with app web, its key (returned) and an owner, ada, who signs in with
    tests.browser.PASSWORD; made before Playwright starts its event loop (the ORM refuses inside one)."""
    from tests.browser import PASSWORD, USER

    key = make_key(tenant="acme", app="web")
    user = get_user_model().objects.create_user(USER, password=PASSWORD)
    Membership.objects.create(user=user, tenant=Tenant.objects.get(slug="acme"), role="owner")
    return key
