from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import post_migrate


def _keep_line_count_triggers(using, **kwargs):
    """SQLite rebuilds a table to alter it, dropping its triggers: put the counting ones back
    (idempotent). The rebuild copies rows without firing them, so the counts stay right."""
    from django.db import connections

    from logs import sqlite_counts

    connection = connections[using]
    if sqlite_counts.enabled(connection) and sqlite_counts.TABLE in connection.introspection.table_names():
        sqlite_counts.create(connection)


def _check_store(timeout: float) -> str:
    from logs.store import get_store

    store = get_store()
    store.ping(timeout)
    return store.name


class LogsConfig(AppConfig):
    name = "logs"

    def ready(self):
        from devlogs.health import register_check
        from logs import access_watch

        post_migrate.connect(_keep_line_count_triggers, sender=self)
        access_watch.connect()
        if settings.DEVLOGS_STORE != "sql":  # the database check already covers the SQL store
            register_check("store", _check_store)
