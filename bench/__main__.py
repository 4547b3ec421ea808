"""The benchmark harness: one entry point for the whole pipeline.

    .venv/bin/pip install -r bench/requirements.txt          # py-spy, for `profile`
    .venv/bin/python -m bench all [--quick]                  # everything, ~60 min (--quick: a few minutes)
    .venv/bin/python -m bench ingest|processor|e2e|queries|soak|profile [--quick]
    .venv/bin/python -m bench embedded [--quick] [--lines N] [--runs N] [--profile] [--keep] [--store sql|clickhouse]
    .venv/bin/python -m bench hostile                        # 16 gzip bodies of 45 KB → 45 MB at once
    .venv/bin/python -m bench clickhouse [--rows N]          # the ClickHouse store on chDB (no services)
    .venv/bin/python -m bench stores [--rows N] [--quick]    # TimescaleDB and ClickHouse, same lines, one report
    .venv/bin/python -m bench dashboard-scroll [--lines N] [--seconds S]  # the explorer's frame times at 100k rows
    .venv/bin/python -m bench queues [--queues kafka,redis-always,redis-everysec] [--runs 3] [--seconds S] [--pg]
                                                             # the queue backends side by side (bench/queues.py)

Starts PostgreSQL, Kafka and Redis through scripts/ when they are not running (and stops
what it started), runs each stage in its own process (each stage has its own Django set-up),
prints a table per stage and the targets' verdicts, and writes one JSON report with the
machine it ran on (`embedded`, the one-process SQLite default, needs none of them and is not
part of `all`): bench/results/<UTC time>.json (full runs, committed: the figures in
docs/benchmarks.md come from them), bench/results/quick/ for --quick (ignored by git).

Databases (on the local PostgreSQL, never the tests' own): `devlogs_bench` for the pipeline
stages, whose log table each stage empties; `devlogs_bench_1m` / `devlogs_bench_10m` for the
query stage, loaded once and reused while they hold the right number of rows.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from bench.common import ROOT, table
from bench.queues import BACKENDS as QUEUE_BACKENDS, DEFAULT_BACKENDS as DEFAULT_QUEUES

RESULTS = ROOT / "bench" / "results"
TARGETS = {"ingest lines/s": 60_000, "processor rows/s": 50_000, "e2e lines/s": 30_000,
           "e2e queryable p99 ms": 2_000, "query p95 ms at 10M": 200}
E2E_COLUMNS = ("offered lines/s", "seconds", "accepted lines/s", "committed lines/s (steady)", "non-202", "drained",
               "drain seconds", "lost", "doubled", "queryable p50 ms", "queryable p99 ms", "live p50 ms", "live p99 ms")
STAGES = ("ingest", "processor", "e2e", "soak", "queries", "profile", "embedded", "hostile", "clickhouse", "stores",
          "queues")


# --- stages (each runs in a child process: `python -m bench _stage NAME ...`) ---------------------

def stage_ingest(args) -> dict:
    from bench.kafka_pipeline import bench_ingest

    if args.quick:
        rows = bench_ingest(seconds=3, concurrency=[4], servers=[1], lines_per_request=[1000],
                            workloads=("200B", "mixed"))
    else:
        rows = bench_ingest(seconds=10, concurrency=[4, 8], servers=[1, 2], lines_per_request=[100, 1000],
                            workloads=("200B", "mixed"))
    return {"rows": rows}


def stage_processor(args) -> dict:
    from bench.kafka_pipeline import bench_process

    if args.quick:
        rows = bench_process(lines=60_000, processors=[1, 2], batches=[5000])
        rows += bench_process(lines=60_000, processors=[2], batches=[5000], mixed=True)
    else:
        rows = bench_process(lines=300_000, processors=[1, 2, 4], batches=[5000])
        rows += bench_process(lines=300_000, processors=[1, 2, 4], batches=[5000], mixed=True)
        rows += bench_process(lines=300_000, processors=[2], batches=[1000, 10_000], mixed=True)
    return {"rows": rows}


def stage_e2e(args) -> dict:
    from bench.e2e import run

    seconds = args.seconds or (45 if args.quick else 120)
    # A rate the pipeline cannot sustain leaves a backlog: report it rather than wait for it.
    return run(database_url=os.environ["DATABASE_URL"], rate=args.rate or (5000 if args.quick else 30_000),
               seconds=seconds, processors=2, drain_timeout=120)


def stage_soak(args) -> dict:
    from bench.e2e import run

    seconds = args.seconds or (90 if args.quick else 600)
    return run(database_url=os.environ["DATABASE_URL"], rate=args.rate or (5000 if args.quick else 30_000),
               seconds=seconds, processors=2, sample_seconds=5 if args.quick else 10)


def stage_queries(args) -> dict:
    from bench.storage import bench_queries

    rows = bench_queries(rows=args.rows, runs=5 if args.quick else 20, reuse=True, mixed=True, alternatives=False)
    return {"rows": rows}


def stage_clickhouse(args) -> dict:
    from bench.clickhouse_store import bench_clickhouse

    return {"rows": bench_clickhouse(rows=args.rows or 1_000_000, runs=5 if args.quick else 20)}


def stage_profile(args) -> dict:
    from bench.profiling import profile_ingest, profile_processor

    seconds = 8 if args.quick else 30
    return {"ingest": profile_ingest(seconds=seconds),
            "processor": profile_processor(seconds=seconds),
            "processor (mixed lines)": profile_processor(seconds=seconds, mixed=True, name="processor-mixed")}


def stage_embedded(args) -> dict:
    from bench.embedded import run

    return run(lines=args.lines or (40_000 if args.quick else 300_000), runs=args.runs or 1, profile=args.profile,
               keep=args.keep, store=args.store or "sql")


def stage_hostile(args) -> dict:
    from bench.hostile_bodies import run

    return run()


def stage_queues(args) -> dict:
    from bench.queues import run_one

    return run_one(backend=args.queue, seconds=args.seconds or (3 if args.quick else 10),
                   database_url=os.environ.get("DATABASE_URL"))


def run_stage(args) -> None:
    started = time.monotonic()
    section = globals()[f"stage_{args.stage}"](args)
    section["stage seconds"] = round(time.monotonic() - started)
    Path(args.out).write_text(json.dumps(section, default=str))


# --- the orchestrator ----------------------------------------------------------------------------

def _child(stage: str, args, database: str | None, **extra) -> dict:
    from bench.services import database_url

    out = Path(tempfile.mktemp(prefix=f"bench-{stage}-", suffix=".json"))
    cmd = [sys.executable, "-m", "bench", "_stage", stage, "--out", str(out)]
    if args.quick:
        cmd.append("--quick")
    for name, value in {"rate": args.rate, "seconds": args.seconds, **extra}.items():
        if value is True:
            cmd.append(f"--{name}")
        elif value:
            cmd += [f"--{name}", str(value)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if database:
        env["DATABASE_URL"] = database_url(database)
    else:  # the embedded stage: SQLite, whatever the caller's shell has set
        env.pop("DATABASE_URL", None)
    print(f"\n=== {stage} {' '.join(f'{k}={v}' for k, v in extra.items())} ===", flush=True)
    subprocess.run(cmd, cwd=ROOT, env=env, check=True)
    section = json.loads(out.read_text())
    out.unlink()
    return section


def _plan(what: str, args, report: dict) -> None:
    sections = report["sections"]
    if what in ("ingest", "all"):
        sections["ingest"] = _child("ingest", args, "devlogs_bench")
    if what in ("processor", "all"):
        sections["processor"] = _child("processor", args, "devlogs_bench")
    if what in ("e2e", "all"):
        sections["e2e"] = _child("e2e", args, "devlogs_bench")
    if what in ("soak", "all"):
        if what == "all" and not args.rate:
            args.rate = _sustainable_rate(sections["e2e"], args.quick)
        sections["soak"] = _child("soak", args, "devlogs_bench")
    if what in ("queries", "all"):
        sizes = [100_000] if args.quick else [1_000_000, 10_000_000]
        sections["queries"] = {"rows": []}
        for size in sizes:
            name = "devlogs_bench_quick" if args.quick else f"devlogs_bench_{size // 1_000_000}m"
            sections["queries"]["rows"] += _child("queries", args, name, rows=size)["rows"]
    if what in ("profile", "all"):
        sections["profile"] = _child("profile", args, "devlogs_bench")
    if what in ("clickhouse", "stores"):
        size = args.rows or (100_000 if args.quick else 1_000_000)
        rows = []
        if what == "stores":  # TimescaleDB first, on its own database of this size
            name = "devlogs_bench_quick" if size == 100_000 else f"devlogs_bench_{size // 1_000_000}m"
            rows += _child("queries", args, name, rows=size)["rows"]
        rows += _child("clickhouse", args, None, rows=size)["rows"]
        sections["stores"] = {"rows": rows}
    if what == "hostile":
        sections["hostile"] = _child("hostile", args, None)
    if what == "queues":
        from bench.queues import medians

        runs = []
        for i in range(args.runs or 3):
            for backend in args.queues:  # run i of every backend, then run i + 1: drift spreads evenly
                runs.append({"run": i + 1, **_child("queues", args, "devlogs_bench" if args.pg else None,
                                                    queue=backend)})
        sections["queues runs"] = {"rows": runs}
        sections["queues"] = {"rows": medians(runs)}
    if what == "embedded":
        sections["embedded"] = _child("embedded", args, None, lines=args.lines, runs=args.runs, profile=args.profile,
                                      keep=args.keep, store=args.store)


def drop_bench_topics() -> None:
    """The stages make a topic per run (`bench.*`); they are of no use afterwards."""
    from confluent_kafka.admin import AdminClient

    from bench.services import KAFKA

    admin = AdminClient({"bootstrap.servers": KAFKA})
    topics = [t for t in admin.list_topics(timeout=10).topics if t.startswith("bench.")]
    for future in admin.delete_topics(topics, operation_timeout=30).values() if topics else ():
        future.result()


def _sustainable_rate(e2e: dict, quick: bool) -> int:
    """The soak runs at the target rate when the pipeline kept up with it, else at 80 % of what it committed."""
    offered, committed = e2e["offered lines/s"], e2e.get("committed lines/s (steady)") or 0
    if committed >= 0.97 * offered or quick:
        return offered
    return max(int(committed * 0.8) // 1000 * 1000, 1000)


def verdicts(sections: dict) -> list[dict]:
    rows = []

    def add(target, measured, goal, met, where):
        rows.append({"target": target, "goal": goal, "measured": measured, "met": "yes" if met else "NO",
                     "where": where})

    ingest = [r for r in sections.get("ingest", {}).get("rows", []) if r["workload"] == "200B"
              and r["lines/request"] == 1000]
    if ingest:
        best = max(ingest, key=lambda r: r["lines/s"])
        one = max((r for r in ingest if r["servers"] == 1), key=lambda r: r["lines/s"], default=best)
        add("ingest, 200-byte lines, 1,000-line requests → Kafka", f"{best['lines/s']:,} lines/s", "≥ 60,000",
            best["lines/s"] >= 60_000, f"{best['servers']} server(s), {best['clients']} clients; one server: "
            f"{one['lines/s']:,}")
    processor = sections.get("processor", {}).get("rows", [])
    for workload in ("200B", "mixed"):
        runs = [r for r in processor if r["workload"] == workload]
        if runs:
            best = max(runs, key=lambda r: r["rows/s"])
            add(f"processor → PostgreSQL ({workload} lines, search indexes)", f"{best['rows/s']:,} rows/s",
                "≥ 50,000", best["rows/s"] >= 50_000, f"{best['processors']} processor(s), batch {best['batch']}")
    for name in ("e2e", "soak"):
        run = sections.get(name)
        if run:
            rate = run.get("committed lines/s (steady)") or 0
            kept_up = run["drained"] and rate >= 0.97 * run["offered lines/s"]
            add(f"{name}: sustained {run['seconds']} s at {run['offered lines/s']:,} offered",
                f"{rate:,} committed lines/s", "≥ 30,000 for 600 s",
                kept_up and run["offered lines/s"] >= 30_000 and run["seconds"] >= 590, run["workload"] + " lines")
            p99 = run.get("queryable p99 ms")
            add(f"{name}: send → queryable p99", f"{p99:,} ms" if p99 is not None else "none seen", "< 2,000 ms",
                p99 is not None and p99 < 2_000, f"p50 {run.get('queryable p50 ms')} ms; live tail p99 "
                f"{run.get('live p99 ms')} ms")
            if name == "soak":
                flat, detail = memory_flat(run)
                add("soak: memory flat (1 min vs end)", detail, "no growth", flat, "PSS of server and processors")
    queries = [r for r in sections.get("queries", {}).get("rows", []) if r["rows"] >= 10_000_000]
    if queries:
        worst = max(queries, key=lambda r: r["p95 ms"])
        add("standard queries at 10M rows, p95", f"≤ {worst['p95 ms']} ms", "< 200 ms", worst["p95 ms"] < 200,
            f"slowest: {worst['query']}")
    return rows


def memory_flat(run: dict) -> tuple[bool, str]:
    first, end = run.get("memory at 1 min (PSS MB)") or {}, run.get("memory at end (PSS MB)") or {}
    growth = {n: round(end[n] - first[n]) for n in ("server", "processors") if n in first and n in end}
    # Flat: less than 10 % (or 20 MB) more after the soak than after the first minute.
    flat = all(end[n] - first[n] <= max(0.1 * first[n], 20) for n in growth)
    return flat, ", ".join(f"{n} {first[n]:.0f}→{end[n]:.0f} MB" for n in growth)


def _printable(rows: list[dict]) -> list[dict]:
    return [{k: " ".join(f"{a}={b}" for a, b in v.items()) if isinstance(v, dict) else v for k, v in row.items()}
            for row in rows]


def print_report(report: dict) -> None:
    for name, section in report["sections"].items():
        print(f"\n## {name}")
        if "rows" in section:
            print(table(_printable(section["rows"])))
        elif name == "embedded":
            from bench.embedded import figures_table

            print(figures_table(section))
        elif name == "profile":
            for which, summary in section.items():
                if isinstance(summary, dict):
                    print(f"\n{which}: {summary['file']}, CPU cores {summary['CPU cores']}")
                    print(table(summary["self %"][:8]))
        elif isinstance(section, dict):
            print(table([{k: section.get(k) for k in E2E_COLUMNS}]))
            print(table([{"memory (PSS MB)": when, **{n: v for n, v in (section.get(key) or {}).items()}}
                         for when, key in (("at 1 min", "memory at 1 min (PSS MB)"), ("at end", "memory at end (PSS MB)"))]))
            if section.get("by minute"):
                print(table(section["by minute"]))
    print("\n## targets")
    print(table(report["verdicts"]))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=("all", *STAGES, "dashboard-scroll", "_stage"))
    parser.add_argument("stage", nargs="?", help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="a few-minute smoke run instead of the full one")
    parser.add_argument("--rate", type=int, help="e2e/soak: offered lines/s (default 30,000; --quick 5,000)")
    parser.add_argument("--seconds", type=float, help="e2e/soak: how long to send (default 180 / 600)")
    parser.add_argument("--keep-topics", action="store_true", help="keep the stages' Kafka topics (to inspect them)")
    parser.add_argument("--lines", type=int, help="embedded: lines to send (default 300,000; --quick 40,000)")
    parser.add_argument("--runs", type=int, help="embedded: repeat the load, fresh data each time; medians reported")
    parser.add_argument("--profile", action="store_true", help="embedded: py-spy the server while it ingests")
    parser.add_argument("--keep", action="store_true", help="embedded: keep the data dir (and the profile)")
    parser.add_argument("--store", choices=("sql", "clickhouse"),
                        help="embedded: the log store, SQLite (sql, the default) or ClickHouse on chDB (clickhouse)")
    parser.add_argument("--queues", type=lambda text: text.split(","), default=list(DEFAULT_QUEUES),
                        help="queues: the backends, of " + ",".join(QUEUE_BACKENDS))
    parser.add_argument("--pg", action="store_true", help="queues: store on the local PostgreSQL (default SQLite)")
    parser.add_argument("--queue", help=argparse.SUPPRESS)
    parser.add_argument("--rows", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.what == "_stage":
        run_stage(args)
        return
    if args.what == "dashboard-scroll":  # a browser measurement: printed, not part of the JSON reports
        from bench.dashboard_scroll import main as dashboard_scroll

        dashboard_scroll(args)
        return

    from bench.machine import describe
    from bench.services import Services, database_url

    started = datetime.now(timezone.utc)
    folder = RESULTS / "quick" if args.quick else RESULTS
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{started:%Y%m%dT%H%M%SZ}.json"
    report = {"started": started.isoformat(timespec="seconds"), "command": " ".join(["python -m bench", *sys.argv[1:]]),
              "quick": args.quick, "targets": TARGETS, "sections": {}}
    embedded = args.what in ("embedded", "hostile", "clickhouse")  # SQLite (and chDB): no service started
    needed = ("postgres",) if args.what == "stores" else () if embedded else ("postgres", "kafka", "redis")
    if args.what == "queues":  # its Redis servers are its own; PostgreSQL only with --pg
        unknown = set(args.queues) - set(QUEUE_BACKENDS)
        if unknown:
            parser.error(f"--queues: unknown {', '.join(sorted(unknown))}; choose from {', '.join(QUEUE_BACKENDS)}")
        needed = (("postgres",) if args.pg else ()) + (("kafka",) if "kafka" in args.queues else ())
        embedded = not args.pg
    with Services(needed=needed):
        report["machine"] = describe(None if embedded else database_url("devlogs_bench"))
        try:
            _plan(args.what, args, report)
        finally:
            if not args.keep_topics and "kafka" in needed:
                drop_bench_topics()
            report["finished"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
            report["verdicts"] = verdicts(report["sections"])
            path.write_text(json.dumps(report, indent=1, default=str, ensure_ascii=False) + "\n")
            print_report(report)
            print(f"\nreport: {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
