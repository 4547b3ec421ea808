"""The log store on ClickHouse, through clickhouse-connect: a server over HTTP(S), or chDB in-process.

    DEVLOGS_STORE=clickhouse
    CLICKHOUSE_URL=http://user:password@host:8123   or   chdb:///var/lib/devlogs/clickhouse
    CLICKHOUSE_DATABASE=devlogs   CLICKHOUSE_CLUSTER=<name> (sharded and replicated; empty: one node)

Tenants, apps, keys, alerts and dashboards stay in Django's database; only log lines live here.
Tables: logs/store/clickhouse_schema.py, created on first use. Queries: logs/store/clickhouse_query.py.
chDB lets one process own a data directory: there the processor must run inside the server
(the embedded mode); several processors need a ClickHouse server (docs/storage.md).
"""

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import datetime, timedelta, timezone

import orjson
from django import db

from accounts.scoping import app_slugs
from logline.envelope import Envelope
from logline.levels import level_name
from logs.entries import EPOCH, iso, ns_to_datetime
from logs.facets import COLUMNS as FACET_COLUMNS
from logs.facets import facet_field, label
from logs.pagination import CursorError, pack_cursor, unpack_cursor
from logs.search import Search, app_resolver
from logs.store.base import Deleted, Page
from logs.store.clickhouse_query import Params, compile_where
from logs.store.clickhouse_schema import TABLE, cluster_ddl, single_node_ddl

ORIGIN_MICROS = 946684800 * 1_000_000  # histogram buckets count from 2000-01-01T00:00Z, as on SQL
SELECTED = ("toString(event_id), toUnixTimestamp64Micro(time), toUnixTimestamp64Micro(received_at), app_id, "
            "level, message, service, host, trace_id, span_id, attributes")
INSERTED = ("tenant_id", "time", "event_id", "app_id", "received_at", "level", "service", "host", "trace_id",
            "span_id", "message", "attributes")
DELETE_BATCH = 10_000


@contextmanager
def _outage():
    """ClickHouse unreachable or refusing connections is an outage, as the database's is: the API
    answers 503 with Retry-After (devlogs.errors) and the processor retries the batch."""
    from clickhouse_connect.driver.exceptions import OperationalError

    try:
        yield
    except OperationalError as exc:
        raise db.OperationalError(f"ClickHouse unavailable: {exc}") from exc


def _micros_iso(micros: int) -> str:
    return iso(ns_to_datetime(micros * 1000))


def _entry(row, slugs: dict[int, str]) -> dict:
    event_id, time, received, app_id, level, message, service, host, trace_id, span_id, attributes = row
    return {"id": event_id, "time": _micros_iso(time), "received_at": _micros_iso(received),
            "app": slugs.get(app_id, ""), "level": level_name(level), "message": message, "service": service,
            "host": host, "trace_id": trace_id, "span_id": span_id, "attributes": orjson.loads(attributes)}


def _micros(moment: datetime) -> int:
    delta = moment - EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def decode_cursor(cursor: str) -> tuple[int, str]:
    micros, event_id = unpack_cursor(cursor, str)
    try:
        return micros, str(uuid.UUID(event_id))
    except ValueError:
        raise CursorError("The cursor is not one this API returned; start again without it.") from None


