"""Compressed bodies that inflate a thousandfold, sent at once to the embedded server.

Each of CLIENTS clients posts one gzip body of ~45 KB that inflates to ~45 MB (just under
DEVLOGS_MAX_DECOMPRESSED_BYTES), and posts it again after `Retry-After` when refused, until
every body has an answer other than 503. Two shapes: `lines`, 10,000 valid lines of ~4.5 KB
(accepted and stored), and `bomb`, one 45 MB message (inflated, then refused as too long). The
server's peak RSS (VmHWM) against its idle RSS answers the reliability issue's bound (within
300 MB of idle), and the first round's answers show whether the budget served anyone or
refused everyone.
"""

import concurrent.futures
import gzip
import http.client
import shutil
import tempfile
import threading
import time
from pathlib import Path

import orjson

from bench.common import rss_mb, start_server, table
from bench.embedded import prepare, server_env

CLIENTS = 16
INFLATED_BYTES = 45 * 1000 * 1000


def bodies() -> dict[str, bytes]:
    lines = [{"message": f"{i:08d} " + "payload " * 560, "level": "info"} for i in range(10_000)]
    return {"lines": gzip.compress(orjson.dumps(lines), 9),
            "bomb": gzip.compress(b'[{"message": "' + b"A" * (INFLATED_BYTES - 20) + b'"}]', 9)}


def _vm_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) / 1024 for line in f if line.startswith("VmRSS:"))


def _post(port: int, key: str, body: bytes, start: threading.Barrier) -> dict:
    """Post until the answer is not a 503; the first answer and the number of tries."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json", "Content-Encoding": "gzip"}
    start.wait(timeout=60)
    first, tries, began = None, 0, time.monotonic()
    while True:
        tries += 1
        conn.request("POST", "/api/v1/logs", body=body, headers=headers)
        response = conn.getresponse()
        data = orjson.loads(response.read() or b"{}")
        first = first or response.status
        if response.status != 503:
            conn.close()
            return {"first": first, "final": response.status, "tries": tries, "accepted": data.get("accepted", 0),
                    "seconds": time.monotonic() - began}
        time.sleep(float(response.getheader("Retry-After") or 1))  # the server's own instruction


def run_shape(shape: str, body: bytes, budget: int | None) -> dict:
    data_dir = Path(tempfile.mkdtemp(prefix="devlogs-bench-hostile-"))
    env = {**server_env(data_dir), "DEVLOGS_MAX_DECOMPRESSED_BYTES": str(50 * 1024 * 1024)}
    if budget is not None:
        env["DEVLOGS_INFLATE_BUDGET_BYTES"] = str(budget)
    key = prepare(env)
    server, port = start_server(env, data_dir / "server.log")
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", "/healthz")
        conn.getresponse().read()
        idle = _vm_rss_mb(server.pid)
        start = threading.Barrier(CLIENTS)
        with concurrent.futures.ThreadPoolExecutor(CLIENTS) as pool:
            results = list(pool.map(lambda _: _post(port, key, body, start), range(CLIENTS)))
        conn.request("GET", "/healthz")
        still_serving = conn.getresponse().status == 200
        peak = rss_mb(server.pid)
        return {"shape": shape, "budget MiB": (budget or 64 * 1024 * 1024) // (1024 * 1024),
                "body KB": round(len(body) / 1000), "idle MB": round(idle), "peak MB": round(peak),
                "peak - idle MB": round(peak - idle),
                "first round served": sum(r["first"] != 503 for r in results),
                "final statuses": sorted({r["final"] for r in results}),
                "lines accepted": sum(r["accepted"] for r in results),
                "max tries": max(r["tries"] for r in results),
                "last answer s": round(max(r["seconds"] for r in results), 1),
                "still serving": still_serving}
    finally:
        server.terminate()
        server.wait(timeout=60)
        shutil.rmtree(data_dir, ignore_errors=True)


def run(budgets: tuple = (None,)) -> dict:
    rows = [run_shape(shape, body, budget) for budget in budgets for shape, body in bodies().items()]
    print(table(rows), flush=True)
    return {"rows": rows}
