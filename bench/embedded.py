"""The embedded default at full speed: one daphne process holding ingest, the SQLite queue, the
processor thread and the SQLite database, with no PostgreSQL, Kafka or Redis.

Four keep-alive senders post 1,000-line requests of ~270-byte lines as fast as the server
answers. Every line carries a unique `request_id=req-<16 hex>`, so that at the end one search
must find exactly one line. A reader polls the database file (read-only) until every accepted
line is stored: "queryable lines/s" is accepted lines over the time from the first send until
then. The server's CPU (everything, since it is one process), its peak RSS, the data dir's size
and four standard queries over the loaded data are reported; `--profile` adds py-spy's view of
the server while it ingests.

`--store clickhouse` measures the same server with the log store on chDB (ClickHouse in the server
process, CLICKHOUSE_URL=chdb://<data dir>/clickhouse); SQLite then holds only tenants, keys and the
queue. chDB lets one process open its directory, so lines stored are counted through the server's
API (a histogram over everything, summed; the polls are the server's work too, and reported), not
from the files. "disk bytes/line" is then that directory's size once the server has stopped, which
still holds the parts merged away (a running ClickHouse deletes them later, a stopped one leaves
them); "database bytes/line (active parts)" is the live parts' size, from chDB's system.parts once
the server is gone.
"""

import http.client
import itertools
import json
import os
import re
import shutil
import signal
import sqlite3
import stat
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from pathlib import Path

import orjson

from bench.common import ROOT, make_lines, rss_mb, start_server, table
from bench.services import cpu_seconds

LINES_PER_REQUEST = 1000
SENDERS = 4
# Anything that would move the server off its embedded defaults.
FOREIGN_ENV = ("DATABASE_URL", "DEVLOGS_QUEUE", "DEVLOGS_QUEUE_PATH", "DEVLOGS_PROCESSOR_IN_SERVER",
               "DEVLOGS_CHANNEL_LAYER", "DEVLOGS_CHANNEL_LAYER_PREFIX", "KAFKA_BOOTSTRAP_SERVERS",
               "DEVLOGS_STORE", "CLICKHOUSE_URL", "CLICKHOUSE_DATABASE", "CLICKHOUSE_CLUSTER")
STORES = ("sql", "clickhouse")
CHDB_DIR = "clickhouse"  # under the data dir
# Every line the benchmark's key can read: one bucket per 366 days (the API's longest interval).
COUNT_QUERY = ("/api/v1/logs/histogram", {"since": "2000-01-01T00:00:00Z", "interval": str(366 * 86400)})
# A multiplier mod 2^64 is a bijection: unique ids that do not look sequential, one multiply a line.
SPREAD, MASK = 0x9E3779B97F4A7C15, (1 << 64) - 1
QUERIES = {
    "request id": ("/api/v1/logs", {}),  # q filled in with an accepted line's id
    "errors last hour": ("/api/v1/logs/histogram", {"q": "level:error", "interval": "3600"}),
    "levels per minute last hour": ("/api/v1/logs/histogram", {"interval": "60"}),
    "newest 100 of one service": ("/api/v1/logs", {"q": "service:api", "limit": "100"}),
}


def request_id(n: int) -> str:
    return f"req-{(n * SPREAD) & MASK:016x}"


def templates(chunks: int = 8) -> tuple[list[bytes], float]:
    """Request bodies with a `%016x` slot for each line's id: a body is then one `%` away.
    make_line's 250-byte target plus the 16-hex id comes to ~270 bytes of JSON a line."""
    pool = make_lines(LINES_PER_REQUEST * chunks, target_bytes=250, seed=7)
    for line in pool:
        line["message"] = re.sub(r"request_id=\w+", "request_id=req-REQID", line["message"])
    bodies = [orjson.dumps(pool[i:i + LINES_PER_REQUEST]).replace(b"%", b"%%").replace(b"REQID", b"%016x")
              for i in range(0, len(pool), LINES_PER_REQUEST)]
    line_bytes = (sum(len(b) for b in bodies) + len(pool) * 11) / len(pool)  # "%016x" → 16 hex digits
    return bodies, line_bytes


def body(bodies: list[bytes], n: int) -> bytes:
    first = n * LINES_PER_REQUEST
    return bodies[n % len(bodies)] % tuple((i * SPREAD) & MASK for i in range(first, first + LINES_PER_REQUEST))


