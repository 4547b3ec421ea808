"""What the figures came from: CPU, cores, memory, versions, and the database's durability settings."""

import os
import platform
import subprocess
import sys
from pathlib import Path

from bench.common import ROOT


def _cpuinfo(field: str) -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith(field):
            return line.split(":", 1)[1].strip()
    return "?"


def _run(*cmd) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=10, cwd=ROOT).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def describe(database_url: str | None = None) -> dict:
    import confluent_kafka
    import django

    mem_kb = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal")))
    jars = sorted(p.name for p in (ROOT / "deploy/kafka/target/lib").glob("kafka_2.13-*.jar"))
    os_release = dict(line.split("=", 1) for line in Path("/etc/os-release").read_text().splitlines() if "=" in line)
    info = {
        "cpu": _cpuinfo("model name"), "cores": os.cpu_count(), "ram_gib": round(mem_kb / 1024 / 1024, 1),
        "os": os_release.get("PRETTY_NAME", "").strip('"'), "kernel": platform.release(),
        "python": sys.version.split()[0], "django": django.get_version(),
        "librdkafka": confluent_kafka.libversion()[0],
        "kafka": jars[0].removeprefix("kafka_2.13-").removesuffix(".jar") if jars else "?",
        "redis": _run("redis-server", "--version").split(" v=")[-1].split()[0] if _run("redis-server", "--version")
        else "?",
        "git_commit": _run("git", "rev-parse", "--short", "HEAD"),
        "git_dirty": bool(_run("git", "status", "--porcelain", "--untracked-files=no")),
    }
    if database_url:
        import psycopg

        with psycopg.connect(database_url.replace("postgres://", "postgresql://")) as conn:
            info["postgres"] = conn.execute("SHOW server_version").fetchone()[0]
            info["postgres_settings"] = {name: conn.execute(f"SHOW {name}").fetchone()[0] for name in (
                "fsync", "synchronous_commit", "full_page_writes", "shared_buffers", "work_mem",
                "max_wal_size", "gin_pending_list_limit")}
    return info
