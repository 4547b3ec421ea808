"""The dashboards API: dashboards and their widgets (members and up write, everyone reads), the grid
layout in one request, and each widget's numbers for a time range."""

from datetime import datetime
from urllib.parse import urlencode

import orjson
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.generics import ListCreateAPIView, RetrieveUpdateDestroyAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.scoping import WRITERS, HasRole, caller_for_request
from dashboards.models import GRID_COLUMNS, Dashboard, Widget
from dashboards.widget_data import PRESETS, resolve_range, widget_data
from devlogs.errors import ApiError
from devlogs.openapi import errors
from logs.facets import UnknownFacet, facet_field
from logs.query_validation import validate_query_text
from logs.search import parse_time

MAX_WIDGETS = 50
MAX_OPTIONS_BYTES = 4096
MAX_ROWS = 1000
MAX_HEIGHT = 100
# Per kind: allowed split_by (None: must be empty; True: required; False: optional), and numeric options.
KINDS = {
    Widget.Kind.TIMESERIES: (False, {"interval": (1, 366 * 86400), "series": (1, 10)}),
    Widget.Kind.TOP_VALUES: (True, {"limit": (1, 100)}),
    Widget.Kind.SINGLE_NUMBER: (None, {}),
    Widget.Kind.LOG_LIST: (None, {"limit": (1, 200)}),
}


def share_url(dashboard: Dashboard) -> str:
    """The dashboard's page in the React app (a person still signs in and must be in the tenant)."""
    query = urlencode({"tenant": dashboard.tenant.slug, "view": "dashboard", "dashboard": str(dashboard.uid)})
    return f"{settings.DEVLOGS_PUBLIC_URL}/?{query}"


# --- validation -----------------------------------------------------------------------------------

def validate_time_range(value) -> dict:
    if not isinstance(value, dict):
        raise serializers.ValidationError('Give {"range": "1h"} or {"since": "<RFC 3339>", "until": "<RFC 3339>"}.')
    if set(value) == {"range"}:
        if value["range"] not in PRESETS:
            raise serializers.ValidationError(f"'range' is one of {', '.join(PRESETS)}.")
        return {"range": value["range"]}
    if set(value) == {"since", "until"}:
        try:
            since, until = (parse_time(str(value[k]), k) for k in ("since", "until"))
        except ApiError as exc:
            raise serializers.ValidationError(exc.message) from None
        if since >= until:
            raise serializers.ValidationError("'since' must be before 'until'.")
        return {"since": since.isoformat(), "until": until.isoformat()}
    raise serializers.ValidationError('Give {"range": "1h"} or {"since": …, "until": …}, nothing else.')


def validate_widget(kind: str, split_by: str, options: dict) -> None:
    """Raises serializers.ValidationError naming the field at fault."""
    split_rule, numeric = KINDS[kind]
    if split_rule is None and split_by:
        raise serializers.ValidationError({"split_by": f"A {kind} widget is not split by a field; leave it empty."})
    if split_rule is True and not split_by:
        raise serializers.ValidationError({"split_by": "A top_values widget needs the field to rank."})
    if split_by:
        try:
            facet_field(split_by)
        except UnknownFacet as exc:
            raise serializers.ValidationError({"split_by": str(exc)}) from None
    for name, (low, high) in numeric.items():
        if name in options and (type(options[name]) is not int or not low <= options[name] <= high):
            raise serializers.ValidationError({"options": f"options.{name} must be a whole number from {low} "
                                                          f"to {high}."})


def _overlaps(a: dict, b: dict) -> bool:
    return (a["x"] < b["x"] + b["w"] and b["x"] < a["x"] + a["w"]
            and a["y"] < b["y"] + b["h"] and b["y"] < a["y"] + a["h"])


def check_layout(cells: list[dict], field: str = "widgets") -> None:
    """No two widgets share a grid cell."""
    for i, a in enumerate(cells):
        for b in cells[i + 1:]:
            if _overlaps(a, b):
                raise ApiError(400, "overlapping_widgets", f"Widgets {a.get('id') or 'new'} and {b.get('id') or 'new'} "
                               "overlap on the grid; move one.", field=field)


