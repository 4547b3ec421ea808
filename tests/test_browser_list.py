"""The log list in real Chromium against a real server: phone layout, level-badge contrast in both
themes, the context view (services and newlines), keyboard use (skip link, one tab stop, arrows,
Enter), + / − filters from a line's details, and older pages loading by themselves on scroll.
Screenshots go to test-artifacts/screenshots/."""

from datetime import datetime, timedelta, timezone

import pytest

from tests.browser import PHONE, open_page, rows, shoot, until, url_param
from tests.conftest import http_post_logs

pytestmark = pytest.mark.live

LEVELS = ("trace", "debug", "info", "warn", "error", "fatal")


def _at(seconds_ago: float) -> str:
    return (datetime.now(timezone.utc) - timedelta(seconds=seconds_ago)).isoformat()


def _send(server, key, lines):
    status, body, _ = http_post_logs(server, key, lines)
    assert status == 202, body


def test_phone_layout_keeps_the_message_readable(dashboard_user, server, browser):
    _send(server, dashboard_user, [
        {"message": f"GET /checkout/{i} 200 in {i}ms for a customer in the basket flow", "level": "info",
         "service": "checkout-frontend", "host": "web-eu-west-1a-7", "timestamp": _at(i)} for i in range(15)])
    context, page = open_page(browser, server, viewport=PHONE)
    until(page, lambda: rows(page) >= 15, "15 rows")
    overflow = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert overflow[0] <= overflow[1], f"the page scrolls sideways at 390 px: scrollWidth {overflow[0]} > {overflow[1]}"
    width = page.locator("[data-testid=log-message]").first.bounding_box()["width"]
    assert width >= 150, f"the message cell is {width} px wide at 390 px"
    shoot(page, "list-phone")
    context.close()


def _badge_contrast_violations(page) -> list:
    from tests.browser import AXE

    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    return page.evaluate(
        "async () => { const r = await axe.run({include: [['[data-testid=level-badge]']]},"
        " {runOnly: {type: 'rule', values: ['color-contrast']}, resultTypes: ['violations']});"
        " return r.violations.flatMap(v => v.nodes.map(n => n.target.join(' ') + ': ' + n.failureSummary)); }")


def test_level_badges_meet_wcag_aa_contrast_in_both_themes(dashboard_user, server, browser):
    _send(server, dashboard_user, [{"message": f"a {level} line", "level": level, "timestamp": _at(i)}
                                   for i, level in enumerate(LEVELS)])
    context, page = open_page(browser, server)
    until(page, lambda: page.locator("[data-testid=level-badge]").count() >= len(LEVELS), "a badge per level")
    for theme in ("first", "second"):
        found = _badge_contrast_violations(page)
        assert not found, f"level badges fail colour contrast ({theme} theme):\n" + "\n".join(found)
        shoot(page, f"list-badges-{page.evaluate('() => document.documentElement.dataset.theme')}")
        page.click("[data-testid=theme-toggle]")
    context.close()


def test_context_shows_each_lines_service_and_keeps_newlines(dashboard_user, server, browser):
    # The context is the lines around one from the same app and host; services differ.
    _send(server, dashboard_user, [
        {"message": "request accepted", "service": "api", "host": "web-1", "timestamp": _at(3)},
        {"message": "job failed:\n  step 1 ok\n  step 2 exploded", "level": "error", "service": "worker",
         "host": "web-1", "timestamp": _at(2)},
        {"message": "the centre line", "service": "api", "host": "web-1", "timestamp": _at(1)},
    ])
    context, page = open_page(browser, server)
    until(page, lambda: rows(page) >= 3, "three rows")
    page.click("[data-testid=log-row] >> text=the centre line")
    page.click("[data-testid=show-context]")
    page.wait_for_selector("[data-testid=context-lines]")
    lines = page.locator("[data-testid=context-line]")
    until(page, lambda: lines.count() == 3, "three context lines")
    worker = page.locator("[data-testid=context-line]", has_text="job failed")
    assert "worker" in worker.inner_text(), f"the worker line does not say its service: {worker.inner_text()!r}"
    centre = page.locator("[data-testid=context-line]", has_text="the centre line")
    assert "api" in centre.inner_text(), f"the centre line does not say its service: {centre.inner_text()!r}"
    message = worker.locator(".context-message")
    assert message.evaluate("e => getComputedStyle(e).whiteSpace") == "pre-wrap"
    assert "step 1 ok\n  step 2 exploded" in message.inner_text(), "the newlines of a multi-line message are lost"
    shoot(page, "list-context")
    context.close()


def _focus(page) -> dict:
    return page.evaluate(
        "() => { const e = document.activeElement; const row = e && e.closest('[data-testid=log-row]');"
        " return {testid: e && e.dataset.testid, text: e && e.textContent,"
        " index: row ? Number(row.dataset.index) : null}; }")


