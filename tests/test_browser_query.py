"""The explorer's query bar in real Chromium: Esc keeps the typed query (explorer, widget editor,
rule editor), presets fill the From/To inputs, the `?` help stays on screen and closes, one error
for an invalid query, `/` focuses the query, filter pills, and the time-zone switch."""

from datetime import datetime, timedelta, timezone
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest

from tests.browser import DESKTOP, PHONE, assert_accessible, open_page, rows, shoot, until, url_param
from tests.conftest import http_post_logs

pytestmark = pytest.mark.live


def _send(server, key, lines):
    assert http_post_logs(server, key, lines)[0] == 202


def _type_then_escape(page, selector: str, text: str) -> None:
    field = page.locator(selector)
    field.click()
    field.press_sequentially(text)
    # Twice: the first may only close the suggestion list, the second reached the input itself.
    field.press("Escape")
    field.press("Escape")
    assert field.input_value() == text, f"{selector} lost its text on Esc: {field.input_value()!r}"


def test_escape_keeps_the_query_in_explorer_widget_editor_and_rule_editor(dashboard_user, server, browser):
    context, page = open_page(browser, server)
    _type_then_escape(page, "[data-testid=filter-text]", "level:error timeout")

    page.click("[data-testid=tab-dashboards]")
    page.fill("[data-testid=new-dashboard-name]", "Esc board")
    page.click("[data-testid=create-dashboard]")
    page.click("[data-testid=add-widget]")
    _type_then_escape(page, "[data-testid=widget-query]", "service:billing")

    page.click("[data-testid=tab-alerts]")
    page.click("[data-testid=new-rule]")
    _type_then_escape(page, "[data-testid=rule-query]", "level:error db")
    context.close()


def test_preset_fills_the_custom_inputs_with_its_range(dashboard_user, server, browser):
    context, page = open_page(browser, server, timezone_id="UTC")
    page.click("[data-testid=range-15m]")
    until(page, lambda: url_param(page, "range") == "15m", "range=15m in the URL")
    now = datetime.now(timezone.utc).replace(tzinfo=None)

    def near(value: str, expected: datetime) -> bool:
        return bool(value) and abs(datetime.fromisoformat(value) - expected) <= timedelta(minutes=2)

    since = page.input_value("[data-testid=range-custom-since]")
    until_ = page.input_value("[data-testid=range-custom-until]")
    assert near(since, now - timedelta(minutes=15)), f"From shows {since!r}, not about {now - timedelta(minutes=15)}"
    assert near(until_, now), f"To shows {until_!r}, not about {now}"
    page.click("[data-testid=range-7d]")
    until(page, lambda: near(page.input_value("[data-testid=range-custom-since]"), now - timedelta(days=7)),
          "From about 7 days ago")
    context.close()


def _inside_viewport(page) -> bool:
    box = page.locator(".query-help-popover").first.bounding_box()
    size = page.viewport_size
    return (box is not None and box["x"] >= 0 and box["y"] >= 0
            and box["x"] + box["width"] <= size["width"] + 0.5 and box["y"] + box["height"] <= size["height"] + 0.5)


def test_query_help_stays_on_screen_closes_on_escape_and_outside_click(dashboard_user, server, browser):
    for viewport in (DESKTOP, PHONE):
        context, page = open_page(browser, server, viewport=viewport)
        button = page.locator("[data-testid=query-help] .query-help-button")
        button.click()
        popover = page.locator(".query-help-popover")
        popover.wait_for(state="visible")
        assert _inside_viewport(page), f"help popover at {popover.bounding_box()} leaves the {viewport} viewport"
        text = popover.inner_text()
        for documented in ("/", "j", "Enter", "Esc", "Skip to results"):
            assert documented in text, f"the help does not mention {documented!r}"
        if viewport == DESKTOP:
            shoot(page, "query-help-open")
            assert_accessible(page, "the open query help")

        page.keyboard.press("Escape")
        popover.wait_for(state="hidden")
        assert page.evaluate("() => document.activeElement?.classList.contains('query-help-button')"), "focus back on ?"

        button.click()
        popover.wait_for(state="visible")
        page.mouse.click(5, page.viewport_size["height"] - 5)
        popover.wait_for(state="hidden")
        context.close()


@pytest.mark.parametrize("query", ["level:(", "a AND"])
def test_invalid_query_error_shows_once_at_the_query_bar(query, dashboard_user, server, browser):
    _send(server, dashboard_user, [{"message": "something", "level": "info"}])
    context, page = open_page(browser, server)
    page.wait_for_selector("[data-testid=log-row]")
    page.fill("[data-testid=filter-text]", query)
    page.click("[data-testid=search-button]")
    page.wait_for_selector("[data-testid=query-error]")
    message = page.inner_text(".query-error-message").strip()
    assert page.locator("[data-testid=query-error-position]").is_visible()

    def others() -> list[str]:
        found = []
        for sel in ("[data-testid=error]", "[data-testid=histogram-error]", "[data-testid=facets-error]",
                    ".error-banner", "[role=alert]:not([data-testid=query-error])"):
            found += [f"{sel}: {t}" for t in page.locator(sel).all_inner_texts() if t.strip()]
        return found

    # Give the histogram and facets their answers before counting.
    until(page, lambda: page.locator("[data-testid=histogram][aria-busy=true]").count() == 0
          and page.locator("[data-testid=facets][aria-busy=true]").count() == 0, "the panels to settle")
    assert others() == [], f"the error for {query!r} ({message}) shows in more than one place: {others()}"
    assert page.get_by_text(message, exact=False).count() == 1
    context.close()


