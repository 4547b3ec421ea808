"""Shared pieces of the benchmarks: a realistic workload, servers, Django set-up."""

import os
import random
import socket
import subprocess
import sys
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ["web", "api", "billing", "search", "worker", "auth"]
HOSTS = [f"web-{i}" for i in range(1, 9)]
LEVELS = ["debug"] * 2 + ["info"] * 12 + ["warn"] * 3 + ["error"] * 2 + ["fatal"]
PATHS = ["/api/orders", "/api/users/me", "/checkout", "/search", "/login", "/api/cart/items"]

# The benchmarks speak plain HTTP to local servers, as the tests do (pytest.ini): without this,
# DATABASE_URL would switch on the production posture (HTTPS redirects, required SECRET_KEY).
os.environ.setdefault("DEVLOGS_PRODUCTION", "false")


def django_setup(**env) -> None:
    os.environ.update({k: str(v) for k, v in env.items()})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "devlogs.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def make_line(rng: random.Random, i: int, target_bytes: int = 200) -> dict:
    path = rng.choice(PATHS)
    status = rng.choice([200] * 20 + [201, 204, 301, 404, 500, 503])
    message = f"{rng.choice(['GET', 'POST', 'PUT'])} {path} {status} in {rng.randint(1, 900)}ms request_id={i:08x}"
    if len(message) < target_bytes - 120:
        message += " " + "".join(rng.choice("abcdefghijklmnopqrstuvwxyz ") for _ in range(target_bytes - 120 - len(message)))
    return {"message": message, "level": rng.choice(LEVELS), "service": rng.choice(SERVICES), "host": rng.choice(HOSTS),
            "attributes": {"user_id": rng.randint(1, 50_000), "status": status, "path": path}}


