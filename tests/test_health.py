"""Health: /healthz says alive, /readyz follows the database, the queue and the channel layer,
going 503 when one is away and 200 again when it is back; the worker roles' listener does the same."""

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.request

import orjson
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from devlogs import health_listener
from devlogs.health_listener import HealthListener, Heartbeat
from logs.models import LogEntry
from logs.writer import write_envelopes
from processing.health import watch
from processing.processor import Processor
from tests.conftest import (ROOT, assert_error, child_env, free_port, kafka_env, post_logs, require_service,
                            running_server, wait_for)


def http_get(url: str, timeout: float = 30) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, orjson.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, orjson.loads(exc.read())
    except OSError:
        return 0, {}


# --- the web role ---------------------------------------------------------------------------------

def test_healthz_answers_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_reports_each_check_with_its_latency(client, queue):
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "queue", "channel_layer"}
    assert body["checks"]["database"]["backend"] == connection.vendor
    assert body["checks"]["queue"]["backend"] == "embedded"
    assert all(check["status"] == "ok" and check["latency_ms"] >= 0 for check in body["checks"].values())


@pytest.mark.django_db
def test_readyz_is_503_with_the_error_shape_when_the_queue_file_cannot_be_written(client, settings, tmp_path):
    (tmp_path / "not-a-directory").write_text("")
    settings.DEVLOGS_QUEUE_PATH = tmp_path / "not-a-directory" / "queue.sqlite3"

    body = assert_error(client.get("/readyz"), 503, "not_ready")

    assert body["status"] == "unavailable"
    assert body["checks"]["queue"]["status"] == "error"
    assert body["checks"]["queue"]["error"]
    assert body["checks"]["database"]["status"] == "ok"
    assert "queue" in body["error"]["message"]
    assert client.get("/healthz").status_code == 200  # alive all the same: no restart for an outage


@pytest.mark.django_db
def test_readyz_follows_redis_as_the_channel_layer(client, settings, queue, redis_url):
    settings.DEVLOGS_CHANNEL_LAYER = redis_url
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    check = response.json()["checks"]["channel_layer"]
    assert (check["status"], check["backend"]) == ("ok", "redis")

    settings.DEVLOGS_CHANNEL_LAYER = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    body = assert_error(client.get("/readyz"), 503, "not_ready")
    assert body["checks"]["channel_layer"]["status"] == "error"


@pytest.mark.django_db
def test_readyz_answers_503_in_bounded_time_when_a_dependency_never_answers(client, settings, queue):
    # A socket that accepts connections and then says nothing: a hung Redis.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    settings.DEVLOGS_CHANNEL_LAYER = f"redis://127.0.0.1:{silent.getsockname()[1]}/0"
    settings.DEVLOGS_HEALTH_TIMEOUT_SECONDS = 0.5
    try:
        body = assert_error(client.get("/readyz"), 503, "not_ready")
    finally:
        silent.close()
    assert body["checks"]["channel_layer"]["status"] == "error"
    assert body["checks"]["database"]["status"] == "ok"


def test_readyz_refuses_other_methods_with_the_error_shape(client):
    response = client.post("/readyz")
    assert_error(response, 405, "method_not_allowed")
    assert response["Allow"] == "GET, HEAD"


# --- outages for real: PostgreSQL and Kafka stopped and started ------------------------------------

