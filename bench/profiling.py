"""py-spy profiles of the ingest server and of one processor at full load.

Each profile is a speedscope file under bench/profiles/ (open it at https://www.speedscope.app
or with `npx speedscope FILE`), summarised here as the functions that take the most samples
(self) and the project's own functions by inclusive share. While py-spy samples, the CPU of
every component is measured too: a profile says where one process spends its time, the CPU
shares say which process the machine spends its time on.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

from bench.common import ROOT, count_logs, make_body, start_server, truncate_logs
from bench.kafka_pipeline import _env, _fill, _run_clients, _setup
from bench.services import CpuShare, service_pids

PROFILES = ROOT / "bench" / "profiles"
PROJECT = ("ingest/", "processing/", "logs/", "accounts/", "devlogs/", "shippers/")


def _py_spy() -> str:
    found = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(found).exists():
        raise SystemExit("py-spy is missing: .venv/bin/pip install -r bench/requirements.txt")
    return found


def record(pid: int, seconds: float, out: Path, *, idle: bool = False) -> None:
    cmd = [_py_spy(), "record", "--pid", str(pid), "--duration", str(int(seconds)), "--rate", "50", "--nonblocking",
           "--format", "speedscope", "--output", str(out)]
    if idle:
        cmd.append("--idle")
    done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode:
        raise RuntimeError(f"py-spy failed: {done.stderr.strip()[-500:]}")


def summarise(path: Path, *, thread: str | None = None, top: int = 12) -> dict:
    """Self and inclusive shares of samples per function, over all threads or the one named."""
    doc = json.loads(path.read_text())
    frames = doc["shared"]["frames"]
    self_counts, inclusive, total = Counter(), Counter(), 0
    profiles = doc["profiles"]
    if thread:
        # The named thread, or (py-spy does not always know names) the one with the most samples.
        profiles = [p for p in profiles if thread in p["name"]] or [max(profiles, key=lambda p: sum(p["weights"]))]
    for profile in profiles:
        for stack, weight in zip(profile["samples"], profile["weights"]):
            if not stack:
                continue
            total += weight
            self_counts[stack[-1]] += weight
            for index in set(stack):
                inclusive[index] += weight

    def name(index):
        frame = frames[index]
        file = frame.get("file") or ""
        short = file.split("site-packages/")[-1].replace(str(ROOT) + "/", "")
        return f"{frame['name']} ({short}:{frame.get('line', '')})"

    def share(count):
        return round(100 * count / max(total, 1), 1)

    project = [(i, c) for i, c in inclusive.most_common() if (frames[i].get("file") or "").replace(str(ROOT) + "/", "")
               .startswith(PROJECT)]
    return {"sampled seconds": round(total, 1),
            "self %": [{"function": name(i), "%": share(c)} for i, c in self_counts.most_common(top)],
            "project inclusive %": [{"function": name(i), "%": share(c)} for i, c in project[:top]]}


def profile_ingest(*, seconds: float, clients: int = 8, lines_per_request: int = 1000) -> dict:
    """The ingest server under as much load as `clients` threads make, sampled by py-spy."""
    settings = _setup(f"bench.profile.{uuid.uuid4().hex[:8]}", 12)
    from accounts.keys import create_api_key_for_slugs

    keys = [create_api_key_for_slugs(tenant_slug="bench", app_slug=f"ingest{i}", scopes="ingest")[1] for i in range(8)]
    body = make_body(lines_per_request)
    server, port = start_server(_env(settings), Path(tempfile.mktemp(suffix=".log")))
    out = PROFILES / "ingest.speedscope.json"
    result = {}
    try:
        _run_clients([port], keys, body, lines_per_request, 3, clients)  # warm-up
        load = threading.Thread(target=lambda: result.update(zip(
            ("accepted", "refused", "latencies", "elapsed"),
            _run_clients([port], keys, body, lines_per_request, seconds + 2, clients))))
        load.start()
        time.sleep(1)
        groups = {"server": [server.pid], "client": [os.getpid()], **service_pids()}
        try:
            with CpuShare(groups) as cpu:
                record(server.pid, seconds, out)
        finally:
            load.join()
    finally:
        server.terminate()
        server.wait(timeout=20)
    summary = {"file": str(out.relative_to(ROOT)), "lines/s while profiled": round(result["accepted"] / result["elapsed"]),
               "CPU cores": cpu.cores, **summarise(out)}
    print(json.dumps({"bench": "profile-ingest", **summary}), flush=True)
    return summary


def profile_processor(*, seconds: float, batch: int = 5000, mixed: bool = False, env: dict | None = None,
                      name: str = "processor") -> dict:
    """One processor draining a full topic into PostgreSQL, sampled by py-spy (waiting included)."""
    settings = _setup(f"bench.profile.{uuid.uuid4().hex[:8]}", 12)
    lines = int(seconds * 25_000) + 50_000  # more than one processor writes meanwhile
    print(f"filling the topic with {lines} lines ...", flush=True)
    _fill(settings, lines, mixed=mixed)
    truncate_logs()
    run_env = {**os.environ, **_env(settings, KAFKA_CONSUMER_GROUP=f"bench-profile-{uuid.uuid4().hex[:8]}"),
               **(env or {})}
    proc = subprocess.Popen([sys.executable, str(ROOT / "manage.py"), "run_processor", "--batch-lines", str(batch),
                             "--max-wait", "0.2"], env=run_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    out = PROFILES / f"{name}.speedscope.json"
    try:
        deadline = time.monotonic() + 120
        while count_logs() == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        before, started = count_logs(), time.monotonic()
        with CpuShare({"processor": [proc.pid], **service_pids()}) as cpu:
            record(proc.pid, seconds, out, idle=True)
        rate = (count_logs() - before) / (time.monotonic() - started)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    summary = {"file": str(out.relative_to(ROOT)), "rows/s while profiled": round(rate), "CPU cores": cpu.cores,
               **summarise(out, thread="MainThread")}
    print(json.dumps({"bench": f"profile-{name}", **summary}), flush=True)
    return summary
