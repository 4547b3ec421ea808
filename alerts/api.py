"""The alerts API: channels (owners and admins), rules (members and up), history, preview.

Channels are for managers because a channel is where log lines go (samples leave the platform);
a member may point rules at the channels the tenant has. Everyone in the tenant reads rules and
history; only managers see a channel's full URL and signing secret.
"""

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view, \
    inline_serializer
from rest_framework import serializers
from rest_framework.generics import ListCreateAPIView, RetrieveUpdateDestroyAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.scoping import MANAGERS, WRITERS, HasRole, caller_for_request, rows_of
from alerts.changes import (NameTaken, channel_created, channel_delete, channel_rotate_secret, channel_updated,
                            rule_created, rule_delete, rule_updated, watched_values)
from alerts.evaluation import (FINGERPRINT, Observation, condition_met, condition_text, distinct_values, observe,
                               window)
from alerts.links import explorer_url
from alerts.models import Channel, Delivery, Event, Rule
from alerts.notify import send, test_message
from alerts.outbound import DeliveryError, ForbiddenTarget, check_target, check_url
from devlogs.errors import ApiError
from devlogs.openapi import errors
from logs.facets import UnknownFacet, facet_field
from logs.query_validation import validate_query_text
from logs.search import Search
from logs.store import get_store

MIN_WINDOW, MAX_WINDOW = 10, 7 * 86400
MIN_INTERVAL, MAX_INTERVAL = 10, 86400
MAX_EMAILS = 20
EVENTS_PAGE = 50


def validate_value_field(value: str) -> str:
    if value == FINGERPRINT:
        return value
    try:
        facet_field(value)
    except UnknownFacet as exc:
        raise serializers.ValidationError(f"{exc} Or 'fingerprint' for the message's fingerprint.") from None
    return value


# --- channels -------------------------------------------------------------------------------------

class ChannelSerializer(serializers.ModelSerializer):
    emails = serializers.ListField(child=serializers.EmailField(), required=False, max_length=MAX_EMAILS)
    secret = serializers.CharField(required=False, min_length=16, max_length=200,
                                   help_text="webhook: signing secret; generated when left out. "
                                             "Shown once, to owners and admins, when created or rotated.")

    class Meta:
        model = Channel
        fields = ["id", "name", "kind", "url", "emails", "secret", "enabled", "created_by", "created_at", "updated_at"]
        read_only_fields = ["id", "created_by", "created_at", "updated_at"]

    def validate(self, attrs):
        kind = attrs.get("kind", getattr(self.instance, "kind", None))
        url = attrs.get("url", getattr(self.instance, "url", ""))
        if kind in (Channel.Kind.WEBHOOK, Channel.Kind.SLACK):
            try:
                check_target(url)
            except ValueError as exc:
                raise serializers.ValidationError({"url": str(exc)}) from None
            attrs["emails"] = []
        elif kind == Channel.Kind.EMAIL:
            if not attrs.get("emails", getattr(self.instance, "emails", [])):
                raise serializers.ValidationError({"emails": "An email channel needs at least one address."})
            attrs["url"] = ""
        return attrs

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not self.context.get("reveal"):
            data["url"] = _redacted(instance.url)
        if not self.context.get("reveal_secret") or instance.kind != Channel.Kind.WEBHOOK:
            data.pop("secret")
        return data


def _redacted(url: str) -> str:
    """Scheme and host only: Slack-style URLs carry their secret in the path."""
    try:
        parts = check_url(url)
    except ValueError:
        return ""
    return f"{parts.scheme}://{parts.netloc}/…"


class _TenantScoped:
    permission_classes = [HasRole]

    def caller(self):
        return caller_for_request(self.request)

    def scope_context(self) -> dict:
        managers = self.caller().has_role(MANAGERS)
        # The signing secret is shown once, in the answer that creates it (a new channel, or a
        # rotation); lists and reads never carry it, like API keys.
        return {"tenant": self.caller().tenant, "reveal": managers,
                "reveal_secret": managers and self.request.method == "POST"}

    def get_serializer_context(self):
        return {**super().get_serializer_context(), **self.scope_context()}

    def change(self, change, save, what: str, **kwargs):
        """A change through alerts.changes (which audits it) as this caller; a name clash is a 409."""
        try:
            return change(save, actor=self.caller().actor, via="api", **kwargs)
        except NameTaken:
            raise ApiError(409, "name_taken", f"This tenant already has {what} with that name.", field="name") from None


