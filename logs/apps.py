from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _keep_line_count_triggers(using, **kwargs):
    """SQLite rebuilds a table to alter it, dropping its triggers: put the counting ones back
    (idempotent). The rebuild copies rows without firing them, so the counts stay right."""
    from django.db import connections

    from logs import sqlite_counts

    connection = connections[using]
    if sqlite_counts.enabled(connection) and sqlite_counts.TABLE in connection.introspection.table_names():
        sqlite_counts.create(connection)


class LogsConfig(AppConfig):
    name = "logs"

    def ready(self):
        from logs import access_watch

        post_migrate.connect(_keep_line_count_triggers, sender=self)
        access_watch.connect()