class WidgetSerializer(serializers.ModelSerializer):
    query = serializers.CharField(allow_blank=True, required=False, max_length=2000)
    x = serializers.IntegerField(min_value=0, max_value=GRID_COLUMNS - 1, required=False)
    y = serializers.IntegerField(min_value=0, max_value=MAX_ROWS, required=False)
    w = serializers.IntegerField(min_value=1, max_value=GRID_COLUMNS, required=False)
    h = serializers.IntegerField(min_value=1, max_value=MAX_HEIGHT, required=False)

    class Meta:
        model = Widget
        fields = ["id", "title", "kind", "query", "split_by", "options", "x", "y", "w", "h"]
        read_only_fields = ["id"]

    def validate_query(self, value: str) -> str:
        return validate_query_text(value)

    def validate_options(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("options must be an object")
        if len(orjson.dumps(value)) > MAX_OPTIONS_BYTES:
            raise serializers.ValidationError(f"options must be at most {MAX_OPTIONS_BYTES} bytes of JSON")
        return value

    def validate(self, attrs):
        merged = {name: attrs.get(name, getattr(self.instance, name, default)) for name, default in
                  (("kind", None), ("split_by", ""), ("options", {}), ("x", 0), ("w", 6))}
        validate_widget(merged["kind"], merged["split_by"], merged["options"])
        if merged["x"] + merged["w"] > GRID_COLUMNS:
            raise serializers.ValidationError({"w": f"x + w must be at most {GRID_COLUMNS} (the grid's width)."})
        return attrs


class DashboardSerializer(serializers.ModelSerializer):
    time_range = serializers.JSONField(required=False,
                                       help_text='{"range": "24h"} or {"since": …, "until": …}')
    widgets = WidgetSerializer(many=True, required=False, help_text="on create only; then use the widget endpoints")
    url = serializers.SerializerMethodField()

    class Meta:
        model = Dashboard
        fields = ["uid", "name", "description", "time_range", "widgets", "url", "created_by", "created_at",
                  "updated_at"]
        read_only_fields = ["uid", "created_by", "created_at", "updated_at"]

    def get_url(self, dashboard) -> str:
        return share_url(dashboard)

    def validate_time_range(self, value):
        return validate_time_range(value)

    def validate_widgets(self, value):
        if self.instance is not None:
            raise serializers.ValidationError("Change widgets through /widgets and /layout.")
        if len(value) > MAX_WIDGETS:
            raise serializers.ValidationError(f"At most {MAX_WIDGETS} widgets per dashboard.")
        return value


class DashboardSummarySerializer(serializers.ModelSerializer):
    widget_count = serializers.IntegerField(read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Dashboard
        fields = ["uid", "name", "description", "time_range", "widget_count", "url", "created_by", "created_at",
                  "updated_at"]

    def get_url(self, dashboard) -> str:
        return share_url(dashboard)


# --- dashboards -----------------------------------------------------------------------------------

class _Scoped:
    permission_classes = [HasRole]
    write_roles = WRITERS

    def caller(self):
        return caller_for_request(self.request)

    def dashboards(self):
        return self.caller().rows(Dashboard).select_related("tenant")

    def dashboard(self, uid) -> Dashboard:
        dashboard = self.dashboards().filter(uid=uid).first()
        if dashboard is None:
            raise ApiError(404, "not_found", "No such dashboard in this tenant.")
        return dashboard

    def save_unique(self, save):
        try:
            with transaction.atomic():  # a savepoint: a name clash must not break the request's transaction
                return save()
        except IntegrityError:
            raise ApiError(409, "name_taken", "This tenant already has a dashboard with that name.",
                           field="name") from None


@extend_schema_view(get=extend_schema(responses={200: DashboardSummarySerializer(many=True), **errors(403)}),
                    post=extend_schema(request=DashboardSerializer,
                                       responses={201: DashboardSerializer, **errors(400, 403, 409)}))
class DashboardList(_Scoped, ListCreateAPIView):
    """GET lists the tenant's dashboards; POST creates one, optionally with its widgets (members and up)."""

    pagination_class = None

    def get_serializer_class(self):
        return DashboardSerializer if self.request.method == "POST" else DashboardSummarySerializer

    def get_queryset(self):
        return self.dashboards().annotate(widget_count=Count("widgets"))

    def perform_create(self, serializer):
        caller = self.caller()
        widgets = serializer.validated_data.pop("widgets", [])
        cells = _place(widgets)
        check_layout(cells)

        def save():
            dashboard = serializer.save(tenant=caller.tenant, created_by=caller.actor)
            Widget.objects.bulk_create([Widget(dashboard=dashboard, **{**spec, **cell})
                                        for spec, cell in zip(widgets, cells)])
            return dashboard

        self.save_unique(save)


def _place(specs: list[dict], existing: list[dict] = ()) -> list[dict]:
    """Positions for new widgets: as given, or on a new row below everything else."""
    bottom = max((c["y"] + c["h"] for c in existing), default=0)
    cells = []
    for spec in specs:
        if "x" in spec or "y" in spec:
            cell = {"x": spec.get("x", 0), "y": spec.get("y", 0), "w": spec.get("w", 6), "h": spec.get("h", 4)}
        else:
            cell = {"x": 0, "y": bottom, "w": spec.get("w", 6), "h": spec.get("h", 4)}
        bottom = max(bottom, cell["y"] + cell["h"])
        cells.append(cell)
    return cells


@extend_schema_view(get=extend_schema(responses={200: DashboardSerializer, **errors(403, 404)}),
                    patch=extend_schema(responses={200: DashboardSerializer, **errors(400, 403, 404, 409)}),
                    delete=extend_schema(responses={204: None, **errors(403, 404)}))
class DashboardDetail(_Scoped, RetrieveUpdateDestroyAPIView):
    """GET one dashboard with its widgets; PATCH its name, description or time range; DELETE it."""

    serializer_class = DashboardSerializer
    http_method_names = ["get", "patch", "delete", "head", "options"]
    lookup_field = "uid"

    def get_queryset(self):
        return self.dashboards().prefetch_related("widgets")

    def perform_update(self, serializer):
        self.save_unique(serializer.save)


class LayoutItem(serializers.Serializer):
    id = serializers.IntegerField()
    x = serializers.IntegerField(min_value=0, max_value=GRID_COLUMNS - 1)
    y = serializers.IntegerField(min_value=0, max_value=MAX_ROWS)
    w = serializers.IntegerField(min_value=1, max_value=GRID_COLUMNS)
    h = serializers.IntegerField(min_value=1, max_value=MAX_HEIGHT)


class LayoutSerializer(serializers.Serializer):
    widgets = LayoutItem(many=True)


class DashboardLayout(_Scoped, APIView):
    """PUT: move and resize widgets in one request (what a grid editor saves). Widgets left out stay put."""

    @extend_schema(request=LayoutSerializer, responses={200: DashboardSerializer, **errors(400, 403, 404)})
    def put(self, request, uid):
        dashboard = self.dashboard(uid)
        data = LayoutSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        moves = {item["id"]: item for item in data.validated_data["widgets"]}
        widgets = {w.pk: w for w in dashboard.widgets.all()}
        unknown = sorted(set(moves) - set(widgets))
        if unknown:
            raise ApiError(400, "unknown_widget", f"Widget {unknown[0]} is not on this dashboard.", field="widgets")
        for pk, item in moves.items():
            if item["x"] + item["w"] > GRID_COLUMNS:
                raise ApiError(400, "invalid", f"Widget {pk}: x + w must be at most {GRID_COLUMNS}.", field="widgets")
        cells = [{"id": pk, **{k: moves.get(pk, _cell(w))[k] for k in ("x", "y", "w", "h")}}
                 for pk, w in widgets.items()]
        check_layout(cells)
        with transaction.atomic():
            for cell in cells:
                if cell["id"] in moves:
                    Widget.objects.filter(pk=cell["id"]).update(**{k: cell[k] for k in ("x", "y", "w", "h")})
            dashboard.save(update_fields=["updated_at"])
        dashboard = self.dashboards().prefetch_related("widgets").get(pk=dashboard.pk)
        return Response(DashboardSerializer(dashboard).data)


def _cell(widget: Widget) -> dict:
    return {"id": widget.pk, "x": widget.x, "y": widget.y, "w": widget.w, "h": widget.h}


# --- widgets ----------------------------------------------------------------------------------------

class WidgetList(_Scoped, APIView):
    """GET the dashboard's widgets; POST adds one (placed on a new row unless x/y are given)."""

    @extend_schema(responses={200: WidgetSerializer(many=True), **errors(403, 404)})
    def get(self, request, uid):
        return Response(WidgetSerializer(self.dashboard(uid).widgets.all(), many=True).data)

    @extend_schema(request=WidgetSerializer, responses={201: WidgetSerializer, **errors(400, 403, 404)})
    def post(self, request, uid):
        dashboard = self.dashboard(uid)
        data = WidgetSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        existing = [_cell(w) for w in dashboard.widgets.all()]
        if len(existing) >= MAX_WIDGETS:
            raise ApiError(400, "too_many_widgets", f"A dashboard holds at most {MAX_WIDGETS} widgets.")
        cell = _place([data.validated_data], existing)[0]
        check_layout([*existing, cell], field="x")
        widget = Widget.objects.create(dashboard=dashboard, **{**data.validated_data, **cell})
        dashboard.save(update_fields=["updated_at"])
        return Response(WidgetSerializer(widget).data, status=201)


class WidgetDetail(_Scoped, APIView):
    """GET, PATCH, DELETE one widget."""

    def widget(self, uid, pk) -> Widget:
        widget = Widget.objects.filter(dashboard=self.dashboard(uid), pk=pk).select_related("dashboard").first()
        if widget is None:
            raise ApiError(404, "not_found", "No such widget on this dashboard.")
        return widget

    @extend_schema(responses={200: WidgetSerializer, **errors(403, 404)})
    def get(self, request, uid, pk: int):
        return Response(WidgetSerializer(self.widget(uid, pk)).data)

    @extend_schema(request=WidgetSerializer, responses={200: WidgetSerializer, **errors(400, 403, 404)})
    def patch(self, request, uid, pk: int):
        widget = self.widget(uid, pk)
        data = WidgetSerializer(widget, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        if {"x", "y", "w", "h"} & set(data.validated_data):
            others = [_cell(w) for w in widget.dashboard.widgets.exclude(pk=widget.pk)]
            moved = {**_cell(widget), **{k: v for k, v in data.validated_data.items() if k in ("x", "y", "w", "h")}}
            check_layout([*others, moved], field="x")
        data.save()
        widget.dashboard.save(update_fields=["updated_at"])
        return Response(data.data)

    @extend_schema(responses={204: None, **errors(403, 404)})
    def delete(self, request, uid, pk: int):
        widget = self.widget(uid, pk)
        widget.delete()
        widget.dashboard.save(update_fields=["updated_at"])
        return Response(status=204)


RANGE_PARAMETERS = [
    OpenApiParameter("since", OpenApiTypes.STR, description="RFC 3339 time or epoch; default: the dashboard's range"),
    OpenApiParameter("until", OpenApiTypes.STR, description="RFC 3339 time or epoch, exclusive; default: now"),
    OpenApiParameter("range", OpenApiTypes.STR, description=f"instead of since/until: {', '.join(PRESETS)}"),
]
WIDGET_DATA = OpenApiResponse(OpenApiTypes.OBJECT, description="{kind, since, until, data}; see docs/dashboards.md")


def requested_range(params, default: dict) -> tuple[datetime, datetime]:
    """since/until, or range, or the dashboard's own range; the same rules for every widget."""
    now = timezone.now()
    if params.get("range"):
        if params["range"] not in PRESETS:
            raise ApiError(400, "invalid_range", f"'range' is one of {', '.join(PRESETS)}.", field="range")
        return resolve_range({"range": params["range"]}, now)
    since, until = parse_time(params.get("since"), "since"), parse_time(params.get("until"), "until")
    if since is None and until is None:
        return resolve_range(default, now)
    if since is None:
        raise ApiError(400, "invalid_range", "Give 'since' with 'until'.", field="since")
    until = until or now
    if since >= until:
        raise ApiError(400, "invalid_range", "'since' must be before 'until'.", field="since")
    return since, until


def _answer(caller, kind, query, split_by, options, since, until) -> dict:
    return {"kind": kind, "since": since, "until": until,
            "data": widget_data(caller=caller, kind=kind, query=query, split_by=split_by, options=options, since=since,
                                until=until)}


class WidgetDataView(_Scoped, APIView):
    """GET a widget's numbers for a range (since/until, range, or the dashboard's)."""

    @extend_schema(parameters=RANGE_PARAMETERS, responses={200: WIDGET_DATA, **errors(400, 403, 404)})
    def get(self, request, uid, pk: int):
        dashboard = self.dashboard(uid)
        widget = dashboard.widgets.filter(pk=pk).first()
        if widget is None:
            raise ApiError(404, "not_found", "No such widget on this dashboard.")
        since, until = requested_range(request.query_params, dashboard.time_range)
        return Response(_answer(self.caller(), widget.kind, widget.query, widget.split_by, widget.options, since,
                                until))


class WidgetPreviewSerializer(WidgetSerializer):
    since = serializers.CharField(required=False)
    until = serializers.CharField(required=False)
    range = serializers.CharField(required=False)

    class Meta(WidgetSerializer.Meta):
        fields = ["kind", "query", "split_by", "options", "since", "until", "range"]


class WidgetPreview(_Scoped, APIView):
    """POST an unsaved widget and a range: its numbers (for the widget editor)."""

    @extend_schema(request=WidgetPreviewSerializer, responses={200: WIDGET_DATA, **errors(400, 403)})
    def post(self, request):
        data = WidgetPreviewSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        spec = data.validated_data
        since, until = requested_range(spec, {"range": "24h"})
        return Response(_answer(self.caller(), spec["kind"], spec.get("query", ""), spec.get("split_by", ""),
                                spec.get("options", {}), since, until))