def test_keyboard_skip_link_one_tab_stop_arrows_and_enter(dashboard_user, server, browser):
    _send(server, dashboard_user, [{"message": f"keyboard line {i}", "timestamp": _at(i)} for i in range(30)])
    context, page = open_page(browser, server)
    until(page, lambda: rows(page) >= 20, "the rows")
    presses = 0
    while presses < 3:
        page.keyboard.press("Tab")
        presses += 1
        if _focus(page)["testid"] == "skip-link":
            break
    assert _focus(page)["testid"] == "skip-link", f"no skip link within 3 Tabs; focus is on {_focus(page)}"
    box = page.locator("[data-testid=skip-link]").bounding_box()
    assert box and box["y"] >= 0 and box["height"] > 0, f"the focused skip link is off screen: {box}"
    shoot(page, "list-skip-link")
    page.keyboard.press("Enter")
    assert _focus(page)["index"] == 0, f"the skip link did not move focus to the first row: {_focus(page)}"
    # The list is one tab stop.
    assert page.locator("[data-testid=log-scroll] .log-row-summary[tabindex='0']").count() == 1

    page.keyboard.press("ArrowDown")
    assert _focus(page)["index"] == 1
    page.keyboard.press("j")
    assert _focus(page)["index"] == 2
    page.keyboard.press("k")
    assert _focus(page)["index"] == 1
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-testid=log-row][data-index='1'] [data-testid=log-details]")
    page.keyboard.press("Enter")
    until(page, lambda: page.locator("[data-testid=log-details]").count() == 0, "the details to close")
    page.keyboard.press("End")
    until(page, lambda: _focus(page)["index"] == 29, "End to reach the last row")
    page.keyboard.press(" ")
    page.wait_for_selector("[data-testid=log-row][data-index='29'] [data-testid=log-details]")
    page.keyboard.press("Home")
    until(page, lambda: _focus(page)["index"] == 0, "Home to reach the first row")
    shoot(page, "list-keyboard")
    context.close()


def test_minus_on_an_attribute_filters_that_value_out(dashboard_user, server, browser):
    _send(server, dashboard_user, [
        {"message": "payment provider timeout", "level": "error", "service": "billing", "timestamp": _at(2),
         "attributes": {"order": "A-17", "http": {"status": 504}}},
        {"message": "payment accepted", "service": "billing", "timestamp": _at(1), "attributes": {"order": "B-2"}},
    ])
    context, page = open_page(browser, server)
    until(page, lambda: rows(page) == 2, "two rows")
    page.click("[data-testid=log-row] >> text=payment provider timeout")
    details = page.locator("[data-testid=log-details]")
    # Nested attributes can be filtered on too.
    assert details.locator("[data-testid=filter-in][data-field='attributes.http.status']").count() == 1
    details.locator("[data-testid=filter-out][data-field='attributes.order']").click()
    until(page, lambda: url_param(page, "q") == "-attributes.order:A-17", "the query -attributes.order:A-17")
    assert page.input_value("[data-testid=filter-text]") == "-attributes.order:A-17"
    until(page, lambda: rows(page) == 1 and "payment accepted" in page.inner_text("[data-testid=log-row]"),
          "only the other line")
    # + on a field adds field:value.
    page.click("[data-testid=log-row]")
    page.locator("[data-testid=log-details] [data-testid=filter-in][data-field=service]").click()
    until(page, lambda: url_param(page, "q") == "-attributes.order:A-17 service:billing", "service:billing added")
    context.close()


def test_matches_are_highlighted(dashboard_user, server, browser):
    _send(server, dashboard_user, [{"message": "Payment FAILED for order 7 after timeout", "timestamp": _at(1)}])
    # Field terms (level:info) are not highlighted; a prefix and a phrase are, in any case.
    context, page = open_page(browser, server, "/?q=fail*%20%22after%20timeout%22%20level%3Ainfo")
    until(page, lambda: rows(page) == 1, "one row")
    marks = page.locator("[data-testid=log-message] mark").all_inner_texts()
    assert marks == ["FAILED", "after timeout"], marks
    context.close()


def test_older_pages_load_by_themselves_when_scrolling(dashboard_user, server, browser):
    total = 1300
    _send(server, dashboard_user, [{"message": f"scroll line {i}", "timestamp": _at(i)} for i in range(total)])
    context, page = open_page(browser, server)
    scroller = page.locator("[data-testid=log-scroll]")
    until(page, lambda: rows(page) > 0, "the first page")

    def loaded() -> int:
        return int(page.get_attribute("[data-testid=log-rows]", "data-count") or 0)

    def scroll_down() -> bool:
        scroller.evaluate("e => { e.scrollTop = e.scrollHeight; }")
        return loaded() >= total

    until(page, scroll_down, f"{total} rows loaded by scrolling", timeout=60)
    page.wait_for_selector("[data-testid=end-of-results]")
    assert page.locator("[data-testid=log-row]", has_text=f"scroll line {total - 1}").count() == 1
    shoot(page, "list-infinite-scroll")
    context.close()