class _Channels(_TenantScoped):
    serializer_class = ChannelSerializer
    write_roles = MANAGERS

    def get_queryset(self):
        return self.caller().rows(Channel)


@extend_schema_view(get=extend_schema(responses={200: ChannelSerializer(many=True), **errors(403)}),
                    post=extend_schema(responses={201: ChannelSerializer, **errors(400, 403, 409)}))
class ChannelList(_Channels, ListCreateAPIView):
    """GET lists the tenant's notification channels; POST adds one (owners and admins)."""

    pagination_class = None

    def perform_create(self, serializer):
        caller = self.caller()
        self.change(channel_created, lambda: serializer.save(tenant=caller.tenant, created_by=caller.actor),
                    "a channel")


@extend_schema_view(get=extend_schema(responses={200: ChannelSerializer, **errors(403, 404)}),
                    patch=extend_schema(responses={200: ChannelSerializer, **errors(400, 403, 404, 409)}),
                    delete=extend_schema(responses={204: None, **errors(403, 404)}))
class ChannelDetail(_Channels, RetrieveUpdateDestroyAPIView):
    """GET, PATCH, DELETE one channel."""

    http_method_names = ["get", "patch", "delete", "head", "options"]

    def perform_update(self, serializer):
        self.change(channel_updated, serializer.save, "a channel", fields=serializer.validated_data)

    def perform_destroy(self, instance):
        channel_delete(instance, actor=self.caller().actor, via="api")


class ChannelRotateSecret(_Channels, APIView):
    """POST: a new signing secret for a webhook channel (owners and admins); the old one stops at once."""

    @extend_schema(request=None, responses={200: ChannelSerializer, **errors(400, 403, 404)})
    def post(self, request, pk: int):
        channel = self.get_queryset().filter(pk=pk).first()
        if channel is None:
            raise ApiError(404, "not_found", "No such channel in this tenant.")
        if channel.kind != Channel.Kind.WEBHOOK:
            raise ApiError(400, "not_a_webhook", "Only webhook channels sign their requests.", field="kind")
        channel_rotate_secret(channel, actor=self.caller().actor, via="api")
        return Response(ChannelSerializer(channel, context=self.scope_context()).data)


class ChannelTest(_Channels, APIView):
    """POST: send a test notification now and say whether it arrived (owners and admins)."""

    @extend_schema(request=None, responses={200: inline_serializer("ChannelTestResult", {
        "ok": serializers.BooleanField(), "status": serializers.IntegerField(allow_null=True)}),
        **errors(400, 403, 404, 502)})
    def post(self, request, pk: int):
        channel = self.get_queryset().filter(pk=pk).first()
        if channel is None:
            raise ApiError(404, "not_found", "No such channel in this tenant.")
        try:
            status = send(channel, test_message(channel.tenant))
        except ForbiddenTarget as exc:
            raise ApiError(400, "forbidden_target", str(exc), field="url") from None
        except DeliveryError as exc:
            raise ApiError(502, "delivery_failed", str(exc), field="url" if channel.url else "emails") from None
        return Response({"ok": True, "status": status})


# --- rules ------------------------------------------------------------------------------------------

