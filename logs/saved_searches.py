"""Saved searches: per tenant, shared with its members. Viewers read; members and up write."""

from django.db import IntegrityError, transaction
from rest_framework import serializers
from rest_framework.generics import ListCreateAPIView, RetrieveUpdateDestroyAPIView

from accounts.scoping import WRITERS, HasRole, caller_for_request
from devlogs.errors import ApiError
from logs.models import SavedSearch
from logs.query_validation import validate_query_text


class SavedSearchSerializer(serializers.ModelSerializer):
    class Meta:
        model = SavedSearch
        fields = ["id", "name", "query", "options", "created_by", "created_at", "updated_at"]
        read_only_fields = ["id", "created_by", "created_at", "updated_at"]

    def validate_query(self, value: str) -> str:
        return validate_query_text(value)

    def validate_options(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("options must be an object")
        return value


class _Scoped:
    serializer_class = SavedSearchSerializer
    permission_classes = [HasRole]
    write_roles = WRITERS

    def get_queryset(self):
        return caller_for_request(self.request).rows(SavedSearch)

    def perform_save(self, serializer, **extra):
        try:
            with transaction.atomic():  # a savepoint: the clash must not break the request's transaction
                serializer.save(**extra)
        except IntegrityError:
            raise ApiError(409, "name_taken", "This tenant already has a saved search with that name.",
                           field="name") from None


class SavedSearchList(_Scoped, ListCreateAPIView):
    """GET lists the tenant's saved searches; POST saves one (members and up)."""

    pagination_class = None

    def perform_create(self, serializer):
        caller = caller_for_request(self.request)
        self.perform_save(serializer, tenant=caller.tenant, created_by=caller.actor)


class SavedSearchDetail(_Scoped, RetrieveUpdateDestroyAPIView):
    """GET, PATCH (rename, change the query), DELETE one saved search."""

    http_method_names = ["get", "patch", "delete", "head", "options"]

    def perform_update(self, serializer):
        self.perform_save(serializer)
