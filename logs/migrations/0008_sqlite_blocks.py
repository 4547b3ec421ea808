"""The block index on SQLite (logs/sqlite_blocks.py): an FTS5 table of each block's words, and
blocks for the lines stored before it. PostgreSQL has its own since 0007."""

from django.db import migrations


def forwards(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "sqlite":
        return
    from logs import sqlite_blocks

    sqlite_blocks.create(connection)
    sqlite_blocks.backfill(connection)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TABLE IF EXISTS logs_tokenblock")


class Migration(migrations.Migration):
    dependencies = [("logs", "0007_token_blocks")]

    operations = [migrations.RunPython(forwards, backwards)]
