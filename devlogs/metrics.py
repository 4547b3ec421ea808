"""Prometheus metrics for every role (docs/operations.md lists them; deploy/grafana has a dashboard).

One registry per process. The web role serves it at /metrics; processors, alert workers and
syslog listeners serve it on their health port. Labels are bounded: tenants are few, and named
by id, never by slug or name; reasons are our error codes, partitions are the topic's.
"""

import hmac

from django.conf import settings
from django.http import HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

INGEST_LINES = Counter("devlogs_ingest_lines_total", "Lines accepted (durably queued).", ["tenant", "protocol"])
INGEST_BYTES = Counter("devlogs_ingest_bytes_total", "Decompressed request bytes accepted.", ["tenant", "protocol"])
INGEST_REJECTED = Counter("devlogs_ingest_rejected_lines_total",
                          "Lines refused, by reason (a line's error code, or the request's: rate_limited, "
                          "daily_quota_exceeded, queue_unavailable).", ["tenant", "reason"])
QUEUE_PUBLISH_SECONDS = Histogram("devlogs_queue_publish_seconds",
                                  "From handing lines to the queue to their being durable (Kafka: all delivery "
                                  "reports in).", ["queue"],
                                  buckets=(.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30))
PRODUCER_QUEUE_DEPTH = Gauge("devlogs_producer_queue_messages", "Messages waiting in the Kafka producer's buffer.")

PROCESSOR_BATCH_LINES = Histogram("devlogs_processor_batch_lines", "Lines per stored batch.",
                                  buckets=(1, 10, 100, 500, 1000, 2500, 5000, 10_000, 25_000, 50_000))
PROCESSOR_WRITE_SECONDS = Histogram("devlogs_processor_write_seconds", "Time to store one batch (with retries).",
                                    buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60))
PROCESSOR_LINES = Counter("devlogs_processor_lines_total", "Lines stored and acknowledged by processors.")
PROCESSOR_DEAD_LETTERS = Counter("devlogs_processor_dead_letters_total", "Messages set aside as dead letters.")
PROCESSOR_RETRIES = Counter("devlogs_processor_write_retries_total", "Batch writes retried after a failure.")
PROCESSOR_LAG = Gauge("devlogs_processor_lag_messages",
                      "Messages between the committed position and the end of each assigned partition.",
                      ["partition"])

LIVE_CLIENTS = Gauge("devlogs_live_clients", "Open live-tail connections.", ["transport"])
LIVE_SKIPPED = Counter("devlogs_live_skipped_lines_total", "Lines a slow live-tail client did not receive.")

SYSLOG_UDP_KERNEL_DROPPED = Gauge("devlogs_syslog_udp_kernel_dropped",
                                  "UDP syslog datagrams the kernel dropped since the listener started (its receive "
                                  "buffer was full): send bursts over TCP.")
ALERT_EVALUATIONS = Counter("devlogs_alert_evaluations_total", "Alert rule evaluations, by outcome.", ["outcome"])
ALERT_NOTIFICATIONS = Counter("devlogs_alert_notifications_total", "Notification deliveries, by channel kind "
                              "and result.", ["kind", "result"])


def exposition() -> tuple[bytes, str]:
    return generate_latest(), CONTENT_TYPE_LATEST


def metrics_view(request):
    """GET /metrics. With DEVLOGS_METRICS_TOKEN set, only `Authorization: Bearer <token>` may scrape.
    In production posture without a token the web role serves none: its port faces the world, while
    the workers' health ports (which serve the same figures) are internal."""
    token = settings.DEVLOGS_METRICS_TOKEN
    if not token and settings.DEVLOGS_PRODUCTION:
        return HttpResponse("metrics on the web role need DEVLOGS_METRICS_TOKEN in production "
                            "(docs/operations.md#metrics-metrics)\n", status=403, content_type="text/plain")
    if token:
        presented = request.headers.get("Authorization", "")
        if not hmac.compare_digest(presented.encode(), f"Bearer {token}".encode()):
            return HttpResponse("metrics need the scrape token\n", status=401, content_type="text/plain")
    body, content_type = exposition()
    return HttpResponse(body, content_type=content_type)