def server_env(data_dir: Path, store: str = "sql") -> dict:
    env = {k: v for k, v in os.environ.items() if k not in FOREIGN_ENV}
    # Set even for sql (its default): start_server lays these over the caller's environment.
    stored_in = {"DEVLOGS_STORE": store}
    if store == "clickhouse":
        stored_in["CLICKHOUSE_URL"] = f"chdb://{data_dir / CHDB_DIR}"
    return {**env, "DEVLOGS_DATA_DIR": str(data_dir), "DEVLOGS_PRODUCTION": "false", "LOG_LEVEL": "WARNING",
            **stored_in}


def prepare(env: dict) -> str:
    """Migrate the fresh data dir and return a raw ingest+read key (in a child: its own Django)."""
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--no-input", "-v0"], cwd=ROOT, env=env, check=True)
    code = ("from accounts.keys import create_api_key_for_slugs as c; "
            "print(c(tenant_slug='bench', app_slug='embedded', scopes='ingest,read')[1])")
    out = subprocess.run([*manage, "shell", "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1]


def _sender(port, key, bodies, requests, counter, stats, accepted_requests):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    while (n := next(counter)) < requests:  # next() on a shared count is atomic under the GIL
        try:
            conn.request("POST", "/api/v1/logs", body=body(bodies, n), headers=headers)
            response = conn.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            stats["errors"] += 1
            continue
        if response.status == 202:
            stats["accepted"] += LINES_PER_REQUEST
            accepted_requests.append(n)
        else:
            stats["non_202"] += 1
            stats["statuses"][response.status] += 1
    conn.close()


class Poller:
    """Lines stored, from the database file, every 0.2 s. max(id) is an index probe; count(*)
    scans the table (tens of ms at millions of rows, on the cores the server needs), so it only
    confirms once max(id) says everything may be there."""

    def __init__(self, path: Path):
        self.path, self.stored, self.seen_at = path, 0, None
        self.stop = threading.Event()

    def _connect(self):
        while not self.stop.is_set():
            try:
                return sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=5)
            except sqlite3.OperationalError:
                time.sleep(0.2)

    def watch(self, target: list[int | None]):
        conn = self._connect()
        while conn and not self.stop.wait(0.2):
            try:
                (top,) = conn.execute("SELECT coalesce(max(id), 0) FROM logs_logentry").fetchone()
                if target[0] is not None and top >= target[0]:
                    (self.stored,) = conn.execute("SELECT count(*) FROM logs_logentry").fetchone()
                    if self.stored >= target[0]:
                        self.seen_at = time.monotonic()
                        break
                else:
                    self.stored = top
            except sqlite3.OperationalError:  # busy: try again on the next tick
                continue
        if conn:
            conn.close()


class ApiPoller:
    """Lines stored, through the server's API, every 0.2 s (chDB: no other process may open the
    store). Each poll is a request the server answers, so it costs server CPU; the polls and their
    timings are reported alongside."""

    def __init__(self, port: int, key: str):
        self.port, self.key, self.stored, self.seen_at = port, key, 0, None
        self.stop = threading.Event()
        self.polls, self.poll_ms, self.failed = 0, [], 0

    def watch(self, target: list[int | None]):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        while not self.stop.wait(0.2):
            try:
                ms, stored = count_stored(conn, self.key)
            except (OSError, http.client.HTTPException, RuntimeError):  # busy or refused: the next tick
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
                self.failed += 1
                continue
            self.polls += 1
            self.poll_ms.append(ms)
            self.stored = stored
            if target[0] is not None and stored >= target[0]:
                self.seen_at = time.monotonic()
                break
        conn.close()

    def figures(self) -> dict:
        return {"count polls": self.polls, "count polls failed": self.failed,
                "count poll median ms": round(statistics.median(self.poll_ms), 1) if self.poll_ms else None,
                "count poll max ms": round(max(self.poll_ms), 1) if self.poll_ms else None}


def count_stored(conn, key) -> tuple[float, int]:
    """(ms, lines the key can read): the histogram's buckets summed."""
    ms, data = _get(conn, key, *COUNT_QUERY)
    return ms, sum(b["count"] for b in data["buckets"])


def poll_cost(pid: int, port: int, key: str, polls: int = 10) -> float:
    """Server CPU-seconds per count poll, the server otherwise idle."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    count_stored(conn, key)
    cpu0 = cpu_seconds(pid)
    for _ in range(polls):
        count_stored(conn, key)
    conn.close()
    return (cpu_seconds(pid) - cpu0) / polls


def _get(conn, key, path, params) -> tuple[float, dict]:
    started = time.perf_counter()
    conn.request("GET", f"{path}?{urllib.parse.urlencode(params)}", headers={"Authorization": f"Bearer {key}"})
    response = conn.getresponse()
    data = response.read()
    elapsed = (time.perf_counter() - started) * 1000
    if response.status != 200:
        raise RuntimeError(f"GET {path} {params}: {response.status} {data[:300]!r}")
    return elapsed, orjson.loads(data)


def run_queries(port, key, wanted_id: str, runs: int = 5) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    figures = {}
    for name, (path, params) in QUERIES.items():
        params = {"q": wanted_id, **params} if name == "request id" else params
        times = []
        for _ in range(runs):
            ms, data = _get(conn, key, path, params)
            times.append(ms)
        # Results: lines for a search; for a histogram, buckets and the lines they count.
        results = len(data["results"]) if "results" in data else len(data["buckets"])
        figures[name] = {"median ms": round(statistics.median(times), 1), "max ms": round(max(times), 1),
                         "results": results}
        if "buckets" in data:
            figures[name]["lines counted"] = sum(b["count"] for b in data["buckets"])
    conn.close()
    return figures


def data_files(data_dir: Path) -> dict[str, int]:
    return {p.name: p.stat().st_size for p in sorted(data_dir.iterdir()) if p.name.startswith(("devlogs.", "queue."))}


def tree_bytes(root: Path) -> int:
    """Bytes of the regular files under root (symlinks neither counted nor followed: chDB's data/
    links into store/)."""
    total = 0
    for folder, _, names in os.walk(root):
        for name in names:
            try:
                st = os.lstat(os.path.join(folder, name))
            except FileNotFoundError:  # a part merged away while the server runs
                continue
            if stat.S_ISREG(st.st_mode):
                total += st.st_size
    return total


CHDB_PARTS = """
import json, sys
import chdb
conn = chdb.connect(sys.argv[1])
cur = conn.cursor()
cur.execute("SELECT count(), sum(rows), sum(bytes_on_disk) FROM system.parts "
            "WHERE database = 'devlogs' AND table = 'log_lines' AND active")
print(json.dumps([int(v) for v in cur.fetchall()[0]]))
conn.close()
"""


def chdb_parts(path: Path, dir_bytes: int) -> dict:
    """The log table's live (active) parts, from chDB's system.parts. The directory also holds parts
    merged away, which a running ClickHouse deletes a little later but a stopped one leaves: counted
    here as the directory's other bytes (system.parts lists such parts only once it has loaded them,
    which it does in the background). Opened in a child (one directory per process), server stopped."""
    out = subprocess.run([sys.executable, "-c", CHDB_PARTS, str(path)], cwd=ROOT, check=True, capture_output=True,
                         text=True, timeout=120)
    parts, lines, size = orjson.loads(out.stdout.splitlines()[-1])
    return {"active parts": parts, "active rows": lines, "active bytes": size,
            "other bytes (merged-away parts, metadata)": dir_bytes - size}


def store_files(data_dir: Path, store: str) -> dict[str, int]:
    """The data dir's files; with chDB, its directory as one entry."""
    files = data_files(data_dir)
    if store == "clickhouse":
        files[CHDB_DIR + "/"] = tree_bytes(data_dir / CHDB_DIR)
    return files


