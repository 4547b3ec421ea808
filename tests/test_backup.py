"""Backup and restore on a real PostgreSQL: lines sent are in the dump; restored into a new database
they are all there, and the same API key finds the same lines through a server on the copy."""

import subprocess
import urllib.parse
import urllib.request
import uuid

import orjson
import psycopg
import pytest
from django.db import connection

from tests.conftest import ROOT, database_url_for_subprocess, post_logs, running_server

BACKUP = str(ROOT / "scripts" / "backup.sh")
RESTORE = str(ROOT / "scripts" / "restore.sh")
TABLES = ("logs_logentry", "accounts_tenant", "accounts_app", "accounts_apikey", "auth_user", "django_migrations")


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("pg_dump and pg_restore: runs in the PostgreSQL stage of scripts/test.sh")


@pytest.fixture
def target_url(postgres_only):
    """A database name nobody uses; dropped at the end whatever happens."""
    source = database_url_for_subprocess()
    name = f"devlogs_restore_{uuid.uuid4().hex[:10]}"
    yield source.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(source.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        return {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in TABLES}


def _search(address: str, key: str, **params) -> list[dict]:
    request = urllib.request.Request(f"http://{address}/api/v1/logs?{urllib.parse.urlencode(params)}",
                                     headers={"Authorization": f"Bearer {key}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return orjson.loads(response.read())["results"]


@pytest.mark.django_db(transaction=True)
def test_lines_backed_up_and_restored_into_a_new_database_are_all_found_again(
        postgres_only, target_url, client, make_key, queue, drain, tmp_path):
    keys = {tenant: make_key(tenant=tenant) for tenant in ("acme", "globex")}
    for tenant, key in keys.items():
        lines = [{"message": f"{tenant} order {i} {'failed' if i % 7 == 0 else 'paid'}",
                  "level": "error" if i % 7 == 0 else "info", "attributes": {"i": i}} for i in range(700)]
        assert post_logs(client, key, lines).status_code == 202
    assert drain() == 1400
    source = database_url_for_subprocess()

    dump = subprocess.run([BACKUP, "-o", str(tmp_path / "backups"), source], capture_output=True, text=True,
                          timeout=300, check=True).stdout.strip()
    meta = (tmp_path / "backups" / (dump.rsplit("/", 1)[1] + ".meta")).read_text()
    assert "server_version=" in meta and "timescaledb_version=" in meta
    restored = subprocess.run([RESTORE, "-j", "2", dump, target_url], capture_output=True, text=True, timeout=300)
    assert restored.returncode == 0, restored.stderr

    counts = _counts(source)
    assert counts["logs_logentry"] == 1400
    assert _counts(target_url) == counts
    with psycopg.connect(source) as a, psycopg.connect(target_url) as b:
        query = "SELECT event_id, time, message, attributes FROM logs_logentry ORDER BY event_id"
        assert a.execute(query).fetchall() == b.execute(query).fetchall()

    # The same key, the same query, through a server whose database is the restored copy.
    expected = client.get("/api/v1/logs", {"q": "failed level:error", "limit": 500},
                          HTTP_AUTHORIZATION=f"Bearer {keys['acme']}").json()["results"]
    assert len(expected) == 100
    with running_server(tmp_path, DATABASE_URL=target_url, DEVLOGS_PROCESSOR_IN_SERVER="0") as address:
        found = _search(address, keys["acme"], q="failed level:error", limit=500)
    assert found == expected
    assert {entry["message"].split()[0] for entry in found} == {"acme"}


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_database_that_has_tables(postgres_only, tmp_path):
    source = database_url_for_subprocess()
    dump = subprocess.run([BACKUP, "-o", str(tmp_path), source], capture_output=True, text=True, timeout=300,
                          check=True).stdout.strip()

    result = subprocess.run([RESTORE, dump, source], capture_output=True, text=True, timeout=120)

    assert result.returncode == 1
    assert "already has" in result.stderr


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_dump_that_does_not_match_its_checksum(postgres_only, target_url, tmp_path):
    dump = subprocess.run([BACKUP, "-o", str(tmp_path), database_url_for_subprocess()], capture_output=True,
                          text=True, timeout=300, check=True).stdout.strip()
    with open(dump, "r+b") as f:
        f.seek(100)
        f.write(b"\x00corrupt\x00")

    result = subprocess.run([RESTORE, dump, target_url], capture_output=True, text=True, timeout=120)

    assert result.returncode == 1
    assert "checksum" in result.stderr


def test_backup_refuses_sqlite_and_touches_nothing(tmp_path):
    for stamp in ("20260101T000000Z", "20260102T000000Z", "20260103T000000Z"):
        for suffix in ("", ".sha256", ".meta"):
            (tmp_path / f"devlogs-{stamp}.dump{suffix}").write_text("old")
    result = subprocess.run([BACKUP, "-o", str(tmp_path), "-k", "2", "sqlite:///nowhere.sqlite3"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "SQLite" in result.stderr  # SQLite is refused before anything is touched
    assert len(list(tmp_path.glob("devlogs-*.dump"))) == 3


@pytest.mark.django_db(transaction=True)
def test_backup_prunes_to_the_newest_keep_dumps(postgres_only, tmp_path):
    for stamp in ("20200101T000000Z", "20200102T000000Z", "20200103T000000Z"):
        for suffix in ("", ".sha256", ".meta"):
            (tmp_path / f"devlogs-{stamp}.dump{suffix}").write_text("old")

    dump = subprocess.run([BACKUP, "-o", str(tmp_path), "-k", "2", database_url_for_subprocess()],
                          capture_output=True, text=True, timeout=300, check=True).stdout.strip()

    kept = sorted(p.name for p in tmp_path.glob("devlogs-*.dump"))
    assert kept == ["devlogs-20200103T000000Z.dump", dump.rsplit("/", 1)[1]]
    assert not list(tmp_path.glob("devlogs-20200101*")) and not list(tmp_path.glob("devlogs-20200102*"))