class RuleSerializer(serializers.ModelSerializer):
    channels = serializers.PrimaryKeyRelatedField(many=True, queryset=Channel.objects.none(), required=False,
                                                  help_text="ids of this tenant's channels")
    query = serializers.CharField(allow_blank=True, required=False, max_length=2000, validators=[validate_query_text])
    field = serializers.CharField(allow_blank=True, required=False, max_length=300,
                                  help_text="new_value: level, app, service, host, attributes.<key> or fingerprint")
    window_seconds = serializers.IntegerField(min_value=MIN_WINDOW, max_value=MAX_WINDOW, required=False)
    interval_seconds = serializers.IntegerField(min_value=MIN_INTERVAL, max_value=MAX_INTERVAL, required=False)
    threshold = serializers.IntegerField(min_value=0, max_value=2**31 - 1, required=False)
    condition = serializers.SerializerMethodField()

    class Meta:
        model = Rule
        fields = ["id", "name", "description", "query", "kind", "comparison", "threshold", "field", "window_seconds",
                  "interval_seconds", "channels", "enabled", "muted_until", "condition", "state", "state_changed_at",
                  "last_evaluated_at", "last_count", "last_error", "next_evaluation_at", "created_by", "created_at",
                  "updated_at"]
        read_only_fields = ["id", "state", "state_changed_at", "last_evaluated_at", "last_count", "last_error",
                            "next_evaluation_at", "created_by", "created_at", "updated_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        tenant = self.context.get("tenant")
        if tenant is not None:
            self.fields["channels"].child_relation.queryset = rows_of(tenant.id, Channel)

    def get_condition(self, rule) -> str:
        return condition_text(rule)

    def validate(self, attrs):
        merged = {name: attrs.get(name, getattr(self.instance, name, None)) for name in
                  ("kind", "comparison", "threshold", "field")}
        kind = merged["kind"] or Rule.Kind.COUNT
        if kind == Rule.Kind.NEW_VALUE:
            if not merged["field"]:
                raise serializers.ValidationError({"field": "A new_value rule needs the field whose values to watch."})
            try:
                validate_value_field(merged["field"])
            except serializers.ValidationError as exc:
                raise serializers.ValidationError({"field": exc.detail}) from None
        if (kind == Rule.Kind.COUNT and (merged["comparison"] or Rule.Comparison.ABOVE) == Rule.Comparison.BELOW
                and not merged["threshold"]):
            raise serializers.ValidationError({"threshold": "'below 0' can never happen; use 1 or more "
                                                            "(or an absence rule)."})
        return attrs


class _Rules(_TenantScoped):
    serializer_class = RuleSerializer
    write_roles = WRITERS

    def get_queryset(self):
        return self.caller().rows(Rule).prefetch_related("channels")


@extend_schema_view(get=extend_schema(responses={200: RuleSerializer(many=True), **errors(403)}),
                    post=extend_schema(responses={201: RuleSerializer, **errors(400, 403, 409)}))
class RuleList(_Rules, ListCreateAPIView):
    """GET lists the tenant's alert rules with their state; POST creates one (members and up)."""

    pagination_class = None

    def perform_create(self, serializer):
        caller = self.caller()
        self.change(rule_created, lambda: serializer.save(tenant=caller.tenant, created_by=caller.actor,
                                                          next_evaluation_at=timezone.now()), "an alert rule")


@extend_schema_view(get=extend_schema(responses={200: RuleSerializer, **errors(403, 404)}),
                    patch=extend_schema(responses={200: RuleSerializer, **errors(400, 403, 404, 409)}),
                    delete=extend_schema(responses={204: None, **errors(403, 404)}))
class RuleDetail(_Rules, RetrieveUpdateDestroyAPIView):
    """GET, PATCH (edit, enable, mute with muted_until), DELETE one rule."""

    http_method_names = ["get", "patch", "delete", "head", "options"]

    def perform_update(self, serializer):
        self.change(rule_updated, serializer.save, "an alert rule", before=watched_values(serializer.instance),
                    fields=serializer.validated_data)

    def perform_destroy(self, instance):
        rule_delete(instance, actor=self.caller().actor, via="api")


# --- history ------------------------------------------------------------------------------------------

def delivery_json(delivery: Delivery) -> dict:
    return {"id": delivery.pk, "kind": delivery.kind, "status": delivery.status, "attempts": delivery.attempts,
            "channel": {"id": delivery.channel_id, "name": delivery.channel.name, "kind": delivery.channel.kind},
            "last_error": delivery.last_error, "response_status": delivery.response_status,
            "next_attempt_at": delivery.next_attempt_at if delivery.status == Delivery.Status.PENDING else None,
            "sent_at": delivery.sent_at}


def event_json(event: Event) -> dict:
    return {"id": event.pk, "rule": {"id": event.rule_id, "name": event.rule.name}, "state": event.state,
            "previous_state": event.previous_state, "episode": event.episode_id or event.pk, "at": event.at,
            "count": event.count, "window": {"since": event.window_start, "until": event.window_end},
            "query": event.query, "condition": event.condition, "new_values": event.new_values,
            "samples": event.samples, "muted": event.muted,
            "url": explorer_url(tenant_slug=event.tenant.slug, query=event.query, since=event.window_start,
                                until=event.window_end),
            "deliveries": [delivery_json(d) for d in event.deliveries.all()]}


class EventList(_TenantScoped, APIView):
    """GET: the tenant's alert history, newest first (every state change, with its notifications)."""

    @extend_schema(parameters=[OpenApiParameter("rule", OpenApiTypes.INT, description="only this rule's events"),
                               OpenApiParameter("cursor", OpenApiTypes.STR, description="next_cursor of the last page"),
                               OpenApiParameter("limit", OpenApiTypes.INT, description="1-200, default 50")],
                   responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="{results, next_cursor}"),
                              **errors(400, 403)})
    def get(self, request):
        params = request.query_params
        events = (self.caller().rows(Event).select_related("rule", "tenant")
                  .prefetch_related("deliveries__channel").order_by("-id"))
        if params.get("rule"):
            events = events.filter(rule_id=_number(params, "rule", 1, 2**63 - 1))
        if params.get("cursor"):
            events = events.filter(id__lt=_number(params, "cursor", 1, 2**63 - 1))
        limit = _number(params, "limit", 1, 200) if params.get("limit") else EVENTS_PAGE
        page = list(events[:limit + 1])
        more = len(page) > limit
        page = page[:limit]
        return Response({"results": [event_json(e) for e in page],
                         "next_cursor": str(page[-1].pk) if more else None})