class ClickHouseStore:
    """LogStore on one ClickHouse table (a Distributed one on a cluster)."""

    name = "clickhouse"

    def __init__(self, url: str, *, database: str = "devlogs", cluster: str = ""):
        self.url, self.database, self.cluster = url, database, cluster
        self.table = f"{database}.{TABLE}"
        # Deletes and partition drops act on the shards' own tables.
        self.local_table = f"{database}.{TABLE}_local" if cluster else self.table
        self.on_cluster = f" ON CLUSTER '{cluster}'" if cluster else ""
        self._client = None
        self._setup = threading.Lock()
        self._in_process = url.startswith("chdb:")
        # chDB is one engine inside this process: its client is used by one thread at a time.
        self._serial = threading.RLock() if self._in_process else nullcontext()

    # --- the connection -------------------------------------------------------------------------

    def client(self):
        if self._client is None:
            with self._setup:
                if self._client is None:
                    import clickhouse_connect  # only where this store is configured

                    options = {} if self._in_process else {"autogenerate_session_id": False}
                    client = clickhouse_connect.get_client(dsn=self.url, **options)
                    for statement in (cluster_ddl(self.database, self.cluster) if self.cluster
                                      else single_node_ddl(self.database)):
                        client.command(statement)
                    self._client = client
        return self._client

    def _rows(self, sql: str, params: Params | dict | None = None) -> list[tuple]:
        values = params.values if isinstance(params, Params) else (params or {})
        with self._serial, _outage():
            return self.client().query(sql, parameters=values).result_rows

    def _command(self, sql: str, params: Params | dict | None = None, settings_: dict | None = None) -> None:
        values = params.values if isinstance(params, Params) else (params or {})
        with self._serial, _outage():
            self.client().command(sql, parameters=values, settings=settings_)

    def ping(self, timeout: float) -> None:
        """Raises unless ClickHouse answers and the table is there (readiness)."""
        self._rows(f"SELECT count() FROM system.tables WHERE database = {{d:String}} AND name = {{t:String}} "
                   f"SETTINGS max_execution_time = {max(1, int(timeout))}",
                   {"d": self.database, "t": TABLE})

    def truncate(self) -> None:
        """Every line gone (tests)."""
        self._command(f"TRUNCATE TABLE {self.local_table}{self.on_cluster}")

    # --- writing --------------------------------------------------------------------------------

    def write(self, envelopes: list[Envelope]) -> int:
        seen, rows, offered = set(), [], 0
        for envelope in envelopes:
            for line in envelope.lines:
                offered += 1
                if line["id"] in seen:
                    continue
                seen.add(line["id"])
                rows.append((envelope, line))
        if not rows:
            return offered
        stored = self._stored_ids(rows)
        # Event ids as text: validated UUIDs already (logline.envelope), and ~2x cheaper to send than UUIDs.
        data = [[envelope.tenant_id, line["ts"] // 1000, line["id"], envelope.app_id, envelope.received_ns // 1000,
                 line["level"], line["service"], line["host"], line["trace_id"], line["span_id"], line["message"],
                 orjson.dumps(line["attributes"]).decode()]
                for envelope, line in rows if line["id"] not in stored]
        if data:
            extra = {"insert_distributed_sync": 1} if self.cluster else {}
            with self._serial, _outage():
                self.client().insert(self.table, data, column_names=INSERTED, settings=extra)
        return offered

    def _stored_ids(self, rows) -> set[str]:
        """Which of these lines are stored already (a batch delivered again after a crash, whole or in
        part). A redelivered envelope keeps its lines' times and its receipt time, so this reads the
        (tenant, time) range the batch covers (the primary index bounds it) and keeps the rows received
        when these envelopes were: empty on a first delivery, without sending the ids themselves."""
        times = [line["ts"] // 1000 for _, line in rows]
        p = Params()
        sql = (f"SELECT toString(event_id) FROM {self.table} WHERE "
               f"has({p(sorted({e.tenant_id for e, _ in rows}), 'Array(UInt32)')}, tenant_id) "
               f"AND time >= fromUnixTimestamp64Micro({p(min(times), 'Int64')}, 'UTC') "
               f"AND time <= fromUnixTimestamp64Micro({p(max(times), 'Int64')}, 'UTC') "
               f"AND has({p(sorted({e.received_ns // 1000 for e, _ in rows}), 'Array(Int64)')}, "
               f"toUnixTimestamp64Micro(received_at))")
        batch = {line["id"] for _, line in rows}
        return {row[0] for row in self._rows(sql, p)} & batch

    # --- reading --------------------------------------------------------------------------------

    def _where(self, search: Search, p: Params) -> str:
        parts = [f"tenant_id = {p(search.caller.tenant.id, 'UInt32')}"]
        if search.since:
            parts.append(f"time >= fromUnixTimestamp64Micro({p(_micros(search.since), 'Int64')}, 'UTC')")
        if search.until:
            parts.append(f"time < fromUnixTimestamp64Micro({p(_micros(search.until), 'Int64')}, 'UTC')")
        app_ids = app_resolver(search.caller)
        for node in (search.node, search.extra):
            if node is not None:
                parts.append(compile_where(node, app_ids=app_ids, p=p))
        return " AND ".join(parts)

    @staticmethod
    def _after(micros: int, event_id: str, newest_first: bool, p: Params) -> str:
        t = f"fromUnixTimestamp64Micro({p(micros, 'Int64')}, 'UTC')"
        e = p(event_id, "UUID")
        if newest_first:  # the plain bound lets the primary index start at the cursor
            return f"time <= {t} AND (time, event_id) < ({t}, {e})"
        return f"time >= {t} AND (time, event_id) > ({t}, {e})"

    @staticmethod
    def _order(newest_first: bool) -> str:
        return "ORDER BY time DESC, event_id DESC" if newest_first else "ORDER BY time, event_id"

    def _page(self, where: str, p: Params, *, limit: int, newest_first: bool) -> list[tuple]:
        return self._rows(f"SELECT {SELECTED} FROM {self.table} WHERE {where} {self._order(newest_first)} "
                          f"LIMIT {int(limit)}", p)

    def search(self, search: Search, *, limit: int, cursor: str | None = None, newest_first: bool = True) -> Page:
        p = Params()
        where = self._where(search, p)
        if cursor:
            where += " AND " + self._after(*decode_cursor(cursor), newest_first, p)
        rows = self._page(where, p, limit=limit + 1, newest_first=newest_first)
        slugs = search.caller.app_slugs()
        if len(rows) <= limit:
            return Page([_entry(row, slugs) for row in rows], None)
        rows = rows[:limit]
        return Page([_entry(row, slugs) for row in rows], pack_cursor(rows[-1][1], rows[-1][0]))

    def count(self, search: Search) -> int:
        p = Params()
        return int(self._rows(f"SELECT count() FROM {self.table} WHERE {self._where(search, p)}", p)[0][0])

    def count_at_most(self, search: Search, *, limit: int) -> int:
        p = Params()
        return int(self._rows(f"SELECT count() FROM (SELECT 1 FROM {self.table} WHERE {self._where(search, p)} "
                              f"LIMIT {int(limit)})", p)[0][0])

    def _row(self, tenant_id: int, event_id) -> tuple | None:
        p = Params()
        rows = self._rows(f"SELECT {SELECTED} FROM {self.table} WHERE tenant_id = {p(tenant_id, 'UInt32')} "
                          f"AND event_id = {p(str(event_id), 'UUID')} LIMIT 1", p)
        return rows[0] if rows else None

    def entry(self, *, tenant_id: int, event_id) -> dict | None:
        row = self._row(tenant_id, event_id)
        return None if row is None else _entry(row, app_slugs(tenant_id))

    def context(self, *, tenant_id: int, event_id, before: int, after: int) -> dict | None:
        row = self._row(tenant_id, event_id)
        if row is None:
            return None
        slugs = app_slugs(tenant_id)
        found_id, micros, app_id, host = row[0], row[1], row[3], row[7]

        def neighbours(newest_first: bool, limit: int) -> list[tuple]:
            p = Params()
            where = f"tenant_id = {p(tenant_id, 'UInt32')} AND app_id = {p(app_id, 'UInt32')}"
            if host:
                where += f" AND host = {p(host, 'String')}"
            where += " AND " + self._after(micros, found_id, newest_first, p)
            return self._page(where, p, limit=limit, newest_first=newest_first)

        earlier = neighbours(True, before) if before > 0 else []
        later = neighbours(False, after) if after > 0 else []
        return {"entry": _entry(row, slugs), "before": [_entry(r, slugs) for r in reversed(earlier)],
                "after": [_entry(r, slugs) for r in later]}

    def histogram(self, search: Search, *, interval_seconds: int) -> list[dict]:
        if interval_seconds < 1:
            raise ValueError("interval must be at least one second")
        p = Params()
        width = p(int(interval_seconds) * 1_000_000, "Int64")
        origin = p(ORIGIN_MICROS, "Int64")
        offset = f"(toUnixTimestamp64Micro(time) - {origin})"
        rows = self._rows(f"SELECT intDiv({offset} - positiveModulo({offset}, {width}) + {origin}, 1000000) AS bucket, "
                          f"level, count() FROM {self.table} WHERE {self._where(search, p)} "
                          f"GROUP BY bucket, level ORDER BY bucket, level", p)
        return [{"time": _micros_iso(bucket * 1_000_000), "level": level_name(level), "count": int(count)}
                for bucket, level, count in rows]

    def facets(self, search: Search, names: list[str], *, limit: int) -> dict[str, list[dict]]:
        slugs = search.caller.app_slugs()
        result = {}
        for name in names:
            field = facet_field(name)  # UnknownFacet for a name that is neither a column nor attributes.<key>
            p = Params()
            where = self._where(search, p)
            if isinstance(field, list):
                path = ", ".join(p(key, "String") for key in field)
                kind = f"JSONType(attributes, {path})"
                value = (f"if({kind} = 'String', JSONExtractString(attributes, {path}), "
                         f"JSONExtractRaw(attributes, {path}))")
                where += f" AND JSONHas(attributes, {path}) AND {kind} != 'Null'"
            else:
                value = FACET_COLUMNS[name]
            rows = self._rows(f"SELECT {value} AS value, count() AS lines FROM {self.table} WHERE {where} "
                              f"GROUP BY value ORDER BY lines DESC, value LIMIT {int(limit)}", p)
            result[name] = [{"value": label(name, value, slugs), "count": int(count)} for value, count in rows]
        return result

    def export(self, search: Search, *, newest_first: bool, page_size: int) -> Iterator[list[dict]]:
        slugs = search.caller.app_slugs()
        last = None
        while True:
            p = Params()
            where = self._where(search, p)
            if last is not None:
                where += " AND " + self._after(last[1], last[0], newest_first, p)
            rows = self._page(where, p, limit=page_size, newest_first=newest_first)
            if not rows:
                return
            yield [_entry(row, slugs) for row in rows]
            if len(rows) < page_size:
                return
            last = rows[-1]

    # --- deleting -------------------------------------------------------------------------------

    def _delete_ids(self, tenant_id: int, ids: list[str]) -> None:
        p = Params()
        self._command(f"DELETE FROM {self.local_table}{self.on_cluster} WHERE tenant_id = {p(tenant_id, 'UInt32')} "
                      f"AND event_id IN (SELECT arrayJoin({p(ids, 'Array(UUID)')}))", p)

    def delete(self, search: Search, *, max_rows: int) -> Deleted:
        deleted = 0
        while deleted < max_rows:
            p = Params()
            batch = min(DELETE_BATCH, max_rows - deleted)
            ids = [row[0] for row in self._rows(
                f"SELECT toString(event_id) FROM {self.table} WHERE {self._where(search, p)} "
                f"ORDER BY time, event_id LIMIT {int(batch)}", p)]
            if not ids:
                break
            self._delete_ids(search.caller.tenant.id, ids)
            deleted += len(ids)
            if len(ids) < batch:
                break
        return Deleted(deleted, deleted >= max_rows and self.count(search) > 0)

    def delete_older_than(self, *, tenant_id: int, cutoff: datetime, batch_size: int) -> int:
        p = Params()
        where = (f"tenant_id = {p(tenant_id, 'UInt32')} "
                 f"AND time < fromUnixTimestamp64Micro({p(_micros(cutoff), 'Int64')}, 'UTC')")
        count = int(self._rows(f"SELECT count() FROM {self.table} WHERE {where}", p)[0][0])
        if count:  # one lightweight delete: ClickHouse marks the rows, merges drop them
            self._command(f"DELETE FROM {self.local_table}{self.on_cluster} WHERE {where}", p)
        return count

    def drop_older_than(self, *, days: int) -> int:
        p = Params()
        database, table = self.local_table.split(".", 1)
        # On a cluster every shard has its own parts: ask them all.
        parts = f"clusterAllReplicas('{self.cluster}', system.parts)" if self.cluster else "system.parts"
        names = [row[0] for row in self._rows(
            f"SELECT DISTINCT partition_id FROM {parts} WHERE database = {p(database, 'String')} "
            f"AND table = {p(table, 'String')} AND active", p)]
        # Partitions are days named YYYYMMDD (toDate(time)); a day drops once all of it is older than `days`.
        oldest_kept = (datetime.now(timezone.utc) - timedelta(days=days)).strftime("%Y%m%d")
        dropped = [name for name in names if len(name) == 8 and name.isdigit() and name < oldest_kept]
        for name in dropped:
            self._command(f"ALTER TABLE {self.local_table}{self.on_cluster} DROP PARTITION ID '{name}'")
        return len(dropped)

    def maintain(self) -> dict[str, int]:
        return {}  # merges, TTL and index upkeep are ClickHouse's own background work

