"""Topic provisioning for the Kafka backend: idempotent, safe to run on every deploy."""

import logging

from confluent_kafka import KafkaException
from confluent_kafka.admin import (AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource, NewPartitions,
                                   NewTopic)

from devlogs.kafka_client import client_config

log = logging.getLogger("devlogs.kafka")


def admin_client(settings) -> AdminClient:
    return AdminClient(client_config(settings))


def ensure_topics(settings, *, topic: str | None = None, dlq_topic: str | None = None,
                  partitions: int | None = None, replication: int | None = None,
                  retention_hours: int | None = None, timeout: float = 30) -> list[str]:
    """Create the lines topic and its dead-letter topic, or bring them up to the settings.

    Returns what was done, one line per action. Partitions only ever grow (Kafka cannot
    shrink them, and growing moves apps to new partitions only for new lines).
    """
    topic = topic or settings.KAFKA_TOPIC
    dlq_topic = dlq_topic or settings.KAFKA_DLQ_TOPIC
    partitions = partitions or settings.KAFKA_PARTITIONS
    replication = replication or settings.KAFKA_REPLICATION_FACTOR
    retention_ms = str((retention_hours or settings.KAFKA_RETENTION_HOURS) * 3600 * 1000)
    wanted = {
        topic: (partitions, {"retention.ms": retention_ms, "min.insync.replicas": str(min(2, replication))}),
        # Dead letters wait for a person: keep them four times as long.
        dlq_topic: (1, {"retention.ms": str(int(retention_ms) * 4)}),
    }
    admin = admin_client(settings)
    existing = admin.list_topics(timeout=timeout).topics
    actions = []
    to_create = [NewTopic(name, num_partitions=count, replication_factor=replication, config=config)
                 for name, (count, config) in wanted.items() if name not in existing]
    for name, future in (admin.create_topics(to_create, operation_timeout=timeout).items() if to_create else []):
        try:
            future.result()
            actions.append(f"created {name}")
        except KafkaException as exc:
            if exc.args[0].code() != exc.args[0].TOPIC_ALREADY_EXISTS:
                raise
            actions.append(f"{name} already exists")
    for name, (count, config) in wanted.items():
        if name not in existing:
            continue
        current = len(existing[name].partitions)
        if current < count:
            admin.create_partitions([NewPartitions(name, count)])[name].result()
            actions.append(f"grew {name} from {current} to {count} partitions")
        entries = [ConfigEntry(key, value, incremental_operation=AlterConfigOpType.SET) for key, value in config.items()]
        resource = ConfigResource(ConfigResource.Type.TOPIC, name, incremental_configs=entries)
        admin.incremental_alter_configs([resource])[resource].result()
        actions.append(f"{name}: {current if current >= count else count} partitions, config {config}")
    return actions
