"""The dashboard's pages in real Chromium: exports saved as the files they claim to be, dashboards whose
widgets are dragged and resized, and each page scanned by axe-core and shot at desktop and phone widths."""

import gzip
from pathlib import Path

import orjson
import pytest

from tests.browser import SHOTS, open_page, rows, until
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


# --- dashboards: drag and resize --------------------------------------------------------------------

from tests.test_dashboard_e2e import acme_board, acme_key  # noqa: E402,F401  (fixtures: lines, a board, a firing rule)


def _cells(page) -> dict[str, tuple[int, int, int, int]]:
    widgets = page.locator("[data-testid=widget]")
    return {widgets.nth(i).get_attribute("data-kind"): tuple(int(widgets.nth(i).get_attribute(f"data-{k}")) for k in "xywh")
            for i in range(widgets.count())}


def _drag(page, start: dict, dx: float, dy: float) -> None:
    x, y = start["x"] + start["width"] / 2, start["y"] + start["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx, y + dy, steps=12)
    page.mouse.up()


def test_dashboard_widgets_are_dragged_and_resized_and_the_layout_persists(acme_board, server, browser):
    context, page = open_page(browser, server, f"/?tenant=acme&view=dashboards&dashboard={acme_board}")
    page.wait_for_selector("[data-testid=widget-number]")
    assert _cells(page) == {"single_number": (0, 0, 4, 3), "top_values": (4, 0, 8, 3), "timeseries": (0, 3, 12, 4)}
    grid = page.locator("[data-testid=dashboard-grid]").bounding_box()
    column = (grid["width"] + 10) / 12  # 12 columns with 10 px gaps

    page.click("[data-testid=edit-layout]")
    page.wait_for_selector("[data-testid=widget-resize-handle]")
    # Resize: the number's corner two columns to the right; the table it now covers moves down.
    handle = page.locator(".grid-cell:has([data-kind=single_number]) [data-testid=widget-resize-handle]")
    _drag(page, handle.bounding_box(), 2 * column, 0)
    until(page, lambda: _cells(page)["single_number"][2] == 6, "the number to be 6 columns wide")
    # Move: the chart by its header to the top; the others make room under it.
    title = page.locator("[data-kind=timeseries] .widget-title")
    _drag(page, title.bounding_box(), 0, grid["y"] - title.bounding_box()["y"] - 20)
    until(page, lambda: _cells(page)["timeseries"][1] == 0, "the chart to be at the top")
    edited = _cells(page)
    assert edited["single_number"][2] == 6 and edited["single_number"][1] >= 4, edited
    page.screenshot(path=str(SHOTS / "dashboard-layout-edited.png"))
    page.click("[data-testid=save-layout]")
    page.wait_for_selector("[data-testid=widget-controls]", state="detached")
    assert _cells(page) == edited

    page.reload()
    page.wait_for_selector("[data-testid=widget-number]")
    assert _cells(page) == edited
    number = page.locator("[data-kind=single_number]").bounding_box()
    chart = page.locator("[data-kind=timeseries]").bounding_box()
    assert abs(number["width"] - (6 * column - 10)) < 3, number
    assert chart["y"] < number["y"]
    context.close()
