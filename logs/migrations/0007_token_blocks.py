"""The block index replaces the trigram index (logs/token_blocks.py; figures in docs/storage.md).

PostgreSQL only: the block table (GIN on its word and attribute hashes), BRIN on
logs_logentry.block_id, the trigram GIN and the attributes GIN dropped (the blocks index both), lines stored before this migration given blocks, and the columnstore
settings re-applied (min/max of block_id per compressed batch). SQLite only gains the column.
"""

from django.db import migrations, models

TABLE = "logs_tokenblock"


def forwards(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    entries = apps.get_model("logs", "LogEntry")._meta.db_table
    schema_editor.execute(f"""
        CREATE TABLE IF NOT EXISTS {TABLE} (
            id bigserial PRIMARY KEY,
            tenant_id integer NOT NULL,
            min_time timestamptz NOT NULL,
            max_time timestamptz NOT NULL,
            lines integer NOT NULL,
            hashes int4[] NOT NULL
        )""")
    schema_editor.execute(f"CREATE INDEX IF NOT EXISTS tokenblock_hashes ON {TABLE} USING gin (hashes)")
    schema_editor.execute(f"CREATE INDEX IF NOT EXISTS tokenblock_tenant_time ON {TABLE} (tenant_id, max_time)")
    # Block ids grow with insertion order, so a BRIN index (a few pages) finds a block's lines.
    schema_editor.execute(f"CREATE INDEX IF NOT EXISTS logentry_block_brin ON {entries} "
                          f"USING brin (block_id) WITH (pages_per_range = 8)")
    schema_editor.execute("DROP INDEX IF EXISTS logentry_message_trgm")
    schema_editor.execute("DROP INDEX IF EXISTS logentry_attributes_gin")

    from logs.timescale import configure
    from logs.token_blocks import backfill

    backfill(connection)
    configure(connection)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    entries = apps.get_model("logs", "LogEntry")._meta.db_table
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(f"CREATE INDEX IF NOT EXISTS logentry_message_trgm ON {entries} USING gin (message gin_trgm_ops)")
    schema_editor.execute(f"CREATE INDEX IF NOT EXISTS logentry_attributes_gin ON {entries} "
                          f"USING gin (attributes jsonb_path_ops)")
    schema_editor.execute("DROP INDEX IF EXISTS logentry_block_brin")
    schema_editor.execute(f"DROP TABLE IF EXISTS {TABLE}")


class Migration(migrations.Migration):
    dependencies = [("logs", "0006_saved_search")]

    operations = [
        migrations.AddField(
            model_name="logentry",
            name="block_id",
            field=models.BigIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.RemoveIndex(model_name="logentry", name="logentry_tenant_level_time"),
        migrations.RunPython(forwards, backwards),
    ]