def test_slash_focuses_the_query_but_not_while_typing(dashboard_user, server, browser):
    context, page = open_page(browser, server)
    page.click("[data-testid=brand]")
    page.keyboard.press("/")
    until(page, lambda: page.evaluate("() => document.activeElement?.dataset?.testid") == "filter-text",
          "the query input to have the focus")
    page.keyboard.type("a/b")
    assert page.input_value("[data-testid=filter-text]") == "a/b"
    context.close()


def test_filter_pills_toggle_invert_and_remove(dashboard_user, server, browser):
    _send(server, dashboard_user, [
        {"message": "db timeout", "level": "error", "service": "billing", "attributes": {"order": "A 17"}},
        {"message": "db timeout", "level": "error", "service": "shop"},
        {"message": "db timeout", "level": "info", "service": "billing"},
    ])
    q = 'level:error -service:shop timeout attributes.order:"A 17" (host:a OR host:b)'
    context, page = open_page(browser, server, f"/?q={quote(q)}")
    page.wait_for_selector("[data-testid=filter-pill]")

    def pills() -> list[tuple[str, str]]:
        loc = page.locator("[data-testid=filter-pill]")
        return [(loc.nth(i).get_attribute("data-term"), loc.nth(i).get_attribute("data-state"))
                for i in range(loc.count())]

    assert pills() == [("level:error", "on"), ("-service:shop", "on"), ('attributes.order:"A 17"', "on")]

    pill = lambda term: page.locator(f"[data-testid=filter-pill][data-term='{term}']")  # noqa: E731
    # Remove the grouped OR (not a pill) by editing: the query then finds the billing error line.
    page.fill("[data-testid=filter-text]", 'level:error -service:shop timeout attributes.order:"A 17"')
    page.click("[data-testid=search-button]")
    until(page, lambda: rows(page) == 1, "one line")
    shoot(page, "query-pills")
    assert_accessible(page, "the explorer with filter pills (dark)")
    page.click("[data-testid=theme-toggle]")
    assert_accessible(page, "the explorer with filter pills (light)")
    page.click("[data-testid=theme-toggle]")

    pill('attributes.order:"A 17"').locator("[data-testid=pill-toggle]").click()
    until(page, lambda: "attributes.order" not in (url_param(page, "q") or ""), "the term off in the URL")
    assert ('attributes.order:"A 17"', "off") in pills()
    until(page, lambda: rows(page) == 1, "still one line")

    pill("-service:shop").locator("[data-testid=pill-invert]").click()
    until(page, lambda: url_param(page, "q") == "level:error service:shop timeout", "the inverted term in the URL")
    until(page, lambda: rows(page) == 1 and "shop" in page.inner_text("[data-testid=log-row]"), "the shop line")

    pill("service:shop").locator("[data-testid=pill-remove]").click()
    until(page, lambda: url_param(page, "q") == "level:error timeout", "the term removed from the URL")
    until(page, lambda: rows(page) == 2, "both error lines")

    pill('attributes.order:"A 17"').locator("[data-testid=pill-toggle]").click()
    until(page, lambda: url_param(page, "q") == 'level:error timeout attributes.order:"A 17"', "the term back on")
    until(page, lambda: rows(page) == 1, "the billing line")
    assert page.input_value("[data-testid=filter-text]") == 'level:error timeout attributes.order:"A 17"'
    context.close()


def test_time_zone_switch_changes_shown_times(dashboard_user, server, browser):
    at = datetime.now(timezone.utc).replace(microsecond=250000) - timedelta(minutes=3)
    _send(server, dashboard_user, [{"message": "zoned line", "level": "info", "timestamp": at.isoformat()}])
    context, page = open_page(browser, server, timezone_id="Asia/Tokyo")
    page.wait_for_selector("[data-testid=log-row]")
    shown = lambda: page.inner_text("[data-testid=log-time]").strip()  # noqa: E731
    fmt = lambda d: d.strftime("%Y-%m-%d %H:%M:%S.") + f"{d.microsecond // 1000:03d}"  # noqa: E731
    tokyo, utc = fmt(at.astimezone(ZoneInfo("Asia/Tokyo"))), fmt(at)

    def bar_title_in(zone) -> bool:
        bar = page.locator("[data-testid=histogram-bar]").last
        bucket = datetime.fromisoformat(bar.get_attribute("data-time").replace("Z", "+00:00"))
        return (bar.locator("title").text_content() or "").startswith(fmt(bucket.astimezone(zone))[:19])

    assert "Asia/Tokyo" in page.inner_text("[data-testid=tz-toggle]")
    until(page, lambda: shown() == tokyo, f"the row in Tokyo time ({tokyo}), shows {shown()}")
    page.click("[data-testid=tz-utc]")
    until(page, lambda: shown() == utc, f"the row in UTC ({utc}), shows {shown()}")
    until(page, lambda: bar_title_in(ZoneInfo("UTC")), "the histogram's bar title in UTC")
    assert url_param(page, "tz") == "utc"
    assert page.get_attribute("[data-testid=tz-utc]", "aria-pressed") == "true"
    # The custom inputs follow the zone too.
    page.click("[data-testid=range-15m]")
    since = datetime.fromisoformat(page.input_value("[data-testid=range-custom-since]"))
    assert abs(since - (datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(minutes=15))) < timedelta(minutes=2)

    # The choice survives a reload without tz= in the URL (localStorage).
    page.goto(page.url.split("?")[0])
    page.wait_for_selector("[data-testid=log-row]")
    until(page, lambda: shown() == utc, "UTC kept after a reload")
    page.click("[data-testid=log-row]")
    assert utc in page.inner_text("[data-testid=log-details]")

    page.click("[data-testid=tz-local]")
    until(page, lambda: shown() == tokyo, "back to Tokyo time")
    until(page, lambda: bar_title_in(ZoneInfo("Asia/Tokyo")), "the histogram's bar title in Tokyo time")
    context.close()
