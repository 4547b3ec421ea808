from django.apps import AppConfig


class IngestConfig(AppConfig):
    name = "ingest"

    def ready(self):
        from ingest.idempotency import forget_old_keys
        from logs.retention import also_run

        also_run(forget_old_keys)  # Idempotency-Keys past DEVLOGS_IDEMPOTENCY_HOURS, on retention's schedule
