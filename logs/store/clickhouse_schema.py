"""The ClickHouse tables of the log store: one node (and chDB), or a cluster of shards and replicas.

One table, `log_lines`, ordered by (tenant_id, time, event_id): every query is one tenant's time
range, so it reads a contiguous run of the primary index; partitions are days, so retention drops
whole days. Measured choices (docs/benchmarks.md, "ClickHouse"):
- message words: a bloom_filter skip index on the message's words as the query language defines
  them (`WORDS`, ASCII letters, digits and `_`, case folded), not ClickHouse's own tokenizers,
  which keep `café` whole where our word rule finds `caf`. A word search reads only the granules
  that may hold every word, then checks the exact rule with a regular expression;
- attributes: the JSON text as sent, ZSTD-compressed, read with the JSONExtract functions. The
  JSON type would flatten `{"a.b": 1}` and `{"a": {"b": 1}}` into one path and lose the
  difference between a null and a missing key, both of which the query language tells apart;
- LowCardinality for service and host (a few hundred values a tenant), bloom filters for
  trace ids and event ids (one line by id: entry, context);
- engine ReplacingMergeTree: the writer already skips event ids it has stored (exactly-once under
  redelivery, tests/test_clickhouse_store.py); a line two writers race to store at once collapses
  at the next merge.

A cluster gets `log_lines_local` (ReplicatedReplacingMergeTree on each shard, replicated through
ClickHouse Keeper) and `log_lines` (Distributed over it). Sharding key `cityHash64(tenant_id, app_id)`:
one app's lines stay on one shard (context reads one shard), while a large tenant's apps spread
over all shards, so no tenant is bound to one machine's disk and CPU; every tenant query fans out
to the shards, each reading its own contiguous (tenant, time) range.
"""

TABLE = "log_lines"
# The query language's words of a message (logs/tokens.py): the same expression in the index and in
# every query that wants the index.
WORDS = "extractAll(lower(message), '[a-z0-9_]+')"

COLUMNS = """
    tenant_id UInt32,
    time DateTime64(6, 'UTC') CODEC(Delta, ZSTD(1)),
    event_id UUID,
    app_id UInt32,
    received_at DateTime64(6, 'UTC') CODEC(Delta, ZSTD(1)),
    level UInt16,
    service LowCardinality(String),
    host LowCardinality(String),
    trace_id String CODEC(ZSTD(1)),
    span_id String CODEC(ZSTD(1)),
    message String CODEC(ZSTD(3)),
    attributes String CODEC(ZSTD(3)),
    INDEX message_words {words} TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX trace_ids trace_id TYPE bloom_filter(0.001) GRANULARITY 4,
    INDEX event_ids event_id TYPE bloom_filter(0.001) GRANULARITY 4
""".format(words=WORDS)

ORDER = "PARTITION BY toDate(time) ORDER BY (tenant_id, time, event_id)"
# A part is fsynced before the insert returns: the processor acknowledges its queue (and the embedded
# server its 202) after the write, so a power cut must not take written lines with it.
SETTINGS = "SETTINGS index_granularity = 8192, fsync_after_insert = 1, fsync_part_directory = 1"


def single_node_ddl(database: str) -> list[str]:
    return [
        f"CREATE DATABASE IF NOT EXISTS {database}",
        f"CREATE TABLE IF NOT EXISTS {database}.{TABLE} ({COLUMNS}) ENGINE = ReplacingMergeTree "
        f"{ORDER} {SETTINGS}",
    ]


def cluster_ddl(database: str, cluster: str) -> list[str]:
    """For a ClickHouse cluster whose nodes define the macros {shard} and {replica}, with Keeper."""
    local = f"{TABLE}_local"
    return [
        f"CREATE DATABASE IF NOT EXISTS {database} ON CLUSTER '{cluster}'",
        f"CREATE TABLE IF NOT EXISTS {database}.{local} ON CLUSTER '{cluster}' ({COLUMNS}) "
        f"ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{{shard}}/{database}/{local}', '{{replica}}') "
        f"{ORDER} {SETTINGS}",
        f"CREATE TABLE IF NOT EXISTS {database}.{TABLE} ON CLUSTER '{cluster}' AS {database}.{local} "
        f"ENGINE = Distributed('{cluster}', {database}, {local}, cityHash64(tenant_id, app_id))",
    ]