def _checkpoint(data_dir: Path) -> None:
    for name in ("devlogs.sqlite3", "queue.sqlite3"):
        with sqlite3.connect(data_dir / name, timeout=30) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()


def profile_top(raw: Path, rate: int, top: int = 25) -> dict:
    """py-spy's collapsed stacks (`thread;frame;...;leaf count`): own time per function (the leaf,
    line numbers dropped) and samples per thread."""
    own, threads, total = Counter(), Counter(), 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames, count = stack.split(";"), int(count)
        total += count
        own[re.sub(r":\d+\)$", ")", frames[-1]).replace(str(ROOT) + "/", "")] += count
        thread = next((f for f in frames if f.startswith("thread")), "?")
        # Sync views run on asgiref's executor threads, named per pool: one group for them all.
        name = re.sub(r"ThreadPoolExecutor-\d+_\d+", "sync views", re.sub(r"^thread \(\w+\):? ?", "", thread))
        threads[re.sub(r"^Thread-\d+", "Thread-*", name) or "unnamed"] += count
    # Not CPU time: py-spy counts a thread waiting for the GIL as busy.
    return {"samples": total, "thread-seconds sampled": round(total / rate, 1),
            "by thread %": {t: round(100 * c / max(total, 1), 1) for t, c in threads.most_common()},
            "own %": [{"function": f.split("site-packages/")[-1], "%": round(100 * c / max(total, 1), 1)}
                      for f, c in own.most_common(top)]}


