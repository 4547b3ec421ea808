"""The built dashboard in real Chromium (Debian's, driven by Playwright) against a real server:
sign in, send logs through the API, see them, search, open a row, zoom the histogram, save a
search and reopen it from its URL, watch the live tail, open Apps & keys; open a dashboard from
its shared link and read its widgets; see a firing alert rule and its history.
Screenshots of each step go to test-artifacts/screenshots/."""

import pytest

from tests.browser import SHOTS, rows, until, url_param
from tests.conftest import http_post_logs

pytestmark = pytest.mark.live


def test_sign_in_search_open_a_row_and_tail_live(dashboard_user, server, browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    key = dashboard_user
    lines = [{"message": f"GET /checkout 200 in {i}ms", "level": "info", "service": "shop", "host": "web-1"}
             for i in range(20)]
    lines += [{"message": "payment provider timeout", "level": "error", "service": "billing", "host": "web-2",
               "attributes": {"order": "A-17", "amount": 42.5}}]
    assert http_post_logs(server, key, lines)[0] == 202

    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"http://{server}/")
    page.screenshot(path=str(SHOTS / "01-sign-in.png"))
    page.fill("#id_username", "ada")
    page.fill("#id_password", "correct horse battery")
    page.click("button[type=submit]")

    page.wait_for_selector("[data-testid=log-row]")
    until(page, lambda: rows(page) >= 21, "all 21 lines")
    page.screenshot(path=str(SHOTS / "02-logs.png"))

    page.fill("[data-testid=filter-text]", "timeout")
    page.click("[data-testid=search-button]")
    until(page, lambda: rows(page) == 1, "one result")
    assert "payment provider timeout" in page.inner_text("[data-testid=log-row]")
    assert page.inner_text("[data-testid=level-badge]").strip().lower() == "error"
    page.screenshot(path=str(SHOTS / "03-search.png"))

    page.click("[data-testid=log-row]")
    details = page.wait_for_selector("[data-testid=log-details]")
    assert "A-17" in details.inner_text()
    page.screenshot(path=str(SHOTS / "04-row-open.png"))

    # Histogram: the last 15 minutes, then drag across its middle to zoom in.
    page.fill("[data-testid=filter-text]", "")
    page.click("[data-testid=search-button]")
    page.click("[data-testid=range-15m]")
    page.wait_for_selector("[data-testid=histogram-bar]")
    assert "range=15m" in page.url
    box = page.locator("[data-testid=histogram] svg").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.999, box["y"] + box["height"] / 2, steps=5)
    page.mouse.up()
    until(page, lambda: "since=" in page.url and "until=" in page.url, "an absolute range in the URL")
    assert "range=15m" not in page.url
    # The zoomed range holds the lines (sent seconds ago); a loaded CI machine may take a while to answer.
    page.wait_for_selector("[data-testid=log-row]", timeout=45_000)
    page.screenshot(path=str(SHOTS / "05-histogram-zoomed.png"))

    # A saved search reopens from its URL in a fresh page.
    page.click("[data-testid=range-1h]")
    page.fill("[data-testid=filter-text]", "level:error")
    page.click("[data-testid=search-button]")
    until(page, lambda: rows(page) == 1, "one result")
    page.fill("[data-testid=save-search-name]", "Errors")
    page.click("[data-testid=save-search]")
    page.wait_for_selector("[data-testid=saved-search-item] >> text=Errors")
    page.fill("[data-testid=filter-text]", "")
    page.click("[data-testid=search-button]")
    page.click("[data-testid=saved-search-open]")
    until(page, lambda: page.input_value("[data-testid=filter-text]") == "level:error", "the saved query")
    shared = page.url
    page.screenshot(path=str(SHOTS / "06-saved-search.png"))
    reopened = context.new_page()  # same session, fresh page: only the URL carries the state
    reopened.goto(shared)
    until(reopened, lambda: rows(reopened) == 1, "the one saved-search result")
    assert reopened.input_value("[data-testid=filter-text]") == "level:error"
    assert "payment provider timeout" in reopened.inner_text("[data-testid=log-row]")
    reopened.close()

    page.fill("[data-testid=filter-text]", "")
    page.click("[data-testid=search-button]")
    page.click("[data-testid=live-toggle]")
    # "live" is shown when the socket opens, and the server joins the tenant's group before it
    # accepts the socket (logs/consumers.py): a line sent from now on reaches this page.
    until(page, lambda: "live" in (page.locator("[data-testid=live-status]").text_content() or "").lower(), "live")
    assert http_post_logs(server, key, [{"message": "a line sent while watching", "level": "warn"}])[0] == 202
    page.wait_for_selector("text=a line sent while watching")
    page.screenshot(path=str(SHOTS / "07-live.png"))

    # Apps & keys: today's usage; the owner rotates the key and sees the new one once.
    page.click("text=Apps & keys")
    page.wait_for_selector("[data-testid=usage-lines]")
    page.click("[data-testid=key-row] >> [data-testid=rotate-key]")
    page.fill("[data-testid=rotate-grace]", "2")
    page.click("[data-testid=rotate-confirm]")
    new_key = page.inner_text("[data-testid=new-key-value]").strip()
    assert new_key and new_key != key
    assert "keeps working until" in page.inner_text("[data-testid=rotated-note]")
    page.screenshot(path=str(SHOTS / "08-apps-keys.png"))
    # Both keys work until the old one's grace ends.
    assert http_post_logs(server, new_key, [{"message": "sent with the new key"}])[0] == 202
    assert http_post_logs(server, key, [{"message": "sent with the old key"}])[0] == 202
    context.close()


