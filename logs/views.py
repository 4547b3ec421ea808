"""The query API: tenant-scoped reads of stored lines."""

from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.scoping import HasScope, caller_for_request
from devlogs.errors import ApiError
from logs.entries import entry_from_row
from logs.filters import FilterError, LogFilters
from logs.gdpr import NotAllowed, delete_by_query
from logs.models import LogEntry
from logs.pagination import CursorError, page_newest_first

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


def scoped_entries(caller):
    """Every query of stored lines starts here: only the caller's tenant."""
    return LogEntry.objects.filter(tenant=caller.tenant)


def _limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise ApiError(400, "invalid_limit", f"'limit' must be a whole number from 1 to {MAX_LIMIT}.", field="limit")
    return int(raw)


class LogSearchView(APIView):
    """GET /api/v1/logs: newest first, filtered, cursor-paginated."""

    permission_classes = [HasScope]
    required_scope = "read"

    def get(self, request):
        caller = caller_for_request(request)
        try:
            filters = LogFilters.from_params(request.query_params)
            queryset = filters.apply(scoped_entries(caller), caller.tenant)
            rows, next_cursor = page_newest_first(queryset, limit=_limit(request.query_params.get("limit")),
                                                  cursor=request.query_params.get("cursor"))
        except FilterError as exc:
            raise ApiError(400, exc.code, exc.message, field=exc.field) from None
        except CursorError as exc:
            raise ApiError(400, "invalid_cursor", str(exc), field="cursor") from None
        slugs = dict(caller.apps().values_list("id", "slug"))
        return Response({"results": [entry_from_row(row, slugs.get(row.app_id, "")) for row in rows],
                         "next_cursor": next_cursor})


class AppListView(APIView):
    """GET /api/v1/apps: the apps of the caller's tenant."""

    permission_classes = [HasScope]
    required_scope = "read"

    def get(self, request):
        caller = caller_for_request(request)
        return Response({"results": [{"slug": app.slug, "name": app.name} for app in caller.apps()]})


class MeView(APIView):
    """GET /api/v1/me: who is calling and in which tenant."""

    def get(self, request):
        caller = caller_for_request(request)
        if caller.key is not None:
            return Response({"key": {"prefix": caller.key.prefix, "scopes": caller.key.scopes,
                                     "app": caller.key.app.slug},
                             "tenant": {"slug": caller.tenant.slug, "name": caller.tenant.name}, "tenants": []})
        memberships = caller.user.memberships.select_related("tenant").order_by("tenant__slug")
        return Response({
            "user": {"username": caller.user.get_username()},
            "tenant": {"slug": caller.tenant.slug, "name": caller.tenant.name, "role": caller.role},
            "tenants": [{"slug": m.tenant.slug, "name": m.tenant.name, "role": m.role} for m in memberships],
        })


class DeleteByQueryView(APIView):
    """POST /api/v1/logs/delete: delete the caller's lines matching filters (owner/admin, audited)."""

    def post(self, request):
        caller = caller_for_request(request)
        if not isinstance(request.data, dict):
            raise ApiError(400, "invalid_body", "Send a JSON object of filters: app, level, since, until, q.",
                           field="body")
        try:
            filters = LogFilters.from_params(request.data)
            result = delete_by_query(caller=caller, filters=filters)
        except FilterError as exc:
            raise ApiError(400, exc.code, exc.message, field=exc.field) from None
        except NotAllowed as exc:
            raise ApiError(403, "permission_denied", str(exc)) from None
        except ValueError as exc:
            raise ApiError(400, "no_filter", str(exc), field="body") from None
        return Response({"deleted": result.deleted, "more": result.more})
