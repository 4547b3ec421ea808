"""The base of every shipper endpoint: our authentication and limits, the protocol's error shape.

A shipper endpoint authenticates and checks the `ingest` scope exactly like `POST /api/v1/logs`,
reads the body with the same size limit and bounded decompression, and hands lines to
`ingest.submit.submit_lines`. What differs is the answer: a shipper only understands its own
protocol, so every failure — a bad key, a malformed body, a full quota, a queue outage — is
turned into that protocol's error shape by `protocol_error`.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpResponse
from rest_framework import exceptions
from rest_framework.views import APIView

from accounts.scoping import HasScope
from devlogs.errors import ApiError, database_unavailable
from ingest.parsing import BodyError, Limits, decompress
from ingest.views import RawBodyNegotiation, read_body


def describe_failure(exc) -> tuple[int, str, str, dict[str, str]] | None:
    """(status, stable code, message, headers) for an exception a client caused, else None."""
    exc = database_unavailable(exc) or exc  # the database down: 503 with Retry-After, like the queue
    if isinstance(exc, ApiError):
        return exc.status_code, exc.code, exc.message, dict(exc.headers)
    if isinstance(exc, BodyError):
        return exc.status, exc.code, exc.message, {}
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    codes = exc.get_codes()
    code = codes if isinstance(codes, str) else exc.default_code
    return exc.status_code, code, str(exc.detail), headers


class ShipperView(APIView):
    """POST only; the `ingest` scope; errors in the protocol's own shape."""

    permission_classes = [HasScope]
    required_scope = "ingest"
    content_negotiation_class = RawBodyNegotiation
    http_method_names = ["post"]

    def protocol_error(self, request, *, status: int, code: str, message: str) -> HttpResponse:
        raise NotImplementedError

    def read_payload(self, request, limits: Limits) -> bytes:
        """The decompressed body; BodyError past the wire or decompressed size limits."""
        body = read_body(request, limits.max_body_bytes)
        return decompress(body, request.headers.get("Content-Encoding"), limits.max_decompressed_bytes)

    def get_exception_handler(self):
        return self._protocol_exception_handler

    def _protocol_exception_handler(self, exc, context):
        failure = describe_failure(exc)
        if failure is None:
            return None  # a bug, not the client's doing: Django's 500 handler answers and logs it
        status, code, message, headers = failure
        response = self.protocol_error(context["request"], status=status, code=code, message=message)
        for name, value in headers.items():
            response[name] = value
        return response
