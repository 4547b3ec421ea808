"""devlogs logs itself: JSON lines on stdout in production, and optionally into one of its tenants."""

import json
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from logline.levels import WARN
from logs.models import LogEntry
from tests.conftest import ROOT, child_env, free_port, running_server, wait_for


def test_production_logs_are_one_json_object_per_line(tmp_path):
    code = ("import django, logging; django.setup(); log = logging.getLogger('devlogs.test');"
            "log.warning('disk %s full', 'var', extra={'tenant': 'acme'});"
            "\ntry:\n    1 / 0\nexcept ZeroDivisionError:\n    log.exception('boom')")
    env = child_env(tmp_path, DJANGO_SETTINGS_MODULE="devlogs.settings", DEVLOGS_LOG_FORMAT="json")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    warning, error = records[-2], records[-1]
    assert warning["level"] == "WARNING" and warning["message"] == "disk var full"
    assert warning["logger"] == "devlogs.test" and warning["tenant"] == "acme"
    assert warning["time"].endswith("+00:00") and isinstance(warning["process"], int)
    assert error["level"] == "ERROR" and "ZeroDivisionError" in error["exc_info"]


@pytest.mark.live
def test_devlogs_ships_its_own_warnings_into_a_tenant(transactional_db, tmp_path, make_key):
    ops_key = make_key(tenant="ops", app="devlogs", scopes=["ingest"])
    # The server ships to itself, so it is started on a port chosen beforehand.
    port = free_port()
    env = {"DEVLOGS_SELF_LOG_URL": f"http://127.0.0.1:{port}", "DEVLOGS_SELF_LOG_API_KEY": ops_key}
    with running_server(tmp_path, port=port, **env) as address:
        request = urllib.request.Request(f"http://{address}/api/v1/apps",
                                         headers={"Authorization": "Bearer dl_read_" + "x" * 44})
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(request, timeout=10)
        wait_for(lambda: LogEntry.objects.filter(tenant__slug="ops", message__contains="/api/v1/apps").exists(),
                 timeout=60, what="the server's own warning stored in tenant ops")
    entry = LogEntry.objects.get(tenant__slug="ops", message__contains="/api/v1/apps")
    assert entry.level == WARN and entry.service == "devlogs"
    assert entry.attributes["logger"] == "django.request"
    # Its own ingest calls are not logged back into itself.
    assert not LogEntry.objects.filter(tenant__slug="ops", message__contains="/api/v1/logs").exists()
