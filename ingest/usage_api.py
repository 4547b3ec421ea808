"""GET /api/v1/usage: what the tenant has sent today and what it may send."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.scoping import HasScope, caller_for_request
from devlogs.openapi import errors
from ingest.quotas import usage


def usage_json(tenant) -> dict:
    today = usage(tenant)
    limits = {"lines_per_second": tenant.ingest_lines_per_second, "bytes_per_day": tenant.ingest_bytes_per_day}
    if today is None:
        return {"tenant": tenant.slug, "day": None, "lines": None, "bytes": None, "limits": limits,
                "bytes_remaining": None, "available": False}
    remaining = None if tenant.ingest_bytes_per_day is None else max(0, tenant.ingest_bytes_per_day - today.bytes)
    return {"tenant": tenant.slug, "day": today.day, "lines": today.lines, "bytes": today.bytes, "limits": limits,
            "bytes_remaining": remaining, "available": True}


class UsageView(APIView):
    """Today's (UTC) admitted lines and bytes, the tenant's limits and what remains."""

    permission_classes = [HasScope]
    required_scope = "read"

    @extend_schema(responses={200: inline_serializer("Usage", {
        "tenant": serializers.CharField(), "day": serializers.DateField(allow_null=True),
        "lines": serializers.IntegerField(allow_null=True), "bytes": serializers.IntegerField(allow_null=True),
        "limits": serializers.DictField(), "bytes_remaining": serializers.IntegerField(allow_null=True),
        "available": serializers.BooleanField()}), **errors(401, 403)})
    def get(self, request):
        return Response(usage_json(caller_for_request(request).tenant))
