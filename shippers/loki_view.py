"""POST /loki/api/v1/push: Loki's push API for Promtail, Alloy, Grafana Agent, Fluent Bit, Vector…"""

from django.http import HttpResponse
from drf_spectacular.utils import extend_schema

from accounts.scoping import caller_for_request
from devlogs.errors import ApiError
from ingest.accept import now_ns
from ingest.parsing import normalise_records
from ingest.submit import count_rejected_lines, submit_lines
from ingest.views import limits_from_settings
from shippers import loki
from shippers.lines import summarise_rejections
from shippers.protocol_view import ShipperView


def loki_error(status: int, message: str) -> HttpResponse:
    """Loki answers errors as plain text with the HTTP status."""
    return HttpResponse(message.rstrip() + "\n", status=status, content_type="text/plain; charset=utf-8")


class LokiPushView(ShipperView):
    """logproto.PushRequest as snappy-compressed protobuf or JSON (gzip welcome on either); 204 when stored.

    Like Loki, entries that fail validation are dropped while the rest of the push is stored, and
    the answer is then 400 naming them: shippers do not retry a 400, so nothing is doubled.
    """

    def protocol_error(self, request, *, status, code, message):
        return loki_error(status, message)

    # Not in the OpenAPI schema: it speaks Loki's protocol, not our API (docs/shippers.md describes it).
    @extend_schema(exclude=True)
    def post(self, request):
        caller = caller_for_request(request)
        limits = limits_from_settings()
        received_ns = now_ns()
        encoding = loki.encoding_for(request.headers.get("Content-Type"))
        if encoding is None:
            raise ApiError(415, "unsupported_media_type",
                           "Loki push bodies are application/x-protobuf (snappy) or application/json.",
                           field="Content-Type")
        data = self.read_payload(request, limits)
        if encoding == loki.PROTOBUF:
            data = loki.unsnappy(data, limits.max_decompressed_bytes)
        records = loki.records_of(data, encoding=encoding, received_ns=received_ns)
        parsed = normalise_records(records, size_bytes=len(data), received_ns=received_ns, limits=limits,
                                   noun="log records")
        count_rejected_lines(caller=caller, codes=(r.code for r in parsed.rejected))
        if parsed.lines:
            submit_lines(caller=caller, lines=parsed.lines, received_ns=received_ns, size_bytes=parsed.size_bytes,
                         protocol="loki")
        if parsed.rejected:
            return loki_error(400, summarise_rejections(parsed, total=len(records), noun="entries"))
        return HttpResponse(status=204)
