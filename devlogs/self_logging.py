"""devlogs shipping its own logs into one of its tenants (docs/operations.md, "devlogs' own logs")."""

import logging


class NotAboutShipping(logging.Filter):
    """Keeps the shipper's own records, and the request log of ingest calls, out of what it ships:
    a failing ingest call must not produce a record that makes another ingest call."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("devlogs_client"):
            return False
        if record.name == "django.request" and "/api/v1/logs" in record.getMessage():
            return False
        return True


def handler_config(*, url: str, api_key: str, level: str, service: str) -> dict:
    """The LOGGING `handlers` entry for DevlogsHandler (empty url or key: none)."""
    if not (url and api_key):
        return {}
    return {"devlogs": {"class": "devlogs_client.DevlogsHandler", "url": url, "api_key": api_key,
                        "level": level, "service": service, "filters": ["not_about_shipping"]}}
