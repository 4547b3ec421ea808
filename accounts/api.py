"""The tenant's apps and API keys, for its owners and admins (the dashboard's Apps & keys page)."""

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils.text import slugify
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema

from accounts.audit import record
from accounts.keys import VALID_SCOPES, api_key_create, api_key_revoke, api_key_rotate
from accounts.models import ApiKey, App
from accounts.scoping import MANAGERS, HasRole, caller_for_request
from devlogs.errors import ApiError
from devlogs.openapi import errors

OBJECT = OpenApiResponse(OpenApiTypes.OBJECT)


def app_json(app: App) -> dict:
    return {"slug": app.slug, "name": app.name}


def key_json(key: ApiKey) -> dict:
    return {"id": key.id, "prefix": key.prefix, "name": key.name, "app": key.app.slug, "scopes": key.scopes,
            "created_at": key.created_at, "expires_at": key.expires_at, "revoked_at": key.revoked_at,
            "last_used_at": key.last_used_at, "active": key.is_usable(), "lines_per_second": key.lines_per_second,
            "rotated_from": key.rotated_from.prefix if key.rotated_from_id else None}


class AppCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    slug = serializers.SlugField(max_length=100, required=False)


class KeyCreateSerializer(serializers.Serializer):
    app = serializers.SlugField()
    name = serializers.CharField(max_length=200, required=False, default="")
    scopes = serializers.ListField(child=serializers.ChoiceField(choices=sorted(VALID_SCOPES)), min_length=1)
    expires_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    lines_per_second = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1)


class KeyRotateSerializer(serializers.Serializer):
    grace_hours = serializers.FloatField(required=False, default=24, min_value=0, max_value=24 * 90,
                                         help_text="How long the old key keeps working.")


class AppsView(APIView):
    """GET: the tenant's apps (read). POST: create one (owner/admin)."""

    permission_classes = [HasRole]
    write_roles = MANAGERS

    @extend_schema(responses={200: OBJECT, **errors(403)})
    def get(self, request):
        return Response({"results": [app_json(app) for app in caller_for_request(request).apps()]})

    @extend_schema(request=AppCreateSerializer, responses={201: OBJECT, **errors(400, 403, 409)})
    def post(self, request):
        caller = caller_for_request(request)
        data = AppCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        slug = data.validated_data.get("slug") or slugify(data.validated_data["name"])
        if not slug:
            raise ApiError(400, "invalid", "Give the app a name with letters or digits, or a slug.", field="slug")
        try:
            with transaction.atomic():
                app = App.objects.create(tenant=caller.tenant, name=data.validated_data["name"], slug=slug)
        except IntegrityError:
            raise ApiError(409, "slug_taken", f"This tenant already has an app '{slug}'.", field="slug") from None
        record(tenant=caller.tenant, actor=caller.actor, action="app.created", app=slug)
        return Response(app_json(app), status=201)


class KeysView(APIView):
    """GET: the tenant's keys (owner/admin; never the secrets). POST: create one; the key is in the answer, once."""

    permission_classes = [HasRole]
    write_roles = MANAGERS

    @extend_schema(responses={200: OBJECT, **errors(403)})
    def get(self, request):
        caller = caller_for_request(request)
        if not caller.has_role(MANAGERS):
            raise ApiError(403, "permission_denied", "Only the tenant's owners and admins see its keys.")
        keys = caller.rows(ApiKey).select_related("app", "rotated_from")
        return Response({"results": [key_json(key) for key in keys]})

    @extend_schema(request=KeyCreateSerializer, responses={201: OBJECT, **errors(400, 403)})
    def post(self, request):
        caller = caller_for_request(request)
        data = KeyCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        app = caller.apps().filter(slug=data.validated_data["app"]).first()
        if app is None:
            raise ApiError(400, "unknown_app", f"This tenant has no app '{data.validated_data['app']}'.", field="app")
        key, raw = api_key_create(app=app, scopes=data.validated_data["scopes"], name=data.validated_data["name"],
                                  expires_at=data.validated_data["expires_at"],
                                  lines_per_second=data.validated_data["lines_per_second"], actor=caller.actor)
        return Response({**key_json(key), "key": raw}, status=201)


class KeyRevokeView(APIView):
    """POST: revoke one of the tenant's keys (owner/admin)."""

    permission_classes = [HasRole]
    write_roles = MANAGERS

    @extend_schema(request=None, responses={200: OBJECT, **errors(403, 404)})
    def post(self, request, key_id: int):
        caller = caller_for_request(request)
        key = caller.rows(ApiKey).filter(pk=key_id).select_related("app").first()
        if key is None:
            raise ApiError(404, "not_found", "No such key in this tenant.")
        api_key_revoke(key=key, actor=caller.actor)
        return Response(key_json(key))


class KeyRotateView(APIView):
    """POST: replace one of the tenant's keys (owner/admin). The new key is in the answer, once;
    the old one keeps working for `grace_hours`, then expires."""

    permission_classes = [HasRole]
    write_roles = MANAGERS

    @extend_schema(request=KeyRotateSerializer, responses={201: OBJECT, **errors(400, 403, 404)})
    def post(self, request, key_id: int):
        caller = caller_for_request(request)
        data = KeyRotateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        key = caller.rows(ApiKey).filter(pk=key_id).select_related("app").first()
        if key is None:
            raise ApiError(404, "not_found", "No such key in this tenant.")
        try:
            new, raw = api_key_rotate(key=key, grace=timedelta(hours=data.validated_data["grace_hours"]),
                                      actor=caller.actor)
        except ValueError as exc:
            raise ApiError(400, "key_not_active", str(exc)) from None
        key.refresh_from_db()
        return Response({**key_json(new), "key": raw, "previous": key_json(key)}, status=201)
