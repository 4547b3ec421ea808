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


def make_body(lines_per_request: int, seed: int = 1, target_bytes: int = 200) -> bytes:
    rng = random.Random(seed)
    return orjson.dumps([make_line(rng, i, target_bytes) for i in range(lines_per_request)])


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
    columns = list(rows[0])
    widths = [max(len(str(c)), *(len(str(r[c])) for r in rows)) for c in columns]
    lines = [" | ".join(str(c).ljust(w) for c, w in zip(columns, widths)),
             "-|-".join("-" * w for w in widths)]
    lines += [" | ".join(str(r[c]).ljust(w) for c, w in zip(columns, widths)) for r in rows]
    return "\n".join(lines)


def truncate_logs() -> None:
    """Empty the log table (after django_setup)."""
    from django.db import connection

    from logs.models import LogEntry

    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {LogEntry._meta.db_table}")


def count_logs() -> int:
    from django.db import connection

    from logs.models import LogEntry

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {LogEntry._meta.db_table}")
        return cursor.fetchone()[0]
