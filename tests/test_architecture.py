"""The layers of docs/architecture.md, as `.importlinter` writes them down, hold.

An import added against them (a room reaching up, a cycle between the modules of a package)
fails here with import-linter's account of the offending import chain.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_import_contracts_are_kept():
    lint = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


def test_the_contracts_name_every_room():
    """A new app outside every contract would escape them."""
    config = (ROOT / ".importlinter").read_text()
    rooms = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests", "bench"}
    missing = sorted(room for room in rooms if room not in config)
    assert not missing, f"add these packages to .importlinter's root_packages and layers: {missing}"


def test_loading_settings_touches_neither_database_nor_disk(tmp_path):
    """Settings only read the environment: no connection to the configured database (the
    TimescaleDB question waits for the first migration, devlogs/db_backend/base.py), no folder
    made, no secret key file written (that waits for first use)."""
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    data_dir = tmp_path / "not-yet"
    code = ("import os; os.environ['DJANGO_SETTINGS_MODULE'] = 'devlogs.settings'\n"
            "from django.conf import settings\n"
            "print(settings.DATABASES['default']['ENGINE'], settings.DEVLOGS_TIMESCALE, settings.DATA_DIR)")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DEVLOGS_", "DATABASE_"))}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                            env={**env, "DATABASE_URL": f"postgres://u:p@127.0.0.1:{port}/devlogs",
                                 "DEVLOGS_DATA_DIR": str(data_dir), "DEVLOGS_PRODUCTION": "false"})
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split()[:2] == ["devlogs.db_backend", "auto"]
    try:
        listener.accept()
        connected = True
    except TimeoutError:
        connected = False
    finally:
        listener.close()
    assert not connected, "loading settings connected to the database"
    assert not data_dir.exists(), "loading settings made the data folder"