def run_once(*, lines: int, profile: bool = False, keep: bool = False, store: str = "sql") -> dict:
    if store not in STORES:
        raise ValueError(f"store must be one of {STORES}, not {store!r}")
    requests = max(lines // LINES_PER_REQUEST, 1)
    data_dir = Path(tempfile.mkdtemp(prefix="devlogs-bench-embedded-"))
    env = server_env(data_dir, store)
    key = prepare(env)  # migrate and shell only: neither opens the log store
    bodies, line_bytes = templates()
    load_before = os.getloadavg()
    server, port = start_server(env, data_dir / "server.log")
    print(f"embedded ({store} store): {requests * LINES_PER_REQUEST:,} lines, {SENDERS} senders, "
          f"data in {data_dir}", flush=True)
    spy = None
    try:
        stats, accepted_requests = {"accepted": 0, "non_202": 0, "errors": 0, "statuses": Counter()}, []
        counter, target = itertools.count(), [None]
        poller = Poller(data_dir / "devlogs.sqlite3") if store == "sql" else ApiPoller(port, key)
        watcher = threading.Thread(target=poller.watch, args=(target,), daemon=True)
        senders = [threading.Thread(target=_sender, args=(port, key, bodies, requests, counter, stats,
                                                          accepted_requests)) for _ in range(SENDERS)]
        if profile:
            raw = data_dir / "profile.txt"
            spy = subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(server.pid),
                                    "--rate", "100", "--threads", "--nonblocking", "--format", "raw",
                                    "--output", str(raw)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            time.sleep(1)  # py-spy attaches
        cpu0, client0, started = cpu_seconds(server.pid), time.process_time(), time.monotonic()
        watcher.start()
        for t in senders:
            t.start()
        for t in senders:
            while t.is_alive():
                t.join(5)
                print(f"  t={time.monotonic() - started:5.0f}s accepted={stats['accepted']:>9} "
                      f"stored={poller.stored:>9}", flush=True)
        send_seconds = time.monotonic() - started
        client_cpu = time.process_time() - client0
        if spy:
            spy.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
            spy.wait(timeout=60)
        accepted = stats["accepted"]
        target[0] = accepted
        # Drain: give up only when nothing more is stored for a minute.
        last, progress_at = -1, time.monotonic()
        while watcher.is_alive() and time.monotonic() - progress_at < 60:
            watcher.join(1)
            if poller.stored != last:
                last, progress_at = poller.stored, time.monotonic()
        poller.stop.set()
        drained = poller.seen_at is not None
        queryable_seconds = (poller.seen_at or time.monotonic()) - started
        server_cpu = cpu_seconds(server.pid) - cpu0
        files = store_files(data_dir, store)
        if store == "sql":
            with sqlite3.connect(f"file:{data_dir / 'devlogs.sqlite3'}?mode=ro", uri=True) as conn:
                (stored,) = conn.execute("SELECT count(*) FROM logs_logentry").fetchone()
            conn.close()
        else:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
            _, stored = count_stored(conn, key)
            conn.close()
        n = accepted_requests[len(accepted_requests) // 2] * LINES_PER_REQUEST + LINES_PER_REQUEST // 2
        queries = run_queries(port, key, request_id(n))
        if store == "clickhouse":  # what one count poll costs the server, on the full table: an upper bound
            poll_cpu = poll_cost(server.pid, port, key)
        peak_rss = rss_mb(server.pid)
    finally:
        if spy and spy.poll() is None:
            spy.kill()
        server.terminate()
        server.wait(timeout=60)
    try:
        # With chDB, the SQLite files are Django's database (tenants, keys) and the queue: folded
        # in the same way, and the chDB directory measured now that its one process has stopped.
        _checkpoint(data_dir)
        checkpointed = store_files(data_dir, store)
    except sqlite3.Error as exc:
        print(f"checkpoint failed: {exc}", flush=True)
        checkpointed = None
    # The log database alone: the SQLite file, or chDB's directory.
    database = "devlogs.sqlite3" if store == "sql" else CHDB_DIR + "/"
    if store == "sql":
        disk = sum(files.values())
    else:  # the chDB directory after the server stopped
        disk = checkpointed[database] if checkpointed else tree_bytes(data_dir / CHDB_DIR)
    result = {
        "store": store,
        "lines": requests * LINES_PER_REQUEST, "bytes/line (JSON)": round(line_bytes),
        "senders": SENDERS, "lines/request": LINES_PER_REQUEST, "load average before": round(load_before[0], 2),
        "send seconds": round(send_seconds, 1), "accepted lines/s": round(accepted / send_seconds),
        "non-202": stats["non_202"], "errors": stats["errors"],
        "drained": drained, "queryable seconds": round(queryable_seconds, 1),
        "queryable lines/s": round(accepted / queryable_seconds) if drained else None,
        "accepted": accepted, "stored": stored,
        "lost": max(accepted - stored, 0), "doubled": max(stored - accepted, 0),
        # Send + drain: the server is one process, so this is ingest, queue, processor and SQLite.
        "server CPU-s per million lines": round(server_cpu / max(accepted, 1) * 1e6, 1),
        "server CPU cores": round(server_cpu / queryable_seconds, 2),
        "load generator CPU-s per million lines": round(client_cpu / max(accepted, 1) * 1e6, 1),
        "server peak RSS MB": round(peak_rss),
        # sql: every file of the data dir as the server left them; clickhouse: chDB's directory, server stopped.
        "disk bytes/line": round(disk / max(stored, 1)),
        "disk bytes/line (checkpointed)": round(sum(checkpointed.values()) / max(stored, 1)) if checkpointed else None,
        # The queue file keeps its high-water mark (deleted messages leave free pages): the log database alone.
        "database bytes/line (checkpointed)": round(checkpointed[database] / max(stored, 1))
        if checkpointed else None,
        "files": files, "files (checkpointed)": checkpointed,
        "queries": queries,
    }
    if stats["statuses"]:  # what the non-202 answers were
        result["non-202 statuses"] = {str(k): v for k, v in sorted(stats["statuses"].items())}
    if store == "clickhouse":
        result.update(poller.figures())
        result["count poll server CPU ms (idle, full table)"] = round(poll_cpu * 1000, 1)
        # The polls are in "server CPU-s per million lines": about this much of it.
        result["count polls' share of server CPU %"] = round(100 * poller.polls * poll_cpu / max(server_cpu, 1e-9), 1)
        try:
            parts = chdb_parts(data_dir / CHDB_DIR, disk)
            result["database bytes/line (active parts)"] = round(parts["active bytes"] / max(stored, 1))
            result["chdb parts"] = parts
        except (subprocess.SubprocessError, ValueError, TypeError, IndexError) as exc:
            print(f"reading chDB's parts failed: {exc}", flush=True)
            result["database bytes/line (active parts)"] = None
    if profile:
        result["profile"] = {"file": str(raw), **profile_top(raw, 100)} if raw.exists() else {
            "error": spy.stderr.read().decode()[-500:]}
    if not keep:
        shutil.rmtree(data_dir, ignore_errors=True)
        result.get("profile", {}).pop("file", None)
    print(json.dumps({k: v for k, v in result.items() if k != "profile"}), flush=True)
    if result.get("profile", {}).get("own %"):
        print(f"profile, by thread %: {result['profile']['by thread %']}")
        print(table(result["profile"]["own %"]), flush=True)
    found = queries["request id"]["results"]
    if found != 1:
        raise AssertionError(f"the request id {request_id(n)} found {found} lines, not exactly 1")
    return result


def _flat(result: dict) -> dict:
    flat = {k: v for k, v in result.items() if not isinstance(v, (dict, list))}
    for name, q in result["queries"].items():
        flat[f"{name} median ms"], flat[f"{name} max ms"], flat[f"{name} results"] = (
            q["median ms"], q["max ms"], q["results"])
        if "lines counted" in q:
            flat[f"{name} lines counted"] = q["lines counted"]
    for name, value in (result.get("chdb parts") or {}).items():
        flat[f"chdb {name}"] = value
    return flat


def figures_table(section: dict) -> str:
    """Figures down, runs across: readable however many runs."""
    runs = [_flat(r) for r in section["runs"]]
    names = list(dict.fromkeys(k for r in runs for k in r))
    columns = {f"run {i + 1}": r for i, r in enumerate(runs)}
    if len(runs) > 1:
        columns["median"] = section["median"]
    return table([{"figure": n, **{c: r.get(n) for c, r in columns.items()}} for n in names])


def run(*, lines: int, runs: int = 1, profile: bool = False, keep: bool = False, store: str = "sql") -> dict:
    results = [run_once(lines=lines, profile=profile, keep=keep, store=store) for _ in range(runs)]
    flats = [_flat(r) for r in results]
    median = {}
    for name, first in flats[0].items():
        values = [f.get(name) for f in flats]
        if isinstance(first, bool):  # "drained": only when every run drained
            median[name] = all(values)
        elif all(isinstance(v, (int, float)) for v in values):
            median[name] = round(statistics.median(values), 1)
    median["store"] = store
    section = {"store": store, "median": median, "runs": results}
    print(figures_table(section), flush=True)
    return section
