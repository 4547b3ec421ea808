"""POST /v1/logs and /otlp/v1/logs: OTLP/HTTP logs from OpenTelemetry SDKs and Collectors."""

from django.http import HttpResponse
from drf_spectacular.utils import extend_schema

from accounts.scoping import caller_for_request
from devlogs.errors import ApiError
from ingest.accept import now_ns
from ingest.parsing import normalise_records
from ingest.submit import count_rejected_lines, submit_lines
from ingest.views import limits_from_settings
from shippers import otlp
from shippers.lines import summarise_rejections
from shippers.protocol_view import ShipperView


class OtlpLogsView(ShipperView):
    """ExportLogsServiceRequest as protobuf or JSON, gzip welcome; answers in the request's encoding."""

    def protocol_error(self, request, *, status, code, message):
        encoding = otlp.answer_encoding(request.headers.get("Content-Type"))
        return HttpResponse(otlp.status_body(http_status=status, code=code, message=message, encoding=encoding),
                            status=status, content_type=otlp.MEDIA_TYPES[encoding])

    # Not in the OpenAPI schema: it speaks OTLP, not our API (docs/shippers.md describes it).
    @extend_schema(exclude=True)
    def post(self, request):
        caller = caller_for_request(request)
        limits = limits_from_settings()
        received_ns = now_ns()
        encoding = otlp.encoding_for(request.headers.get("Content-Type"))
        if encoding is None:
            raise ApiError(415, "unsupported_media_type",
                           "OTLP/HTTP bodies are application/x-protobuf or application/json.", field="Content-Type")
        data = self.read_payload(request, limits)
        records = otlp.records_of(otlp.decode_request(data, encoding), received_ns=received_ns)
        parsed = normalise_records(records, size_bytes=len(data), received_ns=received_ns, limits=limits,
                                   noun="log records")
        count_rejected_lines(caller=caller, codes=(r.code for r in parsed.rejected))
        summary = summarise_rejections(parsed, total=len(records), noun="log records") if parsed.rejected else ""
        if parsed.rejected and not parsed.lines:
            raise ApiError(400, "no_valid_records", summary, field="body")
        if parsed.lines:
            submit_lines(caller=caller, lines=parsed.lines, received_ns=received_ns, size_bytes=parsed.size_bytes,
                         protocol="otlp")
        return HttpResponse(otlp.export_response(rejected=len(parsed.rejected), message=summary, encoding=encoding),
                            status=200, content_type=otlp.MEDIA_TYPES[encoding])
