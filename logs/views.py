"""The read API over stored lines: search, one entry and its context, histogram, facets, export,
and delete-by-query. Every endpoint starts from logs.search (tenant-scoped), reads through the log
store (logs.store) and answers errors in the one JSON shape."""

import uuid
from datetime import timedelta

from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.audit import record
from accounts.scoping import HasScope, caller_for_request
from devlogs.errors import ApiError
from devlogs.openapi import SEARCH_PARAMETERS, Entry, errors, page_of
from logs import export
from logs.facets import UnknownFacet
from logs.gdpr import NotAllowed, delete_by_query
from logs.histogram import MAX_BUCKETS, auto_interval
from logs.pagination import CursorError
from logs.search import Search, search_from_params
from logs.store import get_store

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
ENTRY_FIELDS = ["id", "time", "received_at", "app", "level", "message", "service", "host", "trace_id", "span_id",
                "attributes"]


def _int(params, name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ApiError(400, f"invalid_{name}", f"'{name}' must be a whole number from {low} to {high}.", field=name)
    return int(raw)


def _newest_first(params) -> bool:
    order = params.get("order", "newest")
    if order not in ("newest", "oldest"):
        raise ApiError(400, "invalid_order", "'order' is 'newest' or 'oldest'.", field="order")
    return order == "newest"


def _fields(params) -> list[str] | None:
    raw = params.get("fields")
    if not raw:
        return None
    fields = [f.strip() for f in raw.split(",") if f.strip()]
    unknown = [f for f in fields if f not in ENTRY_FIELDS]
    if unknown:
        raise ApiError(400, "invalid_fields", f"Unknown field(s) {', '.join(unknown)}; choose from "
                       f"{', '.join(ENTRY_FIELDS)}.", field="fields")
    return ["id", *[f for f in fields if f != "id"]]


class ReadView(APIView):
    permission_classes = [HasScope]
    required_scope = "read"

    def search(self, request, *, default_window: timedelta | None = None) -> Search:
        search = search_from_params(request.query_params, caller_for_request(request))
        if default_window and search.since is None:
            until = search.until or timezone.now()
            search = Search(caller=search.caller, node=search.node, since=until - default_window, until=until,
                            extra=search.extra)
        return search


class LogSearchView(ReadView):
    """GET /api/v1/logs: q, since, until, order (newest|oldest), limit, cursor, fields."""

    @extend_schema(parameters=[*SEARCH_PARAMETERS,
                               OpenApiParameter("order", enum=["newest", "oldest"]),
                               OpenApiParameter("limit", OpenApiTypes.INT, description="1-1000, default 100"),
                               OpenApiParameter("cursor", OpenApiTypes.STR, description="next_cursor of the last page"),
                               OpenApiParameter("fields", OpenApiTypes.STR, description="comma-separated entry fields")],
                   responses={200: page_of(Entry, "LogPage"), **errors(400, 403)})
    def get(self, request):
        params = request.query_params
        search = self.search(request)
        fields = _fields(params)
        try:
            entries, next_cursor = get_store().search(
                search, limit=_int(params, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT), cursor=params.get("cursor"),
                newest_first=_newest_first(params))
        except CursorError as exc:
            raise ApiError(400, "invalid_cursor", str(exc), field="cursor") from None
        if fields:
            entries = [{f: entry[f] for f in fields} for entry in entries]
        return Response({"results": entries, "next_cursor": next_cursor})


def _found(found):
    if found is None:
        raise ApiError(404, "not_found", "No such log entry in this tenant.")
    return found


class EntryView(ReadView):
    """GET /api/v1/logs/<id>: one entry."""

    @extend_schema(operation_id="logs_entry", responses={200: Entry, **errors(403, 404)})
    def get(self, request, event_id: uuid.UUID):
        caller = caller_for_request(request)
        return Response(_found(get_store().entry(tenant_id=caller.tenant.id, event_id=event_id)))


class ContextView(ReadView):
    """GET /api/v1/logs/<id>/context?before=N&after=N: the lines around one, from the same app and host."""

    @extend_schema(parameters=[OpenApiParameter("before", OpenApiTypes.INT), OpenApiParameter("after", OpenApiTypes.INT)],
                   responses={200: inline_serializer("Context", {"entry": Entry(), "before": Entry(many=True),
                                                                 "after": Entry(many=True)}), **errors(400, 403, 404)})
    def get(self, request, event_id: uuid.UUID):
        caller = caller_for_request(request)
        before = _int(request.query_params, "before", 20, 0, 500)
        after = _int(request.query_params, "after", 20, 0, 500)
        return Response(_found(get_store().context(tenant_id=caller.tenant.id, event_id=event_id, before=before,
                                                   after=after)))


class HistogramView(ReadView):
    """GET /api/v1/logs/histogram: counts per time bucket and level (interval in seconds, or auto)."""

    @extend_schema(parameters=[*SEARCH_PARAMETERS, OpenApiParameter("interval", OpenApiTypes.INT,
                                                                     description="seconds; default: automatic")],
                   responses={200: inline_serializer("Histogram", {
                       "interval": serializers.IntegerField(), "since": serializers.DateTimeField(),
                       "until": serializers.DateTimeField(), "buckets": inline_serializer("Bucket", {
                           "time": serializers.DateTimeField(), "level": serializers.CharField(),
                           "count": serializers.IntegerField()}, many=True)}), **errors(400, 403)})
    def get(self, request):
        search = self.search(request, default_window=timedelta(hours=1))
        until = search.until or timezone.now()
        search = Search(caller=search.caller, node=search.node, since=search.since, until=until, extra=search.extra)
        interval = _int(request.query_params, "interval", 0, 1, 366 * 86400) if request.query_params.get(
            "interval") else auto_interval(search.since, until)
        if (until - search.since).total_seconds() / interval > 10 * MAX_BUCKETS:
            raise ApiError(400, "too_many_buckets", f"That interval makes more than {10 * MAX_BUCKETS} buckets; "
                           "choose a longer one or leave it out.", field="interval")
        return Response({"interval": interval, "since": search.since, "until": until,
                         "buckets": get_store().histogram(search, interval_seconds=interval)})


COUNT_BOUND = 10_000


class CountView(ReadView):
    """GET /api/v1/logs/count: how many lines the search matches, exact up to COUNT_BOUND.

    Counting stops after COUNT_BOUND + 1 matching lines (store.count_at_most), so a search matching
    millions never costs a full count; 10,000 keeps a common word's count near 0.1 s on SQLite at
    300k lines (100,000 would cost the full count there, about 3x)."""

    @extend_schema(description=f"How many lines the search matches (the parameters of GET /api/v1/logs), exact up "
                               f"to {COUNT_BOUND:,}. Counting stops there: past it the answer is "
                               f'{{"count": {COUNT_BOUND}, "exact": false, "bound": {COUNT_BOUND}}}, '
                               f'"more than {COUNT_BOUND:,} lines".',
                   parameters=SEARCH_PARAMETERS,
                   responses={200: inline_serializer("Count", {
                       "count": serializers.IntegerField(help_text="matching lines, at most `bound`"),
                       "exact": serializers.BooleanField(help_text="false: more than `bound` lines match"),
                       "bound": serializers.IntegerField(help_text="where counting stops")}),
                       **errors(400, 403)})
    def get(self, request):
        found = get_store().count_at_most(self.search(request), limit=COUNT_BOUND + 1)
        return Response({"count": min(found, COUNT_BOUND), "exact": found <= COUNT_BOUND, "bound": COUNT_BOUND})


class FacetsView(ReadView):
    """GET /api/v1/logs/facets?field=level&field=attributes.user_id: top values with counts."""

    @extend_schema(parameters=[*SEARCH_PARAMETERS,
                               OpenApiParameter("field", OpenApiTypes.STR, many=True,
                                                description="level, app, service, host or attributes.<key>"),
                               OpenApiParameter("limit", OpenApiTypes.INT, description="1-100, default 10")],
                   responses={200: inline_serializer("Facets", {"since": serializers.DateTimeField(),
                                                                "until": serializers.DateTimeField(),
                                                                "facets": serializers.DictField()}),
                              **errors(400, 403)})
    def get(self, request):
        search = self.search(request, default_window=timedelta(hours=1))
        names = request.query_params.getlist("field") or ["level", "app", "service", "host"]
        if len(names) > 10:
            raise ApiError(400, "invalid_field", "At most 10 facets per request.", field="field")
        try:
            result = get_store().facets(search, names, limit=_int(request.query_params, "limit", 10, 1, 100))
        except UnknownFacet as exc:
            raise ApiError(400, "invalid_field", str(exc), field="field") from None
        return Response({"since": search.since, "until": search.until, "facets": result})


def _accepts_gzip(header: str) -> bool:
    """Accept-Encoding names gzip and does not refuse it with q=0."""
    for part in header.split(","):
        name, *params = (p.strip().lower() for p in part.split(";"))
        if name in ("gzip", "x-gzip"):
            q = next((p[2:] for p in params if p.startswith("q=")), "1")
            try:
                return float(q) > 0
            except ValueError:
                return False
    return False


class ExportView(ReadView):
    """GET /api/v1/logs/export?format=ndjson|csv: every matching line, streamed.

    ?gzip=1 answers a .gz file (application/gzip, no Content-Encoding); otherwise gzip is only a
    transfer encoding, used when the client accepts it."""

    @extend_schema(parameters=[*SEARCH_PARAMETERS, OpenApiParameter("format", enum=["ndjson", "csv"]),
                               OpenApiParameter("order", enum=["newest", "oldest"]),
                               OpenApiParameter("gzip", OpenApiTypes.BOOL,
                                                description="a .gz file (application/gzip)")],
                   responses={(200, "application/x-ndjson"): OpenApiResponse(OpenApiTypes.BINARY),
                              (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY),
                              (200, "application/gzip"): OpenApiResponse(OpenApiTypes.BINARY), **errors(400, 403)})
    def get(self, request):
        params = request.query_params
        search = self.search(request)
        fmt = params.get("format", "ndjson")
        if fmt not in ("ndjson", "csv"):
            raise ApiError(400, "invalid_format", "'format' is 'ndjson' or 'csv'.", field="format")
        # Two different asks: ?gzip=1 wants a .gz FILE (gzip bytes are the body, saved as they come), while
        # Accept-Encoding: gzip only compresses the transfer (the client inflates it and saves plain text, so
        # the name must not say .gz). Every browser sends Accept-Encoding: gzip.
        gzip_file = params.get("gzip") in ("1", "true")
        gzip_transfer = not gzip_file and _accepts_gzip(request.headers.get("Accept-Encoding", ""))
        caller = search.caller
        # Exports take data out of devlogs: who took what is audited, like deletes.
        record(tenant=caller.tenant, actor=caller.actor, action="logs.exported", format=fmt,
               q=params.get("q", ""), since=search.since.isoformat() if search.since else None,
               until=search.until.isoformat() if search.until else None, app=params.get("app"),
               level=params.get("level"))
        content_type = "application/x-ndjson" if fmt == "ndjson" else "text/csv; charset=utf-8"
        response = StreamingHttpResponse(
            export.stream(search, fmt=fmt, newest_first=_newest_first(params), gzip=gzip_file or gzip_transfer),
            content_type="application/gzip" if gzip_file else content_type)
        response["Content-Disposition"] = f'attachment; filename="devlogs-export.{fmt}{".gz" if gzip_file else ""}"'
        if gzip_transfer:
            response["Content-Encoding"] = "gzip"
        if not gzip_file:
            patch_vary_headers(response, ["Accept-Encoding"])
        return response


class DeleteByQueryView(APIView):
    """POST /api/v1/logs/delete: delete the caller's lines matching a search (owner/admin, audited)."""

    @extend_schema(request=inline_serializer("DeleteByQuery", {
                       "q": serializers.CharField(required=False), "since": serializers.CharField(required=False),
                       "until": serializers.CharField(required=False)}),
                   responses={200: inline_serializer("Deleted", {"deleted": serializers.IntegerField(),
                                                                 "more": serializers.BooleanField()}),
                              **errors(400, 403)})
    def post(self, request):
        caller = caller_for_request(request)
        if not isinstance(request.data, dict) or not all(isinstance(v, str) for v in request.data.values()):
            raise ApiError(400, "invalid_body", "Send a JSON object of strings: q, since, until (app, level).",
                           field="body")
        search = search_from_params(request.data, caller)
        try:
            result = delete_by_query(caller=caller, search=search)
        except NotAllowed as exc:
            raise ApiError(403, "permission_denied", str(exc)) from None
        except ValueError as exc:
            raise ApiError(400, "no_filter", str(exc), field="body") from None
        return Response({"deleted": result.deleted, "more": result.more})


class MeView(APIView):
    """GET /api/v1/me: who is calling and in which tenant."""

    @extend_schema(responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="caller and tenant"),
                              **errors(403)})
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
