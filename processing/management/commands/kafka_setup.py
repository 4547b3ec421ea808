"""Create or update the Kafka topics (lines and dead letters). Idempotent."""

from django.conf import settings
from django.core.management.base import BaseCommand

from processing.kafka_admin import ensure_topics


class Command(BaseCommand):
    help = "Create the Kafka topics, or bring partitions and retention up to the settings."

    def add_arguments(self, parser):
        parser.add_argument("--partitions", type=int, default=None, help="KAFKA_PARTITIONS")
        parser.add_argument("--replication-factor", type=int, default=None, help="KAFKA_REPLICATION_FACTOR")
        parser.add_argument("--retention-hours", type=int, default=None, help="KAFKA_RETENTION_HOURS")

    def handle(self, *args, partitions, replication_factor, retention_hours, **options):
        for action in ensure_topics(settings, partitions=partitions, replication=replication_factor,
                                    retention_hours=retention_hours):
            self.stdout.write(action)
