"""The log explorer with 100,000 rows loaded, in real Chromium: is scrolling smooth?

    .venv/bin/python -m bench dashboard-scroll [--lines N] [--seconds S]

Starts the embedded server (SQLite, fresh data dir) serving the built dashboard (frontend/dist:
run `npm run build` in frontend/ first), sends N lines (default 100,000) through the ingest API,
signs in with Debian's Chromium driven by Playwright, scrolls the list to the bottom until every
line is loaded (older pages load by themselves as the reader nears the bottom: 500 a page, so
200 requests), then scrolls through the loaded list for S seconds (default 5) at a steady speed
and reports the requestAnimationFrame intervals: median, p95, p99, max and dropped frames (an
interval of k frame budgets drops k-1 frames), with Chrome's main-thread counters per frame.
Prints the figures; writes nothing. BENCH_JS_PROFILE=1 also prints the top functions by self time
over 2 s of scrolling.
"""

import http.client
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import orjson

from bench.common import ROOT, make_lines, percentile, start_server, table
from bench.embedded import prepare, server_env

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
USER, PASSWORD = "bench", "bench scroll password"
LINES_PER_REQUEST = 1000
FRAME_MS = 1000 / 60
SCROLL_PX_PER_FRAME = 120  # ~4 rows a frame: a brisk wheel or trackpad fling, kept up for the whole run

# Scrolls the list by a fixed step every frame for `ms` and returns the frame intervals (ms).
MEASURE = """async ([ms, step]) => {
  const el = document.querySelector('[data-testid=log-scroll]');
  const gaps = [];
  await new Promise((done) => {
    let last = null; const end = performance.now() + ms;
    const frame = (t) => {
      if (last !== null) gaps.push(t - last);
      last = t;
      el.scrollTop += step;
      if (t < end) requestAnimationFrame(frame); else done();
    };
    requestAnimationFrame(frame);
  });
  return {gaps, scrollTop: el.scrollTop, scrollHeight: el.scrollHeight,
          rendered: document.querySelectorAll('[data-testid=log-row]').length};
}"""


def make_user(env: dict) -> None:
    code = ("from django.contrib.auth import get_user_model; from accounts.models import Membership, Tenant; "
            f"u = get_user_model().objects.create_user({USER!r}, password={PASSWORD!r}); "
            "Membership.objects.create(user=u, tenant=Tenant.objects.get(slug='bench'), role='owner')")
    subprocess.run([sys.executable, str(ROOT / "manage.py"), "shell", "-c", code], cwd=ROOT, env=env, check=True)


def send(port: int, key: str, lines: int) -> float:
    """Sends `lines` lines, newest first over the last 50 minutes; returns the seconds it took."""
    now = datetime.now(timezone.utc)
    step = timedelta(minutes=50) / lines
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    started = time.monotonic()
    for first in range(0, lines, LINES_PER_REQUEST):
        batch = make_lines(min(LINES_PER_REQUEST, lines - first), seed=first + 1)
        for i, line in enumerate(batch):
            line["timestamp"] = (now - step * (first + i + 1)).isoformat()
            line["message"] = f"#{first + i} {line['message']}"
        conn.request("POST", "/api/v1/logs", orjson.dumps(batch), headers)
        response = conn.getresponse()
        response.read()
        if response.status != 202:
            raise RuntimeError(f"ingest answered {response.status}")
    conn.close()
    return time.monotonic() - started


def wait_stored(db: Path, lines: int, timeout: float = 600) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
                (stored,) = conn.execute("SELECT count(*) FROM logs_logentry").fetchone()
            conn.close()
            if stored >= lines:
                return time.monotonic() - started
        except sqlite3.OperationalError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"only {stored} of {lines} lines stored after {timeout}s")


def print_profile(profile: dict, top: int = 15) -> None:
    nodes = {n["id"]: n for n in profile["nodes"]}
    self_us: dict[str, float] = {}  # a sample's time delta counted as its function's self time (approximate)
    for sample, delta in zip(profile["samples"], profile["timeDeltas"]):
        frame = nodes[sample]["callFrame"]
        name = f"{frame['functionName'] or '(anonymous)'} {frame['url'].rsplit('/', 1)[-1]}:{frame['lineNumber']}"
        self_us[name] = self_us.get(name, 0) + delta
    for name, us in sorted(self_us.items(), key=lambda kv: -kv[1])[:top]:
        print(f"  {us / 1000:8.1f} ms  {name}")


def frame_figures(gaps: list[float]) -> dict:
    dropped = sum(max(round(g / FRAME_MS) - 1, 0) for g in gaps)
    return {"frames": len(gaps), "median ms": round(percentile(gaps, 50), 1), "p95 ms": round(percentile(gaps, 95), 1),
            "p99 ms": round(percentile(gaps, 99), 1), "max ms": round(max(gaps), 1), "dropped frames": dropped,
            "dropped %": round(100 * dropped / (len(gaps) + dropped), 1)}


