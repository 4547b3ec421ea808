"""Lines per second and per minute on SQLite (the embedded store): what TimescaleDB's
`logs_minute_counts` continuous aggregate is to PostgreSQL (logs/timescale.py).

A histogram without a query counted every line of the range: ~0.9 µs a line, 1.8 s for levels
per minute over 2 million lines. `logs_linecount` holds a count per (tenant, span, start, app,
level), for spans of 60 s and 1 s, kept by triggers on the log table, so no write or delete path
can forget it: an insert that `INSERT OR IGNORE` skips fires nothing, a delete (retention,
delete-by-query, a tenant's or app's cascade) takes its lines off, and a change of time, level,
tenant or app moves them. The triggers cost ~5 µs a line on insert with the writer's statement
journal in memory (logs/writer.py; ~12 µs more in a temporary file).

A histogram reads whole minutes, then the whole seconds at the range's ends, from the counts,
and only the part-seconds at the very ends from the log table: exact, as the table would count,
and "the last hour" up to now costs the same at 100 lines/s or 30,000. Seconds alone would do
for short ranges, but a day is 86,400 of them per app and level; minutes keep that to 1,440.
"""

from datetime import datetime, timedelta, timezone

from django.db import connection

TABLE = "logs_linecount"
ENTRIES = "logs_logentry"
SPANS = (60, 1)  # seconds, largest first
_EPOCH = "CAST(strftime('%s', {row}.time) AS INTEGER)"


def _add(row: str, sign: str, span: int) -> str:
    start = f"({_EPOCH.format(row=row)} / {span} * {span})"
    sql = (f"INSERT INTO {TABLE} (tenant_id, span, start, app_id, level, lines) "
           f"VALUES ({row}.tenant_id, {span}, {start}, {row}.app_id, {row}.level, {sign}1) "
           f"ON CONFLICT DO UPDATE SET lines = lines {sign} 1;")
    if sign == "-":  # retention empties old spans: their rows go too
        sql += (f" DELETE FROM {TABLE} WHERE tenant_id = {row}.tenant_id AND span = {span} AND start = {start} "
                f"AND app_id = {row}.app_id AND level = {row}.level AND lines <= 0;")
    return sql


def _body(row: str, sign: str) -> str:
    return " ".join(_add(row, sign, span) for span in SPANS)


DDL = [
    f"CREATE TABLE IF NOT EXISTS {TABLE} (tenant_id INTEGER NOT NULL, span INTEGER NOT NULL, "
    f"start INTEGER NOT NULL, app_id INTEGER NOT NULL, level INTEGER NOT NULL, lines INTEGER NOT NULL, "
    f"PRIMARY KEY (tenant_id, span, start, app_id, level)) WITHOUT ROWID",
    f"CREATE TRIGGER IF NOT EXISTS logentry_count_insert AFTER INSERT ON {ENTRIES} BEGIN {_body('new', '+')} END",
    f"CREATE TRIGGER IF NOT EXISTS logentry_count_delete AFTER DELETE ON {ENTRIES} BEGIN {_body('old', '-')} END",
    f"CREATE TRIGGER IF NOT EXISTS logentry_count_update AFTER UPDATE OF time, level, tenant_id, app_id "
    f"ON {ENTRIES} BEGIN {_body('old', '-')} {_body('new', '+')} END",
]
TRIGGERS = ("logentry_count_insert", "logentry_count_delete", "logentry_count_update")


def enabled(conn=connection) -> bool:
    return conn.vendor == "sqlite"


def create(conn=connection) -> None:
    """The table and its triggers; idempotent. Also run after every migrate (logs/apps.py): a
    migration that rebuilds the log table (SQLite's ALTER TABLE) drops the table's triggers."""
    with conn.cursor() as cursor:
        for statement in DDL:
            cursor.execute(statement)


def backfill(conn=connection) -> None:
    """Counts for the lines already stored (the triggers count from their creation on)."""
    with conn.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE}")
        for span in SPANS:
            cursor.execute(f"INSERT INTO {TABLE} (tenant_id, span, start, app_id, level, lines) "
                           f"SELECT tenant_id, {span}, {_EPOCH.format(row=ENTRIES)} / {span} * {span}, app_id, "
                           f"level, count(*) FROM {ENTRIES} GROUP BY 1, 2, 3, 4, 5")


