"""The explorer's overview in real Chromium: histogram, facets and the hit count follow the search,
live mode included; the histogram explains itself (y-axis, legend, tooltip); facets on attribute
keys with several values picked at once."""

import pytest

from tests.browser import axe_violations, open_page, rows, shoot, until, url_param
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


def _assert_overview_accessible(page) -> None:
    """axe-core on the page, reporting what lies in the overview (hit count, legend, histogram, tooltip,
    facets); the rest of the page's findings belong to its own tests."""
    ours = ("histogram", "legend", "tooltip", "facet", "hit-count")
    found = []
    for violation in axe_violations(page):
        nodes = [n for n in violation["nodes"] if any(word in n for word in ours)]
        if nodes:
            found.append({**violation, "nodes": nodes})
    assert not found, found


def _hover_last_bar(page) -> None:
    # Near the bar's left edge: the newest bucket may reach past the chart's right end (now).
    bar = page.locator("[data-testid=histogram-bar]").last.bounding_box()
    page.mouse.move(bar["x"] + min(2, bar["width"] / 2), bar["y"] + bar["height"] / 2)


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


def test_histogram_has_a_y_axis_a_level_legend_and_a_tooltip_with_the_counts(dashboard_user, server, browser):
    key = dashboard_user
    lines = ([{"message": f"served {i}", "level": "info"} for i in range(5)]
             + [{"message": f"slow {i}", "level": "warn"} for i in range(2)] + [{"message": "failed", "level": "error"}])
    assert http_post_logs(server, key, lines)[0] == 202
    context, page = open_page(browser, server, "/?range=15m")
    try:
        until(page, lambda: rows(page) == 8, "the eight lines")
        until(page, lambda: _histogram_total(page) == 8, "the histogram to hold them")
        until(page, lambda: page.inner_text("[data-testid=hit-count]") == "8 lines", "the hit count")

        legend = page.locator("[data-testid=legend-level]")
        assert legend.evaluate_all("items => items.map(i => i.dataset.level)") == ["info", "warn", "error"]
        ticks = page.locator("[data-testid=histogram-y-tick]").all_inner_texts()
        assert len(ticks) >= 2 and ticks[0] == "0", ticks

        _hover_last_bar(page)
        tooltip = page.wait_for_selector("[data-testid=histogram-tooltip]")
        text = " ".join(tooltip.inner_text().split())
        assert "info 5" in text and "warn 2" in text and "error 1" in text and "total 8" in text, text
        assert " – " in text  # the bucket's time range
        _assert_overview_accessible(page)
        shoot(page, "overview-histogram-tooltip")
        # The light theme too, tooltip showing.
        page.click("[data-testid=theme-toggle]")
        page.mouse.move(0, 0)
        _hover_last_bar(page)
        page.wait_for_selector("[data-testid=histogram-tooltip]")
        _assert_overview_accessible(page)

        # A legend entry hides its level from the bars (and shows it again).
        page.mouse.move(0, 0)
        page.click("[data-testid=legend-level][data-level=info]")
        until(page, lambda: _histogram_total(page) == 3, "the info lines to leave the bars")
        assert page.get_attribute("[data-testid=legend-level][data-level=info]", "aria-pressed") == "false"
        _assert_overview_accessible(page)  # a hidden level's legend entry stays readable
        page.click("[data-testid=legend-level][data-level=info]")
        until(page, lambda: _histogram_total(page) == 8, "the info lines to come back")
    finally:
        context.close()


def test_facet_on_an_attribute_key_with_several_values_picked(dashboard_user, server, browser):
    key = dashboard_user
    lines = [{"message": f"order by {user} #{i}", "level": "info", "service": service,
              "attributes": {"user_id": user}}
             for i, (user, service) in enumerate([("u-1", "shop")] * 3 + [("u-2", "shop")] * 2 + [("u-3", "pay")])]
    lines.append({"message": "no user here", "level": "info"})
    assert http_post_logs(server, key, lines)[0] == 202
    context, page = open_page(browser, server)
    try:
        until(page, lambda: rows(page) == 7, "the seven lines")
        page.select_option("[data-testid=facet-add]", "attributes.user_id")
        until(page, lambda: _facet_count(page, "attributes.user_id", "u-1") == 3, "the user_id facet")
        assert _facet_count(page, "attributes.user_id", "u-2") == 2
        assert _facet_count(page, "attributes.user_id", "u-3") == 1

        page.check("[data-testid=facet-check][data-field='attributes.user_id'][data-value=u-1]")
        page.check("[data-testid=facet-check][data-field='attributes.user_id'][data-value=u-2]")
        shoot(page, "overview-facets")
        _assert_overview_accessible(page)
        page.click("section[data-field='attributes.user_id'] [data-testid=facet-include]")
        until(page, lambda: "(attributes.user_id:u-1 OR attributes.user_id:u-2)" in (url_param(page, "q") or ""),
              "the OR of both values in the query")
        until(page, lambda: rows(page) == 5, "the lines of both users, and only them")
        messages = page.locator("[data-testid=log-row]").all_inner_texts()
        assert all(("by u-1" in m) or ("by u-2" in m) for m in messages), messages
        # The facet stays, now counting only the picked values.
        until(page, lambda: _facet_count(page, "attributes.user_id", "u-3") == 0, "u-3 to leave the facet")

        # Exclude: none of the checked values.
        page.fill("[data-testid=filter-text]", "")
        page.click("[data-testid=search-button]")
        until(page, lambda: rows(page) == 7, "all lines again")
        until(page, lambda: _facet_count(page, "service", "shop") == 5, "the service facet")
        page.check("[data-testid=facet-check][data-field=service][data-value=shop]")
        page.check("[data-testid=facet-check][data-field=service][data-value=pay]")
        page.click("section[data-field=service] [data-testid=facet-exclude]")
        until(page, lambda: rows(page) == 1, "only the line without a service")
        assert "-service:shop -service:pay" in (url_param(page, "q") or "")
    finally:
        context.close()
