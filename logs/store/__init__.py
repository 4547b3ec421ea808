"""The log store: one interface (logs/store/base.py), one module per engine.

    get_store().write(envelopes)            processing (the processor's batches)
    get_store().search/count/entry/context  the query API, dashboards, alerts
    get_store().histogram/facets/export     the same, for charts, facet panels and downloads
    get_store().delete/delete_older_than    delete-by-query (logs/gdpr.py) and retention (logs/retention.py)

Two engines: `sql` (Django's database: PostgreSQL, TimescaleDB, SQLite; logs/store/sql.py) and
`clickhouse` (logs/store/clickhouse.py), chosen by DEVLOGS_STORE.
"""

from django.conf import settings

from logs.store.base import Deleted, LogStore, Page

__all__ = ["Deleted", "LogStore", "Page", "get_store"]

_stores: dict[str | tuple, LogStore] = {}


def get_store() -> LogStore:
    """The configured store (DEVLOGS_STORE, default `sql`); made once, without I/O."""
    name = settings.DEVLOGS_STORE  # checked by settings: a name this function knows
    if name == "clickhouse":
        where = (name, settings.CLICKHOUSE_URL, settings.CLICKHOUSE_DATABASE, settings.CLICKHOUSE_CLUSTER)
        if where not in _stores:
            from logs.store.clickhouse import ClickHouseStore

            _stores[where] = ClickHouseStore(settings.CLICKHOUSE_URL, database=settings.CLICKHOUSE_DATABASE,
                                             cluster=settings.CLICKHOUSE_CLUSTER)
        return _stores[where]
    if name not in _stores:
        from logs.store.sql import SqlStore

        _stores[name] = SqlStore()
    return _stores[name]