def test_shared_dashboard_shows_its_widgets_and_alerts_show_the_firing_rule(acme_board, dashboard_user, server, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(15_000)
    # The shared link (no range: the dashboard's own), through the sign-in page.
    page.goto(f"http://{server}/?tenant=acme&view=dashboard&dashboard={acme_board}")
    page.fill("#id_username", "ada")
    page.fill("#id_password", "correct horse battery")
    page.click("button[type=submit]")

    page.wait_for_selector("[data-testid=widget-number]")
    assert page.inner_text("[data-testid=dashboard-name]") == "Checkout"
    assert page.get_attribute("[data-testid=widget-number]", "data-value") == "3"
    page.wait_for_selector("[data-testid=top-value-row]")
    top = page.locator("[data-testid=top-value-row]")
    assert [(top.nth(i).get_attribute("data-value"), top.nth(i).get_attribute("data-count"))
            for i in range(top.count())] == [("shop", "5"), ("billing", "3")]
    legend = page.locator("[data-testid=series-legend-item]")
    until(page, lambda: legend.count() == 2, "the chart's legend")
    assert sorted((legend.nth(i).get_attribute("data-value"), legend.nth(i).get_attribute("data-total"))
                  for i in range(2)) == [("error", "3"), ("info", "5")]
    page.wait_for_selector("[data-testid=timeseries] canvas")  # uPlot drew it
    until(page, lambda: url_param(page, "range") == "24h", "the dashboard's range in the URL")
    page.screenshot(path=str(SHOTS / "09-dashboard.png"))
    page.click("[data-testid=edit-layout]")
    page.wait_for_selector("[data-testid=widget-controls]")
    page.screenshot(path=str(SHOTS / "09b-dashboard-layout.png"))
    page.click("[data-testid=cancel-layout]")

    # A line sent now shows after a range change and Refresh (each asks the server again).
    assert http_post_logs(server, dashboard_user, [{"message": "cart error", "level": "error", "service": "shop"}])[0] == 202
    page.click("[data-testid=range-15m]")
    until(page, lambda: url_param(page, "range") == "15m", "the new range in the URL")

    def refreshed_to_four() -> bool:
        page.click("[data-testid=dashboard-refresh]")
        until(page, lambda: page.locator("[data-testid=widget][aria-busy=true]").count() == 0, "the widgets to reload")
        return page.get_attribute("[data-testid=widget-number]", "data-value") == "4"

    until(page, refreshed_to_four, "the new line in the count", timeout=30)

    page.click("[data-testid=tab-alerts]")
    row = page.wait_for_selector("[data-testid=rule-row][data-state=firing]")
    assert "Card declines" in row.inner_text()
    assert row.query_selector("[data-testid=rule-state]").inner_text() == "Firing"
    row.query_selector("[data-testid=rule-history-toggle]").click()
    event = page.wait_for_selector("[data-testid=alert-event][data-state=firing]")
    assert "3 lines" in event.inner_text()
    assert "card declined" in event.inner_text()
    page.screenshot(path=str(SHOTS / "10-alerts.png"))

    # The rule editor previews what a rule's window holds right now.
    page.click("[data-testid=new-rule]")
    page.fill("[data-testid=rule-name]", "Any billing line")
    page.fill("[data-testid=rule-query]", "service:billing")
    page.click("[data-testid=rule-preview-button]")
    assert "3 matching lines" in page.inner_text("[data-testid=rule-preview]")
    page.screenshot(path=str(SHOTS / "11-rule-form.png"))
    context.close()