def floor_bucket(epoch_sql: str, *, origin: int, interval_seconds: int) -> str:
    """The start of the interval holding an epoch second, counted from `origin`. SQLite's integer
    division truncates towards zero, so a time before the origin needs one bucket less. For SQL
    run with parameters (`%%` is the modulo there)."""
    x, i = f"({epoch_sql} - {int(origin)})", int(interval_seconds)
    return f"(({x} / {i} - ({x} %% {i} < 0)) * {i} + {int(origin)})"


_UNIX = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _microseconds(value: datetime) -> int:
    delta = value - _UNIX
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def _at(epoch: int) -> datetime:
    return _UNIX + timedelta(seconds=epoch)


def cover(since: datetime | None, until: datetime | None, spans: tuple[int, ...] = SPANS):
    """[since, until) as whole spans, largest first, and what is left at the ends:
    ([(span, first start or None, end start or None)], [(since, until) for the log table]).
    None is an open end."""
    if since is not None and until is not None and since >= until:
        return [], []
    if not spans:
        return [], [(since, until)]
    span, rest = spans[0], spans[1:]
    first = None if since is None else -(-_microseconds(since) // (span * 1_000_000)) * span
    end = None if until is None else _microseconds(until) // (span * 1_000_000) * span
    if first is not None and end is not None and first >= end:
        return cover(since, until, rest)
    low_counts, low_table = cover(since, _at(first), rest) if since is not None else ([], [])
    high_counts, high_table = cover(_at(end), until, rest) if until is not None else ([], [])
    return [*low_counts, (span, first, end), *high_counts], [*low_table, *high_table]


def spans_for(interval_seconds: int) -> tuple[int, ...]:
    """The spans whose counts fall whole into buckets of this interval."""
    return tuple(span for span in SPANS if interval_seconds % span == 0)


_OPS = {"=", ">", ">=", "<", "<="}


def condition(node, app_ids) -> tuple[str, list] | None:
    """A query that tests only a line's level and app, as SQL over the counts; None for any other
    query (those count lines in the log table). app_ids: slug pattern → the tenant's app ids."""
    from logs.querylang.compiler import app_ids_matching
    from logs.querylang.parser import And, Exists, Level, Match, Not, Or

    if isinstance(node, Level) and node.op in _OPS:
        return f"level {node.op} %s", [int(node.level)]
    if isinstance(node, Match) and node.field == "app":
        ids = [int(i) for i in app_ids_matching(node, app_ids) or ()]
        return (f"app_id IN ({', '.join(['%s'] * len(ids))})", ids) if ids else ("0", [])
    if isinstance(node, Exists) and node.field in ("app", "level"):
        return "1", []
    if isinstance(node, Not):
        inner = condition(node.item, app_ids)
        return None if inner is None else (f"NOT ({inner[0]})", inner[1])
    if isinstance(node, (And, Or)):
        parts = [condition(item, app_ids) for item in node.items]
        if any(part is None for part in parts):
            return None
        joiner = " AND " if isinstance(node, And) else " OR "
        return joiner.join(f"({sql})" for sql, _ in parts), [p for _, params in parts for p in params]
    return None


def counts(tenant_id: int, spans, *, origin: int, interval_seconds: int, where: tuple[str, list] = ("1", []),
           conn=connection):
    """(bucket start in epoch seconds, level, lines) over the whole spans `cover` gave, for the
    lines `where` (a `condition`) admits; buckets as the log table's histogram makes them
    (multiples of the interval from `origin`)."""
    clauses, params = [], [tenant_id]
    for span, first, end in spans:
        clause, clause_params = ["span = %s"], [span]
        if first is not None:
            clause.append("start >= %s")
            clause_params.append(first)
        if end is not None:
            clause.append("start < %s")
            clause_params.append(end)
        clauses.append(f"({' AND '.join(clause)})")
        params += clause_params
    if not clauses:
        return []
    bucket = floor_bucket("start", origin=origin, interval_seconds=interval_seconds)
    with conn.cursor() as cursor:
        cursor.execute(f"SELECT {bucket} AS b, level, sum(lines) FROM {TABLE} "
                       f"WHERE tenant_id = %s AND ({' OR '.join(clauses)}) AND ({where[0]}) "
                       f"GROUP BY b, level HAVING sum(lines) > 0", [*params, *where[1]])
        return cursor.fetchall()