def browse(port: int, lines: int, seconds: float) -> dict:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        page.set_default_timeout(60_000)
        page.goto(f"http://127.0.0.1:{port}/")
        page.fill("#id_username", USER)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("[data-testid=log-row]")
        loaded = lambda: int(page.get_attribute("[data-testid=log-rows]", "data-count") or 0)  # noqa: E731
        scroller = page.locator("[data-testid=log-scroll]")
        started, last_report = time.monotonic(), time.monotonic()
        while loaded() < lines:
            scroller.evaluate("e => { e.scrollTop = e.scrollHeight; }")
            page.wait_for_timeout(20)  # let the page fetch and render; polling, not synchronisation
            if time.monotonic() - last_report > 5:
                last_report = time.monotonic()
                print(f"  {loaded():>7,} rows loaded after {last_report - started:4.0f}s", flush=True)
            if time.monotonic() - started > 900:
                raise RuntimeError(f"only {loaded()} rows loaded after 15 minutes")
        load_seconds, count = time.monotonic() - started, loaded()
        page.wait_for_selector("[data-testid=end-of-results], [data-testid=trimmed-note]", state="attached")
        heap = page.evaluate("() => performance.memory ? performance.memory.usedJSHeapSize : null")
        # Warm up, then scroll down through the list from the top, then from the middle.
        cdp = page.context.new_cdp_session(page)
        cdp.send("Performance.enable")

        def measured() -> dict:
            """The frame intervals, and where the main thread's time went (Chrome's counters, ms a frame)."""
            before = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
            part = page.evaluate(MEASURE, [seconds * 1000, SCROLL_PX_PER_FRAME])
            after = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
            frames = max(len(part["gaps"]), 1)
            part["main thread ms/frame"] = {name.removesuffix("Duration").lower(): round(
                (after[name] - before[name]) * 1000 / frames, 2) for name in
                ("ScriptDuration", "LayoutDuration", "RecalcStyleDuration", "TaskDuration")}
            return part

        scroller.evaluate("e => { e.scrollTop = 0; }")
        page.evaluate(MEASURE, [500, SCROLL_PX_PER_FRAME])
        if os.environ.get("BENCH_JS_PROFILE"):  # where the script time goes: top functions by self time
            cdp.send("Profiler.enable")
            cdp.send("Profiler.start")
            page.evaluate(MEASURE, [2000, SCROLL_PX_PER_FRAME])
            print_profile(cdp.send("Profiler.stop")["profile"])
            scroller.evaluate("e => { e.scrollTop = 0; }")
        from_top = measured()
        scroller.evaluate("e => { e.scrollTop = e.scrollHeight / 2; }")
        middle = measured()
        browser.close()
    return {"rows loaded": count, "load seconds": load_seconds, "heap": heap, "from_top": from_top, "middle": middle}


def run(*, lines: int = 100_000, seconds: float = 5) -> dict:
    if not (ROOT / "frontend" / "dist" / "index.html").exists():
        raise SystemExit("build the dashboard first: cd frontend && npm run build")
    data_dir = Path(tempfile.mkdtemp(prefix="devlogs-bench-scroll-"))
    env = server_env(data_dir)
    key = prepare(env)
    make_user(env)
    server, port = start_server(env, data_dir / "server.log")
    try:
        print(f"dashboard-scroll: sending {lines:,} lines", flush=True)
        send_seconds = send(port, key, lines)
        store_seconds = wait_stored(data_dir / "devlogs.sqlite3", lines)
        print(f"  sent in {send_seconds:.1f}s, all stored {store_seconds:.1f}s later; opening Chromium", flush=True)
        result = browse(port, lines, seconds)
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)
    rows = []
    for name in ("from_top", "middle"):
        part = result[name]
        rows.append({"scroll": f"{name.replace('_', ' ')}, {SCROLL_PX_PER_FRAME} px/frame, {seconds:g}s",
                     **frame_figures(part["gaps"]), "rows in DOM": part["rendered"]})
        print(f"{name}: main thread ms per frame {part['main thread ms/frame']}")
    print()
    print(f"lines: {lines:,} sent in {send_seconds:.1f}s; {lines:,} rows loaded into the list by scrolling in "
          f"{result['load seconds']:.1f}s ({lines // 500} pages of 500)")
    if result["heap"]:
        print(f"JS heap after loading: {result['heap'] / 1e6:.0f} MB")
    print(table(rows))
    return {"lines": lines, "send_seconds": send_seconds, "load_seconds": result["load seconds"], "rows": rows}


def main(args) -> None:
    run(lines=args.lines or 100_000, seconds=args.seconds or 5)