@contextlib.contextmanager
def private_postgres():
    """A PostgreSQL cluster of this test's own (initdb, pg_ctl) on a free port, so stopping it
    disturbs nobody else's database. Yields (DATABASE_URL, pg_ctl function)."""
    binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not binaries:
        require_service("PostgreSQL", "no initdb under /usr/lib/postgresql (scripts/postgres.sh install)")
    bindir = os.path.dirname(binaries[-1])
    port = free_port()
    datadir = tempfile.mkdtemp(prefix="devlogs-readyz-pg-")
    shutil.chown(datadir, "postgres", "postgres")

    def as_postgres(*args, check=True):
        return subprocess.run(["runuser", "-u", "postgres", "--", *args], check=check, timeout=120,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def pg_ctl(action):
        options = f"-p {port} -k {datadir} -c listen_addresses=127.0.0.1 -c fsync=off"
        extra = ["-w", "-o", options, "-l", f"{datadir}/server.log"] if action == "start" else ["-m", "fast", "-w"]
        as_postgres(f"{bindir}/pg_ctl", "-D", f"{datadir}/data", action, *extra)

    try:
        as_postgres(f"{bindir}/initdb", "-D", f"{datadir}/data", "-U", "postgres", "--auth=trust", "-E", "UTF8")
        pg_ctl("start")
        yield f"postgres://postgres@127.0.0.1:{port}/postgres", pg_ctl
    finally:
        as_postgres(f"{bindir}/pg_ctl", "-D", f"{datadir}/data", "stop", "-m", "immediate", check=False)
        shutil.rmtree(datadir, ignore_errors=True)


def _ready(address) -> tuple[int, dict]:
    return http_get(f"http://{address}/readyz")


@pytest.mark.django_db(transaction=True)
def test_readyz_goes_503_when_postgresql_stops_and_200_when_it_is_back(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("stops a PostgreSQL server: runs in the PostgreSQL stage of scripts/test.sh")
    with private_postgres() as (url, pg_ctl), \
            running_server(tmp_path, DATABASE_URL=url, DEVLOGS_PROCESSOR_IN_SERVER="0") as address:
        wait_for(lambda: _ready(address)[0] == 200, timeout=30, what="ready with the database up")

        pg_ctl("stop")
        wait_for(lambda: _ready(address)[0] == 503, timeout=30, what="not ready with the database down")
        status, body = _ready(address)
        assert body["checks"]["database"]["status"] == "error"
        assert body["error"]["code"] == "not_ready"
        assert http_get(f"http://{address}/healthz")[0] == 200

        pg_ctl("start")
        wait_for(lambda: _ready(address)[0] == 200, timeout=60, what="ready again once the database is back")


def _free_port_pair() -> int:
    for _ in range(50):
        port = free_port()
        with contextlib.suppress(OSError), socket.socket() as probe:
            probe.bind(("127.0.0.1", port + 1))
            return port
    raise AssertionError("no two free neighbouring ports")


@pytest.mark.kafka
@pytest.mark.django_db(transaction=True)
def test_readyz_goes_503_when_kafka_stops_and_200_when_it_is_back(kafka, tmp_path):
    from processing.kafka_admin import ensure_topics

    port = _free_port_pair()  # a broker of this test's own (and its controller on port + 1)
    broker_env = {**os.environ, "DEVLOGS_KAFKA_PORT": str(port), "DEVLOGS_KAFKA_DIR": str(tmp_path / "broker")}

    def broker(action):
        subprocess.run([str(ROOT / "scripts" / "kafka.sh"), action], env=broker_env, check=True,
                       stdout=subprocess.DEVNULL, timeout=120)

    try:
        broker("start")
        kafka.KAFKA_BOOTSTRAP_SERVERS = f"127.0.0.1:{port}"
        ensure_topics(kafka)
        with running_server(tmp_path, **kafka_env(kafka), DEVLOGS_HEALTH_TIMEOUT_SECONDS="1") as address:
            wait_for(lambda: _ready(address)[0] == 200, timeout=60, what="ready with the broker up", interval=0.5)
            assert _ready(address)[1]["checks"]["queue"]["backend"] == "kafka"

            broker("stop")
            wait_for(lambda: _ready(address)[0] == 503, timeout=60, what="not ready with the broker down",
                     interval=0.5)
            assert _ready(address)[1]["checks"]["queue"]["status"] == "error"
            assert http_get(f"http://{address}/healthz")[0] == 200

            broker("start")
            wait_for(lambda: _ready(address)[0] == 200, timeout=90, what="ready again once the broker is back",
                     interval=0.5)
    finally:
        broker("stop")


# --- the worker roles' listener --------------------------------------------------------------------

def test_worker_liveness_fails_when_the_loop_stops_ticking_and_recovers_on_a_tick():
    now = [1000.0]
    heartbeat = Heartbeat(clock=lambda: now[0])
    listener = HealthListener(0, checks=(), stall_seconds=120, host="127.0.0.1").start()
    listener.heartbeat = heartbeat
    base = f"http://127.0.0.1:{listener.port}"
    try:
        assert http_get(f"{base}/healthz") == (200, {"status": "ok", "seconds_since_last_tick": 0.0})

        now[0] += 121
        status, body = http_get(f"{base}/healthz")
        assert status == 503 and body["status"] == "stalled" and body["error"]["code"] == "stalled"

        heartbeat.beat()
        assert http_get(f"{base}/healthz")[0] == 200
        status, body = http_get(f"{base}/nothing-here")
        assert status == 404 and body["error"]["code"] == "not_found"
    finally:
        listener.close()


@pytest.mark.django_db
def test_a_watched_processor_ticks_on_every_poll_and_write(queue, client, key):
    now = [0.0]
    heartbeat = Heartbeat(clock=lambda: now[0])
    processor = Processor(consumer=queue, write=write_envelopes, batch_lines=1000, max_wait=0)
    watch(processor, heartbeat)

    now[0] = 500.0
    processor.run_once()  # nothing queued: a poll all the same
    assert heartbeat.age() == 0

    post_logs(client, key, [{"message": "tick"}])
    now[0] = 900.0
    assert processor.run_once() == 1
    assert heartbeat.age() == 0
    assert LogEntry.objects.filter(message="tick").count() == 1


@pytest.mark.django_db(transaction=True)
def test_processor_role_from_the_image_entrypoint_serves_health_and_stops_cleanly(client, key, queue, tmp_path):
    port = free_port()
    log_path = tmp_path / "processor.log"
    env = child_env(tmp_path, DEVLOGS_HEALTH_PORT=port, PYTHON=sys.executable, DEVLOGS_BATCH_WAIT_SECONDS="0.05",
                    DEVLOGS_QUEUE_PATH=queue.path)
    with open(log_path, "wb") as out:
        proc = subprocess.Popen(["sh", str(ROOT / "deploy" / "docker" / "entrypoint.sh"), "processor"], env=env,
                                stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: http_get(f"http://127.0.0.1:{port}/healthz")[0] == 200, timeout=60,
                 what="the processor's /healthz")
        status, body = http_get(f"http://127.0.0.1:{port}/readyz")
        assert status == 200, body
        assert set(body["checks"]) == {"database", "queue"}

        post_logs(client, key, [{"message": f"via the entrypoint {i}"} for i in range(20)])
        wait_for(lambda: LogEntry.objects.count() == 20, what="the processor to store the lines")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    assert proc.returncode == 0, log_path.read_text()[-2000:]
    assert "stopped after 20 lines" in log_path.read_text()


def test_the_entrypoint_refuses_an_unknown_role():
    result = subprocess.run(["sh", str(ROOT / "deploy" / "docker" / "entrypoint.sh"), "webb"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert "web" in result.stderr and "processor" in result.stderr


@pytest.mark.django_db(transaction=True)
def test_run_with_health_serves_readiness_for_a_command_without_a_listener(settings):
    settings.DEVLOGS_HEALTH_PORT = free_port()
    try:
        call_command("run_with_health", "--checks", "database", "check", "--fail-level", "ERROR")
        status, body = http_get(f"http://127.0.0.1:{settings.DEVLOGS_HEALTH_PORT}/readyz")
        assert status == 200, body
        assert list(body["checks"]) == ["database"]
        assert http_get(f"http://127.0.0.1:{settings.DEVLOGS_HEALTH_PORT}/healthz")[0] == 200
    finally:
        health_listener.stop()


def test_run_with_health_refuses_an_unknown_check():
    with pytest.raises(CommandError, match="unknown checks"):
        call_command("run_with_health", "--checks", "database,kafka", "check")


def test_listener_keeps_answering_while_a_check_is_slow():
    # Probes of liveness must not queue behind a slow readiness check.
    release = threading.Event()
    listener = HealthListener(0, checks=(), stall_seconds=120, host="127.0.0.1").start()
    listener.route("/slow", lambda: (release.wait(30), (200, b"{}", "application/json"))[1])
    base = f"http://127.0.0.1:{listener.port}"
    slow = threading.Thread(target=http_get, args=(f"{base}/slow",))
    slow.start()
    try:
        assert http_get(f"{base}/healthz")[0] == 200
    finally:
        release.set()
        slow.join(30)
        listener.close()


def test_readyz_says_when_the_live_tail_cannot_work(client, settings, queue):
    settings.DEVLOGS_PROCESSOR_IN_SERVER, settings.DEVLOGS_CHANNEL_LAYER = False, "memory://"
    body = client.get("/readyz").json()
    assert any("live tail" in warning for warning in body["warnings"])
    settings.DEVLOGS_PROCESSOR_IN_SERVER = True
    assert "warnings" not in client.get("/readyz").json()
