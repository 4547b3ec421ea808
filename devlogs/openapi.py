"""OpenAPI descriptions shared by the views: the error shape, the entry shape, common parameters."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.ApiKeyAuthentication"
    name = ["BearerKey", "HeaderKey"]

    def get_security_definition(self, auto_schema):
        return [{"type": "http", "scheme": "bearer", "description": "Authorization: Bearer dl_<kind>_…"},
                {"type": "apiKey", "in": "header", "name": "X-API-Key"}]


class ClientCertificateScheme(OpenApiAuthenticationExtension):
    """Left out of the schema: OpenAPI 3.0 has no mutual-TLS scheme, and clients never send the
    proxy's certificate headers themselves (docs/security.md)."""

    target_class = "accounts.authentication.ClientCertificateAuthentication"
    name = []

    def get_security_requirement(self, auto_schema):
        return None

    def get_security_definition(self, auto_schema):
        return []


class ErrorDetail(serializers.Serializer):
    status = serializers.IntegerField()
    code = serializers.CharField(help_text="stable, machine-readable, e.g. invalid_query")
    message = serializers.CharField(help_text="what is wrong and what to do")
    field = serializers.CharField(allow_null=True, help_text="the parameter, header or body part at fault")


class Error(serializers.Serializer):
    error = ErrorDetail()


class Entry(serializers.Serializer):
    id = serializers.UUIDField()
    time = serializers.DateTimeField()
    received_at = serializers.DateTimeField()
    app = serializers.CharField()
    level = serializers.ChoiceField(choices=["trace", "debug", "info", "warn", "error", "fatal"])
    message = serializers.CharField()
    service = serializers.CharField()
    host = serializers.CharField()
    trace_id = serializers.CharField()
    span_id = serializers.CharField()
    attributes = serializers.DictField()


def errors(*statuses: int) -> dict:
    return {status: OpenApiResponse(Error, description="error") for status in (*statuses, 401)}


def page_of(serializer, name: str):
    return inline_serializer(name, {"results": serializer(many=True),
                                    "next_cursor": serializers.CharField(allow_null=True)})


SEARCH_PARAMETERS = [
    OpenApiParameter("q", OpenApiTypes.STR, description="query language: docs/query-language.md"),
    OpenApiParameter("since", OpenApiTypes.STR, description="RFC 3339 time or epoch (s/ms/µs/ns)"),
    OpenApiParameter("until", OpenApiTypes.STR, description="RFC 3339 time or epoch, exclusive"),
    OpenApiParameter("app", OpenApiTypes.STR, description="an app's slug (same as q=app:<slug>)"),
    OpenApiParameter("level", OpenApiTypes.STR, description="minimum level (same as q=level:>=<level>)"),
]
