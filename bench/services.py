"""The services a benchmark needs (PostgreSQL, Kafka, Redis): started through scripts/ when absent,
stopped afterwards only if this run started them. Also: which process is which, for memory.
"""

import os
import re
import socket
import subprocess
import time
from pathlib import Path

from bench.common import ROOT

PG_ADMIN_URL = "postgres://devlogs:devlogs@127.0.0.1:5432/devlogs"
KAFKA = "127.0.0.1:9092"
REDIS_URL = "redis://127.0.0.1:6379/0"


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


SERVICES = {"postgres": 5432, "kafka": 9092, "redis": 6379}


class Services:
    """Starts what is missing; `stop()` stops only what it started."""

    def __init__(self, needed=("postgres", "kafka", "redis")):
        self.needed = needed
        self.started: list[str] = []

    def __enter__(self):
        for name in self.needed:
            if not _listening(SERVICES[name]):
                print(f"starting {name} (scripts/{name}.sh start) ...", flush=True)
                subprocess.run(["bash", str(ROOT / "scripts" / f"{name}.sh"), "start"], check=True,
                               stdout=subprocess.DEVNULL)
                self.started.append(name)
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self) -> None:
        for name in reversed(self.started):
            print(f"stopping {name} (started by this run)", flush=True)
            subprocess.run(["bash", str(ROOT / "scripts" / f"{name}.sh"), "stop"], check=False,
                           stdout=subprocess.DEVNULL)
        self.started.clear()


def database_url(name: str) -> str:
    """A database of the local PostgreSQL for benchmarks, created when missing (never the tests' one)."""
    import psycopg

    with psycopg.connect(PG_ADMIN_URL.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


# --- processes, for memory ------------------------------------------------------------------------

def pid_listening(port: int) -> int | None:
    out = subprocess.run(["ss", "-Hltnp", f"sport = :{port}"], capture_output=True, text=True).stdout
    match = re.search(r"pid=(\d+)", out)
    return int(match.group(1)) if match else None


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def service_pids() -> dict[str, list[int]]:
    """PostgreSQL (postmaster and every backend), the Kafka broker, Redis."""
    pids = {}
    postmaster = pid_listening(5432)
    if postmaster:
        pids["postgres"] = [postmaster, *children(postmaster)]
    for name in ("kafka", "redis"):
        pid = pid_listening(SERVICES[name])
        if pid:
            pids[name] = [pid]
    return pids


def memory_mb(pid: int) -> dict | None:
    """RSS, peak RSS and PSS in MB (PSS shares shared memory fairly: PostgreSQL's buffers count once)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return None

    def field(text, name):
        match = re.search(rf"^{name}:\s+(\d+) kB", text, re.M)
        return int(match.group(1)) / 1024 if match else 0.0

    return {"rss": field(status, "VmRSS"), "hwm": field(status, "VmHWM"), "pss": field(rollup, "Pss")}


def group_memory_mb(pids: list[int]) -> dict:
    """Summed PSS of a group of processes (one component), with the largest single RSS and peak."""
    parts = [m for m in (memory_mb(p) for p in pids) if m]
    return {"pss": round(sum(m["pss"] for m in parts), 1), "rss": round(sum(m["rss"] for m in parts), 1),
            "peak_rss": round(max((m["hwm"] for m in parts), default=0.0), 1), "processes": len(parts)}


def refresh(groups: dict[str, list[int]]) -> dict[str, list[int]]:
    """PostgreSQL starts and ends backends all the time: re-read its children."""
    if groups.get("postgres"):
        master = groups["postgres"][0]
        groups = {**groups, "postgres": [master, *children(master)]}
    return groups



def cpu_seconds(pid: int) -> float:
    """User + system CPU time one process has consumed so far (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


class CpuShare:
    """CPU used by each component between enter and exit, in cores (1.0 = one core busy all along)."""

    def __init__(self, groups: dict[str, list[int]]):
        self.groups = groups
        self.cores: dict[str, float] = {}

    def __enter__(self):
        self.groups = refresh(self.groups)
        self.before = {pid: cpu_seconds(pid) for pids in self.groups.values() for pid in pids}
        self.started = time.monotonic()
        return self

    def __exit__(self, *exc):
        elapsed = max(time.monotonic() - self.started, 1e-9)
        # A backend that started in between counts from zero; one that ended in between is missed.
        self.cores = {name: round(sum(cpu_seconds(pid) - self.before.get(pid, 0.0) for pid in pids) / elapsed, 2)
                      for name, pids in refresh(self.groups).items()}


def machine_busy_seconds() -> float:
    """CPU time all cores of the machine have spent busy (not idle or waiting for I/O) since boot."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU-seconds each component spends over a long run whose processes come and go (PostgreSQL's
    backends): `sample(groups)` as often as convenient; a process that ended counts up to its
    last sample. Also the whole machine's busy time, and this process's own (the load generator)."""

    def __init__(self, groups: dict[str, list[int]]):
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.names: dict[int, str] = {}
        self.sample(groups)
        self.first = dict(self.last)
        self.machine0, self.self0 = machine_busy_seconds(), time.process_time()

    def sample(self, groups: dict[str, list[int]]) -> None:
        for name, pids in refresh(groups).items():
            for pid in pids:
                seconds = cpu_seconds(pid)
                if seconds:
                    self.last[pid], self.names[pid] = seconds, name

    def seconds(self) -> dict[str, float]:
        """CPU-seconds since the meter started: per component, `machine` (everything busy) and
        `load generator` (this process: senders and watchers)."""
        by_name: dict[str, float] = {}
        for pid, seconds in self.last.items():
            by_name[self.names[pid]] = by_name.get(self.names[pid], 0.0) + seconds - self.first.get(pid, 0.0)
        by_name["machine"] = machine_busy_seconds() - self.machine0
        by_name["load generator"] = time.process_time() - self.self0
        return by_name
