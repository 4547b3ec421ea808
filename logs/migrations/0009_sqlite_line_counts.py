"""Lines per minute and per second on SQLite (logs/sqlite_counts.py): the table, its triggers, and counts for
the lines already stored. TimescaleDB has its continuous aggregate (logs/timescale.py)."""

from django.db import migrations


def forwards(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "sqlite":
        return
    from logs import sqlite_counts

    sqlite_counts.create(connection)
    sqlite_counts.backfill(connection)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        from logs import sqlite_counts

        for trigger in sqlite_counts.TRIGGERS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        schema_editor.execute(f"DROP TABLE IF EXISTS {sqlite_counts.TABLE}")


class Migration(migrations.Migration):
    dependencies = [("logs", "0008_sqlite_blocks")]

    operations = [migrations.RunPython(forwards, backwards)]
