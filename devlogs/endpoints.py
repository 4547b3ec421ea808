"""Endpoints that join two apps' views on one URL."""

from ingest.views import IngestView
from logs.views import LogSearchView


class LogsEndpoint(LogSearchView, IngestView):
    """/api/v1/logs — GET searches (scope read), POST ingests (scope ingest)."""

    @property
    def required_scope(self) -> str:
        return "ingest" if self.request.method == "POST" else "read"
