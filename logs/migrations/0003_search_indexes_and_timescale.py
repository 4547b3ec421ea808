"""PostgreSQL search indexes, and the TimescaleDB policies where the table is a hypertable.

- message: trigram GIN, so `q` (ILIKE '%word%') uses an index for any substring;
- attributes: jsonb_path_ops GIN, for `attributes @> {"user_id": 42}`.
SQLite has neither and searches by scanning the tenant's rows (fine at embedded sizes).
Measured choices: docs/storage.md.
"""

from django.db import migrations

INDEXES = [
    ("logentry_message_trgm", "USING gin (message gin_trgm_ops)"),
    ("logentry_attributes_gin", "USING gin (attributes jsonb_path_ops)"),
]


def create(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    table = apps.get_model("logs", "LogEntry")._meta.db_table
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, definition in INDEXES:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} {definition}")
    from logs.timescale import configure

    configure(connection)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _ in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("logs", "0002_hypertable")]
    operations = [migrations.RunPython(create, drop)]
