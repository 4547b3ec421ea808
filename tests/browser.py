"""What the dashboard's browser tests share: Debian's Chromium driven by Playwright against a real
server, a signed-in page, waiting on conditions, screenshots at desktop and phone widths, and an
axe-core scan. The fixtures (`browser`, `dashboard_user`) live in tests/conftest.py."""

import json
import time
from urllib.parse import parse_qs, urlsplit

from tests.conftest import ROOT

CHROMIUM = "/usr/bin/chromium"
SHOTS = ROOT / "test-artifacts" / "screenshots"
AXE = ROOT / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
USER, PASSWORD = "ada", "correct horse battery"
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
# Resolves after two animation frames: whatever a resize scheduled has been drawn.
NEXT_FRAMES = "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"


def until(page, check, what: str, timeout: float = 15):
    """Poll `check` while Playwright keeps handling the page's events. (Not wait_for_function: the
    dashboard's Content-Security-Policy forbids the eval that it runs in the page.)"""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        page.wait_for_timeout(50)


def rows(page) -> int:
    return page.locator("[data-testid=log-row]").count()


def url_param(page, name: str) -> str | None:
    return parse_qs(urlsplit(page.url).query).get(name, [None])[0]


def open_page(browser, server, path: str = "/", *, viewport=DESKTOP, **context_options):
    """A fresh context signed in as the dashboard user, at `path`. Returns (context, page)."""
    context = browser.new_context(viewport=viewport, **context_options)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"http://{server}{path}")
    page.fill("#id_username", USER)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=username]", timeout=30_000)
    return context, page


def sideways_overflow(page) -> int:
    """How many pixels the page scrolls sideways (0 when it fits the viewport's width)."""
    return page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")


def shoot(page, name: str) -> dict[str, int]:
    """Screenshots of the page as it is, at 1440 px and at 390 px, then back to the first size.
    Returns the sideways overflow at each width ({"1440": px, "390": px})."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    before = page.viewport_size
    overflow = {}
    for label, size in (("1440", DESKTOP), ("390", PHONE)):
        page.set_viewport_size(size)
        until(page, lambda: page.evaluate("() => document.documentElement.clientWidth") <= size["width"], "the resize")
        page.evaluate(NEXT_FRAMES)  # resize observers have laid the page out again
        page.screenshot(path=str(SHOTS / f"{name}-{label}.png"), full_page=True)
        overflow[label] = sideways_overflow(page)
    if before:
        page.set_viewport_size(before)
    return overflow


def axe_violations(page, impacts=("serious", "critical")) -> list[dict]:
    """Run axe-core (from the dashboard's devDependencies) in the page; the violations of the given
    impacts, each with its rule id, help text and the first offending nodes."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    result = page.evaluate(
        "async () => { const r = await axe.run(document, {resultTypes: ['violations']});"
        " return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))})); }")
    return [v for v in result if v["impact"] in impacts]


def assert_accessible(page, where: str) -> None:
    found = axe_violations(page)
    assert not found, f"axe-core found serious or critical violations on {where}:\n" + json.dumps(found, indent=1)
