"""POST /api/v1/logs: the front door of the ingest path.

request → ingest.parsing (validate, normalise) → ingest.accept (stamp, queue durably)
→ 202. Then processing/ takes over.
"""

import logging

from django.conf import settings
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
from ingest.idempotency import (IdempotencyKeyReused, InvalidIdempotencyKey, check_key, check_same_body, event_ids,
                                first_receipt_ns)
from ingest.parsing import BodyError, Limits, parse_body
from ingest.submit import count_rejected_lines, submit_lines

log = logging.getLogger("devlogs.ingest")

MAX_REJECTIONS_LISTED = 100


def limits_from_settings() -> Limits:
    return Limits(
        max_body_bytes=settings.DEVLOGS_MAX_BODY_BYTES,
        max_decompressed_bytes=settings.DEVLOGS_MAX_DECOMPRESSED_BYTES,
        max_lines=settings.DEVLOGS_MAX_LINES_PER_REQUEST,
        max_message_bytes=settings.DEVLOGS_MAX_MESSAGE_BYTES,
        max_attributes_bytes=settings.DEVLOGS_MAX_ATTRIBUTES_BYTES,
        max_future_seconds=settings.DEVLOGS_MAX_FUTURE_SECONDS,
        max_attributes_depth=settings.DEVLOGS_MAX_ATTRIBUTES_DEPTH,
    )


class RawBodyNegotiation(BaseContentNegotiation):
    """For every ingest endpoint that reads its body itself (read_body): no DRF parser ever runs,
    and the endpoint's own answer type stands, whatever the shipper's Accept header says (ES
    clients send `application/vnd.elasticsearch+json`, omhttp says application/json for plain
    lines): never a 406 or 415 from DRF."""

    def select_parser(self, request, parsers):
        return None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def read_body(request, max_bytes: int) -> bytes:
    """The raw body, refusing more than max_bytes before reading it where the length is declared."""
    declared = request.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise BodyError(413, "body_too_large", f"The body exceeds {max_bytes} bytes.", "body")
    body = request._request.read(max_bytes + 1)
    if len(body) > max_bytes:
        raise BodyError(413, "body_too_large", f"The body exceeds {max_bytes} bytes.", "body")
    return body


class IngestView(APIView):
    """Accepts one JSON object, a JSON array of objects, or NDJSON; gzip welcome."""

    permission_classes = [HasScope]
    required_scope = "ingest"
    content_negotiation_class = RawBodyNegotiation
    parser_classes: list = []  # read_body reads it

    @extend_schema(
        request={"application/json": OpenApiTypes.OBJECT, "application/x-ndjson": OpenApiTypes.STR},
        responses={202: inline_serializer("Accepted", {
            "accepted": serializers.IntegerField(), "rejected_count": serializers.IntegerField(),
            "rejected": serializers.ListField(child=serializers.DictField()),
            "truncated": serializers.IntegerField()}), **errors(400, 403, 413, 415, 422, 429, 503)},
        description="One JSON object, an array of objects, or NDJSON; gzip welcome. See docs/ingest.md.")
    def post(self, request):
        caller = caller_for_request(request)
        limits = limits_from_settings()
        received_ns = now_ns()
        idempotency_key = request.headers.get("Idempotency-Key")
        if idempotency_key is not None:
            try:
                check_key(idempotency_key)
            except InvalidIdempotencyKey as exc:
                raise ApiError(400, "invalid_idempotency_key", str(exc), field="Idempotency-Key") from None
            received_ns = first_receipt_ns(app_id=caller.key.app_id, key=idempotency_key, received_ns=received_ns)
        try:
            body = read_body(request, limits.max_body_bytes)
            parsed = parse_body(body, content_type=request.headers.get("Content-Type"),
                                content_encoding=request.headers.get("Content-Encoding"),
                                received_ns=received_ns, limits=limits, digest=idempotency_key is not None)
        except BodyError as exc:
            raise ApiError(exc.status, exc.code, exc.message, field=exc.field) from None
        if idempotency_key is not None:
            try:
                check_same_body(app_id=caller.key.app_id, key=idempotency_key, body_sha256=parsed.content_sha256)
            except IdempotencyKeyReused as exc:
                raise ApiError(422, "idempotency_key_reused", str(exc), field="Idempotency-Key") from None
        ids = None if idempotency_key is None else event_ids(
            app_id=caller.key.app_id, key=idempotency_key, received_ns=received_ns,
            count=len(parsed.lines) + len(parsed.rejected))
        return accept_parsed(caller=caller, parsed=parsed, received_ns=received_ns, event_ids=ids)


def accept_parsed(*, caller, parsed, received_ns: int, event_ids=None, protocol: str = "json",
                  noun: str = "lines") -> Response:
    """Queue a parsed body's good lines and answer 202 with the rejected ones listed (400 when none is good).

    Our own answer shape, shared by every endpoint that speaks it (/api/v1/logs, /api/v1/syslog).
    """
    rejected = [r.as_dict() for r in parsed.rejected[:MAX_REJECTIONS_LISTED]]
    count_rejected_lines(caller=caller, codes=(r.code for r in parsed.rejected))
    if not parsed.lines:
        if len(parsed.rejected) == 1:
            only = parsed.rejected[0]
            raise ApiError(400, only.code, only.message, field=only.field,
                           extra={"accepted": 0, "rejected": rejected})
        raise ApiError(400, "no_valid_lines", f"None of the {len(parsed.rejected)} {noun} is valid.",
                       field="body", extra={"accepted": 0, "rejected": rejected})
    submit_lines(caller=caller, lines=parsed.lines, received_ns=received_ns, size_bytes=parsed.size_bytes,
                 event_ids=event_ids, protocol=protocol)
    return Response({"accepted": len(parsed.lines), "rejected_count": len(parsed.rejected),
                     "rejected": rejected, "truncated": parsed.truncated}, status=202)
