"""POST /api/v1/syslog: syslog messages over HTTP (rsyslog's omhttp, scripts, anything that can POST).

The body is RFC 5424 or RFC 3164 messages, one per line or octet-counted (RFC 6587), gzip welcome;
any Content-Type. Answers exactly like POST /api/v1/logs: 202 with accepted/rejected counts, the
rejected messages listed by index; 400 when none is usable; our error shape throughout.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.views import APIView

from accounts.scoping import HasScope, caller_for_request
from devlogs.errors import ApiError
from devlogs.openapi import errors
from ingest.accept import now_ns
from ingest.parsing import (FORM_TYPES, BodyError, ParsedBody, check_count, decompress, is_blank, media_type,
                            normalise_records, record_or_rejection)
from ingest.views import RawBodyNegotiation, accept_parsed, limits_from_settings, read_body
from shippers.syslog import parse_message, split_frames, take_key, to_record


def _record_of(frame: bytes, received_ns: int) -> dict:
    message = parse_message(frame, received_ns=received_ns)
    take_key(message)  # over HTTP the request's key decides; a key in the message is never stored
    return to_record(message)


def parse_syslog_body(data: bytes, *, received_ns: int, limits) -> ParsedBody:
    """Every message of the body normalised, or rejected with the reason; BodyError for the framing."""
    frames = split_frames(data)
    if not frames:
        raise BodyError(400, "empty_body", "The body holds no syslog messages.", "body")
    check_count(len(frames), limits=limits, noun="messages")  # before any is parsed
    return normalise_records([record_or_rejection(_record_of, frame, received_ns) for frame in frames], size_bytes=len(data),
                             received_ns=received_ns, limits=limits, noun="messages")


class SyslogIngestView(APIView):
    """Syslog lines over HTTP, into the same queue as every other protocol."""

    permission_classes = [HasScope]
    required_scope = "ingest"
    content_negotiation_class = RawBodyNegotiation
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
        if media_type(request.content_type) in FORM_TYPES:  # any other type is taken as syslog text
            raise ApiError(415, "unsupported_media_type", "A form body is not syslog; send the messages as text/plain.",
                           field="Content-Type")
        limits = limits_from_settings()
        received_ns = now_ns()
        try:
            body = read_body(request, limits.max_body_bytes)
            data = decompress(body, request.headers.get("Content-Encoding"), limits.max_decompressed_bytes)
            if is_blank(data):
                raise BodyError(400, "empty_body", "The body is empty; send at least one syslog message.", "body")
            parsed = parse_syslog_body(data, received_ns=received_ns, limits=limits)
        except BodyError as exc:
            raise ApiError(exc.status, exc.code, exc.message, field=exc.field) from None
        return accept_parsed(caller=caller, parsed=parsed, received_ns=received_ns, protocol="syslog",
                             noun="messages")
