"""The connection settings every Kafka client of devlogs shares (producers, consumers, the admin
client, the readiness probe): KAFKA_BOOTSTRAP_SERVERS plus KAFKA_CONFIG (docs/kafka.md)."""


def client_config(settings) -> dict:
    return {"bootstrap.servers": settings.KAFKA_BOOTSTRAP_SERVERS, **settings.KAFKA_CONFIG}
