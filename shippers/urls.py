"""Endpoints that speak existing log shippers' protocols (OTLP, Loki, Elasticsearch bulk, syslog)."""

from django.urls import path, re_path

from shippers.es_views import BulkView, ClusterHealthView, ClusterInfoView, LicenseView, UnknownEsEndpointView
from shippers.loki_view import LokiPushView
from shippers.otlp_view import OtlpLogsView
from shippers.syslog_views import SyslogIngestView

urlpatterns: list = [
    path("v1/logs", OtlpLogsView.as_view(), name="otlp-logs"),
    path("otlp/v1/logs", OtlpLogsView.as_view(), name="otlp-logs-prefixed"),
    path("loki/api/v1/push", LokiPushView.as_view(), name="loki-push"),
    # Elasticsearch _bulk subset (shippers/es_views.py); "es" and "es/" both, as clients differ.
    path("es", ClusterInfoView.as_view()),
    path("es/", ClusterInfoView.as_view(), name="es-info"),
    path("es/_bulk", BulkView.as_view(), name="es-bulk"),
    path("es/_license", LicenseView.as_view(), name="es-license"),
    path("es/_cluster/health", ClusterHealthView.as_view(), name="es-health"),
    path("es/<str:index>/_bulk", BulkView.as_view(), name="es-index-bulk"),
    re_path(r"^es/.*$", UnknownEsEndpointView.as_view()),
    path("api/v1/syslog", SyslogIngestView.as_view(), name="syslog"),
]