def make_body(lines_per_request: int, seed: int = 1, target_bytes: int = 200, mixed: bool = False) -> bytes:
    """A request body: ~`target_bytes` lines (the targets' workload), or the issue's mix."""
    return orjson.dumps(make_lines(lines_per_request, seed=seed, mixed=mixed, target_bytes=target_bytes))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(env: dict, log_path: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    log = open(log_path, "wb")
    proc = subprocess.Popen([sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
                             "devlogs.asgi:application"], cwd=ROOT, env={**os.environ, **env}, stdout=log,
                            stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, port
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"server did not start, see {log_path}")


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def table(rows: list[dict]) -> str:
    if not rows:
        return "(no rows)"
    columns = list(dict.fromkeys(c for r in rows for c in r))  # rows may differ in their columns
    rows = [{c: r.get(c, "") for c in columns} for r in rows]
    widths = [max(len(str(c)), *(len(str(r[c])) for r in rows)) for c in columns]
    lines = [" | ".join(str(c).ljust(w) for c, w in zip(columns, widths)),
             "-|-".join("-" * w for w in widths)]
    lines += [" | ".join(str(r[c]).ljust(w) for c, w in zip(columns, widths)) for r in rows]
    return "\n".join(lines)


def truncate_logs() -> None:
    """Empty the log table and its block index (after django_setup)."""
    from django.db import connection

    from logs.models import LogEntry

    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {LogEntry._meta.db_table}")
        if connection.vendor == "postgresql":
            cursor.execute("TRUNCATE logs_tokenblock")


def count_logs() -> int:
    from django.db import connection

    from logs.models import LogEntry

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {LogEntry._meta.db_table}")
        return cursor.fetchone()[0]


def lines_written() -> int:
    """Lines written so far, cheaply, for progress polling: on PostgreSQL the block table's line
    counts (one row per batch and tenant; redelivered lines count again), elsewhere count_logs().
    A count(*) of the log table every 50 ms took a third of a core from the pipeline it measured."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return count_logs()
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(sum(lines), 0) FROM logs_tokenblock")
        return int(cursor.fetchone()[0])


# --- the mixed workload ------------------------------------------------------------------
# Lines as apps send them: mostly short, some long, a few multi-line stack traces (mostly on
# errors: ~5 % of lines), words from a small vocabulary (real logs repeat themselves, which matters to the
# trigram index), and 1–6 attributes. Message lengths run from 50 to 2,000 bytes.

WORDS = ("timeout refused reset upstream cache miss hit retry payment order user session token "
         "database query slow fast queue worker shutdown started stopped deadline connection pool "
         "request response handler invalid accepted rejected scheduled completed failed warning "
         "checkout inventory shipment invoice account profile search index render template").split()
REGIONS = ("eu-west-1", "us-east-1", "ap-south-1")
MIXED_LEVELS = ["debug"] * 10 + ["info"] * 65 + ["warn"] * 15 + ["error"] * 8 + ["fatal"] * 2
FRAMES = ("handlers/orders.py", "services/payment.py", "db/pool.py", "views/checkout.py", "tasks/email.py",
          "lib/http.py", "models/user.py", "search/index.py")


def _message_length(rng: random.Random) -> int:
    roll = rng.random()
    if roll < 0.55:
        return rng.randint(50, 200)
    if roll < 0.85:
        return rng.randint(200, 500)
    if roll < 0.97:
        return rng.randint(500, 1200)
    return rng.randint(1200, 2000)


def _words(rng: random.Random, length: int) -> str:
    parts, size = [], 0
    while size <= length:
        roll = rng.random()
        word = (rng.choice(WORDS) if roll < 0.7 else f"{rng.choice(WORDS)}={rng.randint(0, 99999)}" if roll < 0.9
                else f"id={rng.getrandbits(48):012x}")
        parts.append(word)
        size += len(word) + 1
    return " ".join(parts)[:length]


def _stack_trace(rng: random.Random, length: int) -> str:
    lines = ["Traceback (most recent call last):"]
    size = len(lines[0])
    while size < length - 80:
        frame = (f'  File "/app/{rng.choice(FRAMES)}", line {rng.randint(1, 900)}, in {rng.choice(WORDS)}\n'
                 f"    {rng.choice(WORDS)} = {rng.choice(WORDS)}({rng.choice(WORDS)})")
        lines.append(frame)
        size += len(frame) + 1
    lines.append(f"{rng.choice(['ValueError', 'TimeoutError', 'KeyError', 'ConnectionError'])}: {_words(rng, 40)}")
    return "\n".join(lines)


def make_mixed_line(rng: random.Random, i: int) -> dict:
    """One line of the issue's mix (50–2,000-byte messages, ~5 % stack traces, mixed levels, attributes)."""
    level = rng.choice(MIXED_LEVELS)
    length = _message_length(rng)
    path, status = rng.choice(PATHS), rng.choice([200] * 20 + [201, 204, 301, 404, 500, 503])
    head = f"{rng.choice(['GET', 'POST', 'PUT'])} {path} {status} in {rng.randint(1, 900)}ms"
    if rng.random() < (0.4 if level in ("error", "fatal") else 0.01):
        message = f"{head} unhandled exception\n{_stack_trace(rng, max(length, 600))}"[:2000]
    else:
        message = f"{head} {_words(rng, max(length - len(head) - 1, 1))}"
        if rng.random() < 0.0001:
            message += " kaboom"  # a rare word: the search people actually struggle with
    attributes = {"user_id": rng.randint(1, 50_000), "status": status}
    for name in rng.sample(["path", "region", "duration_ms", "request_id", "version", "retries"], rng.randint(0, 4)):
        attributes[name] = {"path": path, "region": rng.choice(REGIONS), "duration_ms": rng.randint(1, 5000),
                            "request_id": f"{rng.getrandbits(64):016x}", "version": f"1.{rng.randint(0, 40)}.0",
                            "retries": rng.randint(0, 3)}[name]
    return {"message": message, "level": level, "service": rng.choice(SERVICES), "host": rng.choice(HOSTS),
            "attributes": attributes}


def make_lines(count: int, *, seed: int = 1, mixed: bool = False, target_bytes: int = 200) -> list[dict]:
    rng = random.Random(seed)
    return [make_mixed_line(rng, i) if mixed else make_line(rng, i, target_bytes) for i in range(count)]


# --- reports ---------------------------------------------------------------------------------------

def percentile(values, q: float) -> float | None:
    """The q-th percentile (0–100) by nearest rank; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(int(round(q / 100 * len(ordered) + 0.5)) - 1, 0)
    return ordered[min(rank, len(ordered) - 1)]