def _number(params, name: str, low: int, high: int) -> int:
    raw = params.get(name, "")
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ApiError(400, f"invalid_{name}", f"'{name}' must be a whole number from {low} to {high}.", field=name)
    return int(raw)


# --- preview ------------------------------------------------------------------------------------------

class PreviewSerializer(serializers.Serializer):
    query = serializers.CharField(allow_blank=True, required=False, default="", max_length=2000,
                                  validators=[validate_query_text])
    kind = serializers.ChoiceField(choices=Rule.Kind.choices, default=Rule.Kind.COUNT)
    comparison = serializers.ChoiceField(choices=Rule.Comparison.choices, default=Rule.Comparison.ABOVE)
    threshold = serializers.IntegerField(min_value=0, max_value=2**31 - 1, default=0)
    field = serializers.CharField(allow_blank=True, required=False, default="", max_length=300)
    window_seconds = serializers.IntegerField(min_value=MIN_WINDOW, max_value=MAX_WINDOW, default=300)

    def validate(self, attrs):
        if attrs["kind"] == Rule.Kind.NEW_VALUE:
            if not attrs["field"]:
                raise serializers.ValidationError({"field": "A new_value rule needs the field whose values to watch."})
            try:
                validate_value_field(attrs["field"])
            except serializers.ValidationError as exc:
                raise serializers.ValidationError({"field": exc.detail}) from None
        return attrs


class RulePreview(_TenantScoped, APIView):
    """POST a rule (unsaved): what its window holds right now, and whether it would fire."""

    write_roles = WRITERS

    @extend_schema(request=PreviewSerializer, responses={200: inline_serializer("RulePreview", {
        "since": serializers.DateTimeField(), "until": serializers.DateTimeField(),
        "count": serializers.IntegerField(), "would_fire": serializers.BooleanField(allow_null=True),
        "values": serializers.ListField(child=serializers.CharField()),
        "samples": serializers.ListField(child=serializers.DictField()), "url": serializers.CharField()}),
        **errors(400, 403)})
    def post(self, request):
        data = PreviewSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rule = Rule(tenant=self.caller().tenant, **data.validated_data)
        now = timezone.now()
        if rule.kind == Rule.Kind.NEW_VALUE:
            since, until = window(rule, now)
            search = Search.for_tenant(rule.tenant, rule.query, since=since, until=until)
            values = distinct_values(search, rule.field)[0]
            observation, would_fire = Observation(since, until, get_store().count(search), values=values), None
        else:
            observation = observe(rule, now)
            would_fire = condition_met(rule, observation.count, [])
        return Response({"since": observation.since, "until": observation.until, "count": observation.count,
                         "would_fire": would_fire, "values": observation.values[:100], "samples": observation.samples,
                         "url": explorer_url(tenant_slug=rule.tenant.slug, query=rule.query, since=observation.since,
                                             until=observation.until)})
