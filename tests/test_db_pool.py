"""The PostgreSQL connection pool: settings, a database that is down or exhausted answers 503 with
Retry-After (never a 500, never a hang), and a server borrows a few connections instead of opening
one per request."""

import concurrent.futures
import http.client
import json
import os
import subprocess
import sys
import time

import pytest
from django import db

from tests.conftest import ROOT, assert_error, database_url_for_subprocess, post_logs, running_server

# A PostgreSQL where nothing listens: connecting is refused at once.
NOWHERE = "postgres://devlogs:devlogs@127.0.0.1:9/devlogs"


def settings_in_child(tmp_path, **env) -> subprocess.CompletedProcess:
    """DATABASES["default"] as a child process's settings make it (or its start-up error)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DEVLOGS_DB_POOL", "DATABASE_"))}
    base.update({"DEVLOGS_DATA_DIR": str(tmp_path / "data"), "DEVLOGS_PRODUCTION": "false",
                 "DEVLOGS_TIMESCALE": "off", "DJANGO_SETTINGS_MODULE": "devlogs.settings", **env})
    code = ("import json, django; django.setup(); from django.conf import settings; "
            "d = settings.DATABASES['default']; "
            "print(json.dumps({'max_age': d['CONN_MAX_AGE'], 'pool': d.get('OPTIONS', {}).get('pool')}))")
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=base, capture_output=True, text=True,
                          timeout=60)


def test_postgresql_gets_the_pool_and_no_persistent_connections(tmp_path):
    # NOWHERE is never contacted: settings make no connection (the pool opens on first use).
    result = settings_in_child(tmp_path, DATABASE_URL=NOWHERE)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"max_age": 0, "pool": {"min_size": 2, "max_size": 20, "timeout": 5.0,
                                                               "name": "devlogs"}}
    result = settings_in_child(tmp_path, DATABASE_URL=NOWHERE, DEVLOGS_DB_POOL="off")
    assert json.loads(result.stdout) == {"max_age": 60, "pool": None}
    result = settings_in_child(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}")
    assert json.loads(result.stdout) == {"max_age": 0, "pool": None}


@pytest.mark.parametrize("env, message", [
    ({"DEVLOGS_DB_POOL": "maybe"}, "DEVLOGS_DB_POOL='maybe' is not a boolean"),
    ({"DEVLOGS_DB_POOL_MAX_SIZE": "1", "DEVLOGS_DB_POOL_MIN_SIZE": "2"}, "must be at least DEVLOGS_DB_POOL_MIN_SIZE"),
    ({"DATABASE_CONN_MAX_AGE": "60"}, "cannot be used with the connection pool"),
])
def test_bad_pool_settings_stop_start_up(tmp_path, env, message):
    result = settings_in_child(tmp_path, DATABASE_URL=NOWHERE, **env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr


# --- the database unavailable: 503 with Retry-After ------------------------------------------------

def _pool_timeout():
    from psycopg_pool import PoolTimeout

    return PoolTimeout("couldn't get a connection after 5.00 sec")


@pytest.mark.django_db
@pytest.mark.parametrize("error", [
    lambda: db.OperationalError("connection failed: Connection refused"),  # what Django raises, the pool's too
    _pool_timeout,  # unwrapped, as code holding the pool itself would see it
    lambda: db.InterfaceError("connection already closed"),
])
def test_ingest_answers_503_with_retry_after_when_the_database_is_unavailable(client, key, queue, monkeypatch,
                                                                              error):
    import accounts.authentication

    def unavailable(raw):
        raise error()

    monkeypatch.setattr(accounts.authentication, "authenticate_key", unavailable)
    response = post_logs(client, key, {"message": "lost?"})
    assert_error(response, 503, "database_unavailable")
    assert response["Retry-After"] == "5"
    assert queue.pending_lines() == 0


@pytest.mark.django_db
def test_shipper_endpoints_answer_503_in_their_own_shape_when_the_database_is_unavailable(client, key, monkeypatch):
    import accounts.authentication

    def unavailable(raw):
        raise _pool_timeout()

    monkeypatch.setattr(accounts.authentication, "authenticate_key", unavailable)
    loki = client.post("/loki/api/v1/push", b'{"streams": []}', content_type="application/json",
                       HTTP_AUTHORIZATION=f"Bearer {key}")
    assert loki.status_code == 503 and loki["Retry-After"] == "5"
    es = client.post("/es/_bulk", b'{"index": {}}\n{"message": "x"}\n', content_type="application/x-ndjson",
                     HTTP_AUTHORIZATION=f"Bearer {key}")
    assert es.status_code == 503 and es["Retry-After"] == "5"
    assert es.json()["error"]["type"] == "unavailable_shards_exception"


def _post(address: str, key: str, body: bytes = b'{"message": "hello"}') -> tuple[int, dict, dict]:
    host, port = address.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        conn.request("POST", "/api/v1/logs", body=body,
                     headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), json.loads(response.read() or b"{}")
    finally:
        conn.close()


@pytest.mark.live
def test_a_server_whose_database_is_down_answers_503_within_the_pool_timeout(tmp_path):
    # Needs no PostgreSQL: the point is that nothing listens. The pool keeps trying in the background.
    with running_server(tmp_path, DATABASE_URL=NOWHERE, DEVLOGS_TIMESCALE="off", DEVLOGS_DB_POOL_TIMEOUT="1",
                        DEVLOGS_PROCESSOR_IN_SERVER="0") as address:
        for _ in range(3):  # and again: a waiting request never hangs on the pool
            started = time.monotonic()
            status, headers, body = _post(address, "dl_ingest_" + "a" * 44)  # well-formed: looked up
            assert status == 503, body
            assert body["error"]["code"] == "database_unavailable"
            assert headers["Retry-After"] == "5"
            assert time.monotonic() - started < 4


# --- a real server on PostgreSQL borrows, it does not connect per request -------------------------------

def _backends_named(application_name: str) -> set[int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s", [application_name])
        return {pid for (pid,) in cursor.fetchall()}


@pytest.mark.live
def test_a_server_reuses_a_few_pooled_connections_across_many_requests(transactional_db, make_key, tmp_path):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the pool is PostgreSQL's")
    assert connection.pool is not None  # the test database itself is reached through the pool
    assert connection.pool.kwargs["dbname"] == connection.settings_dict["NAME"]  # and it is the test database
    key = make_key()
    name = f"devlogs-pool-test-{os.getpid()}"  # the server's connections, told apart from everyone else's
    url = f"{database_url_for_subprocess()}?application_name={name}"
    with running_server(tmp_path, DATABASE_URL=url, DEVLOGS_DB_POOL_MIN_SIZE="1", DEVLOGS_DB_POOL_MAX_SIZE="3",
                        DEVLOGS_PROCESSOR_IN_SERVER="0") as address:
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            assert list(pool.map(lambda _: _post(address, key)[0], range(60))) == [202] * 60
            first = _backends_named(name)
            assert list(pool.map(lambda _: _post(address, key)[0], range(60))) == [202] * 60
            second = _backends_named(name)
        # The second 60 requests were served by the connections the first 60 left in the pool. (Without
        # the pool each request opened one of its own in its own thread, gone or going with the thread.)
        assert first and first <= second, (first, second)
        assert len(second) <= 3
