"""The dashboard's pages in real Chromium: exports saved as the files they claim to be, dashboards whose
widgets are dragged and resized, and each page scanned by axe-core and shot at desktop and phone widths."""

import gzip
from pathlib import Path

import orjson
import pytest

from tests.browser import SHOTS, assert_accessible, open_page, rows, shoot, until
from tests.conftest import http_post_logs
# Fixtures: lines in the store, a dashboard with three widgets and a firing alert rule.

pytestmark = pytest.mark.live


def _saved(download) -> bytes:
    return Path(download.path()).read_bytes()


def test_export_links_save_plain_ndjson_and_a_real_gzip_file(dashboard_user, server, browser):
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


def _cells(page) -> dict[str, tuple[int, int, int, int]]:
    widgets = page.locator("[data-testid=widget]")
    return {widgets.nth(i).get_attribute("data-kind"): tuple(int(widgets.nth(i).get_attribute(f"data-{k}")) for k in "xywh")
            for i in range(widgets.count())}


def _settled_box(page, locator) -> dict:
    """The element's box once it stopped moving (the grid animates widgets into their places)."""
    boxes = [locator.bounding_box()]
    until(page, lambda: boxes.append(locator.bounding_box()) or boxes[-1] == boxes[-2], "the element to settle")
    return boxes[-1]


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
    _drag(page, _settled_box(page, handle), 2 * column, 0)
    until(page, lambda: _cells(page)["single_number"][2] == 6, "the number to be 6 columns wide")
    # Move: the chart by its header to the top; the others make room under it.
    title = page.locator("[data-kind=timeseries] .widget-title")
    start = _settled_box(page, title)
    _drag(page, start, 0, grid["y"] - start["y"] - 20)
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


# --- each page: axe-core finds no serious or critical violation; screenshots at 1440 and 390 px ----------

LEVELS = ["trace", "debug", "info", "warn", "error", "fatal"]

def _thirty_lines() -> list[dict]:
    return [{"message": f"{level} line {i}: GET /api/orders/{i} took {i * 7} ms", "level": level,
             "service": ["shop", "billing", "auth"][i % 3], "host": f"web-{i % 2 + 1}",
             "attributes": {"order": f"A-{i}", "amount": i * 1.5}, "trace_id": f"{i:032x}"}
            for i, level in enumerate(LEVELS * 5)]


def _theme(page, theme: str) -> None:
    if page.get_attribute("html", "data-theme") != theme:
        page.click("[data-testid=theme-toggle]")
    until(page, lambda: page.get_attribute("html", "data-theme") == theme, f"the {theme} theme")


def _fits_and_is_accessible(page, shot: str, where: str) -> None:
    """Screenshots at 1440 and 390 px with nothing scrolling sideways, then axe-core on `where`."""
    assert shoot(page, shot) == {"1440": 0, "390": 0}, f"{where} scrolls sideways (px)"
    assert_accessible(page, where)


def _one_h1(page, text: str) -> None:
    assert page.locator("h1").count() == 1
    assert page.inner_text("h1") == text or page.locator("h1").text_content() == text


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_explorer_with_lines_and_an_open_row_is_accessible(dashboard_user, server, browser, theme):
    assert http_post_logs(server, dashboard_user, _thirty_lines())[0] == 202
    context, page = open_page(browser, server, "/?range=1h")
    _theme(page, theme)
    until(page, lambda: rows(page) == 30, "the 30 lines")
    page.locator("[data-testid=log-row]").nth(2).click()
    page.wait_for_selector("[data-testid=log-details]")
    _one_h1(page, "Logs")
    assert page.get_attribute("[data-testid=tab-logs]", "aria-current") == "page"
    _fits_and_is_accessible(page, f"explorer-{theme}", f"the explorer ({theme})")
    context.close()


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_live_view_is_accessible(dashboard_user, server, browser, theme):
    context, page = open_page(browser, server, "/")
    _theme(page, theme)
    page.click("[data-testid=live-toggle]")
    until(page, lambda: page.get_attribute("[data-testid=live-status]", "data-status") == "live", "live")
    assert http_post_logs(server, dashboard_user, _thirty_lines()[:6])[0] == 202
    until(page, lambda: rows(page) >= 6, "the live lines")
    _fits_and_is_accessible(page, f"live-{theme}", f"the live view ({theme})")
    context.close()


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_dashboards_list_and_a_dashboard_are_accessible(acme_board, server, browser, theme):
    context, page = open_page(browser, server, "/?view=dashboards")
    _theme(page, theme)
    page.wait_for_selector("text=Checkout")
    _one_h1(page, "Dashboards")
    assert page.get_attribute("[data-testid=tab-dashboards]", "aria-current") == "page"
    _fits_and_is_accessible(page, f"dashboards-{theme}", f"the dashboards list ({theme})")

    page.goto(f"http://{server}/?view=dashboards&dashboard={acme_board}")
    page.wait_for_selector("[data-testid=widget-number]")
    page.wait_for_selector("[data-testid=top-value-row]")
    page.wait_for_selector("[data-testid=timeseries] canvas")
    _one_h1(page, "Dashboards")
    _fits_and_is_accessible(page, f"dashboard-{theme}", f"a dashboard ({theme})")
    page.click("[data-testid=edit-layout]")
    page.wait_for_selector("[data-testid=widget-resize-handle]")
    _fits_and_is_accessible(page, f"dashboard-layout-{theme}", f"a dashboard's layout editor ({theme})")
    context.close()


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_alerts_page_with_a_rule_and_the_form_open_is_accessible(acme_board, server, browser, theme):
    context, page = open_page(browser, server, "/?view=alerts")
    _theme(page, theme)
    page.wait_for_selector("[data-testid=rule-row][data-state=firing]")
    _one_h1(page, "Alerts")
    page.click("[data-testid=new-rule]")
    page.wait_for_selector("[data-testid=rule-form]")
    _fits_and_is_accessible(page, f"alerts-{theme}", f"the alerts page ({theme})")
    context.close()


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_apps_and_keys_page_is_accessible(dashboard_user, server, browser, theme):
    context, page = open_page(browser, server, "/?view=keys")
    _theme(page, theme)
    page.wait_for_selector("[data-testid=usage-lines]")
    page.wait_for_selector("[data-testid=key-row]")
    _one_h1(page, "Apps and keys")
    assert page.get_attribute("[data-testid=tab-keys]", "aria-current") == "page"
    _fits_and_is_accessible(page, f"apps-keys-{theme}", f"the apps & keys page ({theme})")
    context.close()
