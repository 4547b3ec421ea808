"""Endpoints that speak existing log shippers' protocols (OTLP, Loki, Elasticsearch bulk, syslog)."""

from django.urls import path

urlpatterns: list = [
]
