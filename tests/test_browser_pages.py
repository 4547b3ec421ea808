"""The dashboard's pages in real Chromium: exports saved as the files they claim to be, dashboards whose
widgets are dragged and resized, and each page scanned by axe-core and shot at desktop and phone widths."""

import gzip
from pathlib import Path

import orjson
import pytest

from tests.browser import open_page, rows, until
from tests.conftest import http_post_logs

pytestmark = pytest.mark.live


def _saved(download) -> bytes:
    return Path(download.path()).read_bytes()


def test_export_links_save_plain_ndjson_and_a_real_gzip_file(dashboard_user, server, browser, tmp_path):
    """A browser always sends Accept-Encoding: gzip; that must not turn a plain download into a
    mislabelled .gz, and the .gz download must be gzip bytes on disk."""
    messages = [f"exported line {i}" for i in range(12)]
    assert http_post_logs(server, dashboard_user, [{"message": m, "level": "info"} for m in messages])[0] == 202
    context, page = open_page(browser, server, "/?range=1h")
    until(page, lambda: rows(page) == len(messages), "the lines to show")

    with page.expect_download() as plain:
        page.click("[data-testid=export-ndjson]")
    assert plain.value.suggested_filename == "devlogs-export.ndjson"
    body = _saved(plain.value)
    assert body[:2] != b"\x1f\x8b"
    assert sorted(orjson.loads(line)["message"] for line in body.splitlines()) == sorted(messages)

    with page.expect_download() as packed:
        page.click("[data-testid=export-ndjson-gz]")
    assert packed.value.suggested_filename == "devlogs-export.ndjson.gz"
    body = _saved(packed.value)
    assert body[:2] == b"\x1f\x8b", body[:40]
    lines = gzip.decompress(body).splitlines()
    assert len(lines) == len(messages)
    assert sorted(orjson.loads(line)["message"] for line in lines) == sorted(messages)
    context.close()
