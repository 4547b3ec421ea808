"""The explorer's overview in real Chromium: histogram, facets and the hit count follow the search,
live mode included; the histogram explains itself (y-axis, legend, tooltip); facets on attribute
keys with several values picked at once."""

import pytest

from tests.browser import open_page, rows, shoot, until
from tests.conftest import http_post_logs

pytestmark = pytest.mark.live


def _facet_count(page, field: str, value: str) -> int:
    button = page.locator(f"[data-testid=facet-value][data-field='{field}'][data-value='{value}']")
    if button.count() == 0:
        return 0
    return int(button.locator(".facet-count").inner_text().replace(",", ""))


def _histogram_total(page) -> int:
    return sum(int(n or 0) for n in page.locator("[data-testid=histogram-bar]").evaluate_all(
        "bars => bars.map(b => b.getAttribute('data-count'))"))


def test_live_mode_keeps_histogram_facets_and_hit_count_current(dashboard_user, server, browser):
    key = dashboard_user
    assert http_post_logs(server, key, [{"message": f"before live {i}", "level": "info"} for i in range(3)])[0] == 202
    context, page = open_page(browser, server)
    try:
        until(page, lambda: rows(page) == 3, "the three first lines")
        until(page, lambda: _facet_count(page, "level", "info") == 3, "the level facet to count 3 info lines")
        until(page, lambda: _histogram_total(page) == 3, "the histogram to hold 3 lines")

        page.click("[data-testid=live-toggle]")
        until(page, lambda: "live" in (page.locator("[data-testid=live-status]").text_content() or "").lower(),
              "live")
        assert http_post_logs(server, key, [{"message": f"while live {i}", "level": "info"} for i in range(4)])[0] == 202
        until(page, lambda: rows(page) == 7, "the live lines in the list")
        # No click, no new search: the overview catches up on its own.
        until(page, lambda: _facet_count(page, "level", "info") == 7, "the level facet to count the live lines")
        until(page, lambda: _histogram_total(page) == 7, "the histogram to count the live lines")
        until(page, lambda: page.locator("[data-testid=hit-count]").count() == 1
              and page.inner_text("[data-testid=hit-count]").startswith("7 lines"), "the hit count to say 7 lines")
    finally:
        context.close()
