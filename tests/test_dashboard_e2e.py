"""The built dashboard in real Chromium (Debian's, driven by Playwright) against a real server:
sign in, send logs through the API, see them, search, open a row, zoom the histogram, save a
search and reopen it from its URL, watch the live tail, open Apps & keys.
Screenshots of each step go to test-artifacts/screenshots/."""

import os

import pytest
from django.contrib.auth import get_user_model

from accounts.models import Membership, Tenant
from tests.conftest import ROOT, http_post_logs, require_service

pytestmark = pytest.mark.live
CHROMIUM = "/usr/bin/chromium"
SHOTS = ROOT / "test-artifacts" / "screenshots"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture
def browser():
    if not os.path.exists(CHROMIUM):
        require_service("Chromium", "install it with apt-get install chromium (scripts/test.sh does)")
    if not (ROOT / "frontend" / "dist" / "index.html").exists():
        require_service("the built dashboard", "run npm ci && npm run build in frontend/ (scripts/setup.sh does)")
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def acme_key(server, make_key):
    """A tenant with a key and an owner who can sign in; made before Playwright starts its event loop."""
    key = make_key(tenant="acme", app="web")
    user = get_user_model().objects.create_user("ada", password="correct horse battery")
    Membership.objects.create(user=user, tenant=Tenant.objects.get(slug="acme"), role="owner")
    return key


def test_sign_in_search_open_a_row_and_tail_live(acme_key, server, browser):
    key = acme_key
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
    page.wait_for_function("document.querySelectorAll('[data-testid=log-row]').length >= 21")
    page.screenshot(path=str(SHOTS / "02-logs.png"))

    page.fill("[data-testid=filter-text]", "timeout")
    page.click("[data-testid=search-button]")
    page.wait_for_function("document.querySelectorAll('[data-testid=log-row]').length === 1")
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
    page.wait_for_function("location.search.includes('since=') && location.search.includes('until=')")
    assert "range=15m" not in page.url
    page.wait_for_selector("[data-testid=log-row]")
    page.screenshot(path=str(SHOTS / "05-histogram-zoomed.png"))

    # A saved search reopens from its URL in a fresh page.
    page.click("[data-testid=range-1h]")
    page.fill("[data-testid=filter-text]", "level:error")
    page.click("[data-testid=search-button]")
    page.wait_for_function("document.querySelectorAll('[data-testid=log-row]').length === 1")
    page.fill("[data-testid=save-search-name]", "Errors")
    page.click("[data-testid=save-search]")
    page.wait_for_selector("[data-testid=saved-search-item] >> text=Errors")
    page.fill("[data-testid=filter-text]", "")
    page.click("[data-testid=search-button]")
    page.click("[data-testid=saved-search-open]")
    page.wait_for_function("document.querySelector('[data-testid=filter-text]').value === 'level:error'")
    shared = page.url
    page.screenshot(path=str(SHOTS / "06-saved-search.png"))
    reopened = context.new_page()  # same session, fresh page: only the URL carries the state
    reopened.goto(shared)
    reopened.wait_for_function("document.querySelectorAll('[data-testid=log-row]').length === 1")
    assert reopened.input_value("[data-testid=filter-text]") == "level:error"
    assert "payment provider timeout" in reopened.inner_text("[data-testid=log-row]")
    reopened.close()

    page.fill("[data-testid=filter-text]", "")
    page.click("[data-testid=search-button]")
    page.click("[data-testid=live-toggle]")
    page.wait_for_function("document.querySelector('[data-testid=live-status]')?.textContent.toLowerCase().includes('live')")
    page.wait_for_timeout(500)
    assert http_post_logs(server, key, [{"message": "a line sent while watching", "level": "warn"}])[0] == 202
    page.wait_for_selector("text=a line sent while watching")
    page.screenshot(path=str(SHOTS / "07-live.png"))

    # Apps & keys: the owner creates a key and sees it once.
    page.click("text=Apps & keys")
    page.wait_for_selector("[data-testid=apps-keys]")
    page.screenshot(path=str(SHOTS / "08-apps-keys.png"))
    context.close()
