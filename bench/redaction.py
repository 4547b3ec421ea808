"""Benchmark redaction at ingest: lines per second through `Redactor.redact_lines`, one core.

Run by hand (no services needed):

    .venv/bin/python -m bench.redaction [--lines 200000] [--runs 5]

Workloads are 1,000-line requests of ~200-byte realistic lines (bench.common.make_line), as
ingest hands them over. Each row is the best of --runs passes, so a busy machine shows its
least disturbed figure. For scale, the same lines are also timed through the ingest parser
(`parse_body`: JSON decode, validate, normalise), and the built-in scan through Python's
backtracking `re` on a sample, which is why the engine is RE2.
"""

import argparse
import copy
import json
import random
import re
import time

from bench.common import django_setup, make_body, make_line, table

SECRET_LINES = [
    {"message": "login failed user=alice password=S3cure#Pass99 ip=10.0.0.7"},
    {"message": "Authorization: Bearer 8f14e45fceea167a5a36dedd4bea2543 sent"},
    {"message": "payment by 4111 1111 1111 1111 declined"},
    {"message": "push with ghp_R2d4s8VbN1x7QmZk3LpT9wYc6HfJ0aGe5UuO", "attributes": {"token": "abc"}},
    {"message": "db at postgres://app:pg-Secr3t@db:5432/app", "attributes": {"dsn": "mysql://r:x1@h/d"}},
]
CUSTOM = tuple([r"EMP-(\d{6})", r"(?i)project\s+falcon", r"INC-[0-9]{4,}", r"\bssn[:=]\s*(\d{3}-\d{2}-\d{4})",
                r"(?i)internal-[a-z]+-key", r"acct_[A-Za-z0-9]{16}", r"\b[A-Z]{2}\d{2}[A-Z0-9]{11,30}\b",
                r"patient-id=(\w+)", r"(?i)secret-project-\w+", r"badge #\d{5}"])


def requests(total: int, secret_share: float, seed: int = 1) -> list[list[dict]]:
    rng = random.Random(seed)
    lines = []
    for i in range(total):
        if secret_share and rng.random() < secret_share:
            line = copy.deepcopy(rng.choice(SECRET_LINES))
            line.setdefault("attributes", {})["user_id"] = i
            lines.append(line)
        else:
            lines.append(make_line(rng, i))
    for line in lines:
        line.setdefault("attributes", {})
    return [lines[start:start + 1000] for start in range(0, total, 1000)]


def best_rate(work, batches_factory, runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        batches = batches_factory()
        started = time.perf_counter()
        for batch in batches:
            work(batch)
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    django_setup(LOG_LEVEL="WARNING")
    from ingest.parsing import Limits, parse_body
    from ingest.redaction import CARD_FAMILIES, CREDENTIAL_FAMILIES, EMAIL_FAMILIES, TOKEN_FAMILIES, Redactor, Spec

    rows = []

    def row(name, spec, share):
        redactor = Redactor(spec)
        base = requests(args.lines, share)
        seconds = best_rate(redactor.redact_lines, lambda: copy.deepcopy(base), args.runs)
        rows.append({"workload": name, "lines/s": f"{args.lines / seconds:,.0f}",
                     "µs/line": f"{seconds / args.lines * 1e6:.2f}"})

    row("defaults, no secrets", Spec(), 0)
    row("defaults, 1% lines with secrets", Spec(), 0.01)
    row("defaults, 10% lines with secrets", Spec(), 0.10)
    row("everything on + 10 custom patterns + drop keys, 1%",
        Spec(emails=True, custom_patterns=CUSTOM, drop_keys=frozenset({"ssn", "dob"})), 0.01)
    row("defaults, every line has a secret", Spec(), 1.0)
    row("nothing on (mask keys only), no secrets", Spec(passwords=False, tokens=False, card_numbers=False), 0)

    body = make_body(1000)
    limits = Limits()
    parse_seconds = best_rate(
        lambda b: parse_body(b, content_type="application/json", content_encoding=None, received_ns=0, limits=limits),
        lambda: [body] * (args.lines // 1000), args.runs)
    rows.append({"workload": "reference: parse_body (decode, validate, normalise)",
                 "lines/s": f"{args.lines / parse_seconds:,.0f}",
                 "µs/line": f"{parse_seconds / args.lines * 1e6:.2f}"})

    # The built-in families through Python's backtracking engine, on a small sample: the reason for RE2.
    families = TOKEN_FAMILIES + CREDENTIAL_FAMILIES + CARD_FAMILIES + EMAIL_FAMILIES
    combined = re.compile("|".join(f"(?:{f.pattern.replace(chr(92) + 'z', chr(92) + 'Z')})" for f in families),
                          re.MULTILINE)
    sample = [line["message"] for batch in requests(2000, 0) for line in batch]
    started = time.perf_counter()
    for message in sample:
        combined.search(message)
    py_seconds = time.perf_counter() - started
    rows.append({"workload": "reference: built-in scan with Python re, per message",
                 "lines/s": f"{len(sample) / py_seconds:,.0f}", "µs/line": f"{py_seconds / len(sample) * 1e6:.2f}"})

    print(table(rows))
    print(json.dumps({"bench": "redaction", "lines": args.lines, "runs": args.runs, "rows": rows}, ensure_ascii=False))


if __name__ == "__main__":
    main()
