"""POST /api/v1/syslog: syslog messages over HTTP (rsyslog's omhttp, scripts, anything that can POST).

The body is RFC 5424 or RFC 3164 messages, one per line or octet-counted (RFC 6587), gzip welcome;
any Content-Type. Answers exactly like POST /api/v1/logs: 202 with accepted/rejected counts, the
rejected messages listed by index; 400 when none is usable; our error shape throughout.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.scoping import HasScope, caller_for_request
from devlogs.errors import ApiError
from devlogs.openapi import errors
from ingest.accept import now_ns
from ingest.parsing import BodyError, LineError, ParsedBody, Rejection, decompress, normalise_line
from ingest.submit import count_rejected_lines, submit_lines
from ingest.views import MAX_REJECTIONS_LISTED, limits_from_settings, read_body
from shippers.syslog import parse_message, split_frames, take_key, to_record


class RawBody(BaseContentNegotiation):
    """The body is read raw whatever its Content-Type (omhttp says application/json for plain lines)."""

    def select_parser(self, request, parsers):
        return None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def parse_syslog_body(data: bytes, *, received_ns: int, limits) -> ParsedBody:
    """Every message of the body normalised, or rejected with the reason; BodyError for the framing."""
    frames = split_frames(data)
    if not frames:
        raise BodyError(400, "empty_body", "The body holds no syslog messages.", "body")
    if len(frames) > limits.max_lines:
        raise BodyError(413, "too_many_lines",
                        f"The body holds {len(frames)} messages; at most {limits.max_lines} per request.", "body")
    parsed = ParsedBody(size_bytes=len(data))
    for index, frame in enumerate(frames):
        try:
            message = parse_message(frame, received_ns=received_ns)
            take_key(message)  # over HTTP the request's key decides; a key in the message is never stored
            line, truncated = normalise_line(to_record(message), received_ns=received_ns, limits=limits)
        except LineError as exc:
            parsed.rejected.append(Rejection(index, exc.code, exc.message, exc.field))
            continue
        line["index"] = index
        parsed.lines.append(line)
        parsed.truncated += truncated
    return parsed


class SyslogIngestView(APIView):
    """Syslog lines over HTTP, into the same queue as every other protocol."""

    permission_classes = [HasScope]
    required_scope = "ingest"
    content_negotiation_class = RawBody
    parser_classes: list = []

    @extend_schema(
        request={"text/plain": OpenApiTypes.STR},
        responses={202: inline_serializer("SyslogAccepted", {
            "accepted": serializers.IntegerField(), "rejected_count": serializers.IntegerField(),
            "rejected": serializers.ListField(child=serializers.DictField()),
            "truncated": serializers.IntegerField()}), **errors(400, 401, 403, 413, 415, 429, 503)},
        description="RFC 5424 / RFC 3164 messages, one per line or octet-counted; gzip welcome. "
                    "See docs/shippers-bulk-syslog.md.")
    def post(self, request):
        caller = caller_for_request(request)
        limits = limits_from_settings()
        received_ns = now_ns()
        try:
            body = read_body(request, limits.max_body_bytes)
            data = decompress(body, request.headers.get("Content-Encoding"), limits.max_decompressed_bytes)
            if not data.strip():
                raise BodyError(400, "empty_body", "The body is empty; send at least one syslog message.", "body")
            parsed = parse_syslog_body(data, received_ns=received_ns, limits=limits)
        except BodyError as exc:
            raise ApiError(exc.status, exc.code, exc.message, field=exc.field) from None
        rejected = [r.as_dict() for r in parsed.rejected[:MAX_REJECTIONS_LISTED]]
        count_rejected_lines(caller=caller, codes=(r.code for r in parsed.rejected))
        if not parsed.lines:
            if len(parsed.rejected) == 1:
                only = parsed.rejected[0]
                raise ApiError(400, only.code, only.message, field=only.field,
                               extra={"accepted": 0, "rejected": rejected})
            raise ApiError(400, "no_valid_lines", f"None of the {len(parsed.rejected)} messages is valid.",
                           field="body", extra={"accepted": 0, "rejected": rejected})
        submit_lines(caller=caller, lines=parsed.lines, received_ns=received_ns, size_bytes=parsed.size_bytes,
                     protocol="syslog")
        return Response({"accepted": len(parsed.lines), "rejected_count": len(parsed.rejected),
                         "rejected": rejected, "truncated": parsed.truncated}, status=202)
