"""One JSON error shape for every endpoint.

    {"error": {"status": 400, "code": "invalid_json", "message": "...", "field": null}}

Views raise ApiError; DRF's own exceptions (authentication, permissions, throttling,
parse errors) are reshaped by api_exception_handler so clients only ever see this.
"""

import logging

from django import db
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler


log = logging.getLogger("devlogs.errors")

# How long a client is told to wait when the database cannot serve the request.
DATABASE_RETRY_AFTER_SECONDS = 5


class ApiError(exceptions.APIException):
    """An error a client can act on: an HTTP status, a stable code, a message, a field."""

    def __init__(self, status_code: int, code: str, message: str, *, field: str | None = None,
                 headers: dict[str, str] | None = None, extra: dict | None = None):
        super().__init__(detail=message, code=code)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.field = field
        self.headers = headers or {}
        self.extra = extra or {}


def error_body(status_code: int, code: str, message: str, field: str | None = None, **extra) -> dict:
    return {"error": {"status": status_code, "code": code, "message": message, "field": field, **extra}}


def json_error(status_code: int, code: str, message: str, field: str | None = None, **extra) -> JsonResponse:
    return JsonResponse(error_body(status_code, code, message, field, **extra), status=status_code)


def _database_errors() -> tuple[type[BaseException], ...]:
    # Django wraps psycopg's errors (psycopg_pool.PoolTimeout, PoolClosed and TooManyRequests are
    # psycopg.OperationalError, so Django raises them as django.db.OperationalError); the unwrapped
    # ones are listed too, for code that reaches the pool or psycopg directly.
    errors: tuple[type[BaseException], ...] = (db.OperationalError, db.InterfaceError)
    try:
        import psycopg
    except ImportError:
        return errors
    return (*errors, psycopg.OperationalError, psycopg.InterfaceError)


DATABASE_ERRORS = _database_errors()


def database_unavailable(exc: BaseException) -> "ApiError | None":
    """503 with Retry-After for the database being down, unreachable, out of connections (the pool's
    timeout) or too busy; None for any other exception. Nothing was accepted: the client retries."""
    if not isinstance(exc, DATABASE_ERRORS):
        return None
    log.error("database unavailable, answering 503: %s: %s", type(exc).__name__, exc)
    return ApiError(503, "database_unavailable",
                    "The database cannot serve this request right now; nothing was accepted. Retry shortly.",
                    headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)})


_DRF_CODES = {
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.ParseError: "malformed_body",
    exceptions.Throttled: "rate_limited",
    exceptions.NotAcceptable: "not_acceptable",
}


def _first_field_error(detail) -> tuple[str | None, str]:
    if isinstance(detail, dict):
        for field, value in detail.items():
            _, message = _first_field_error(value)
            return (None if field == "non_field_errors" else str(field)), message
    if isinstance(detail, list) and detail:
        return _first_field_error(detail[0])
    return None, str(detail)


def api_exception_handler(exc, context):
    exc = database_unavailable(exc) or exc
    if isinstance(exc, ApiError):
        response = Response(error_body(exc.status_code, exc.code, exc.message, exc.field, **exc.extra),
                            status=exc.status_code)
        for name, value in exc.headers.items():
            response[name] = value
        return response
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("Not found in this tenant.")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None  # an unexpected exception: Django's 500 handler answers in JSON for the API
    if isinstance(exc, exceptions.ValidationError):
        field, message = _first_field_error(exc.detail)
        code = "invalid"
    else:
        field, message = None, str(exc.detail)
        code = next((c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), "error")
    response.data = error_body(response.status_code, code, message, field)
    return response


def handler404(request, exception=None):
    return json_error(status.HTTP_404_NOT_FOUND, "not_found", f"No endpoint at {request.path}")


def handler500(request):
    return json_error(status.HTTP_500_INTERNAL_SERVER_ERROR, "internal_error",
                      "The server failed to handle this request; it has been logged.")
