"""Admin for alerting: rules and channels are edited here too; history and deliveries are read-only."""

from django import forms
from django.contrib import admin

from accounts.admin_scoping import TenantScopedAdmin
from alerts.changes import (channel_created, channel_delete, channel_updated, rule_created, rule_delete, rule_updated,
                            saving, watched_values)
from alerts.models import Channel, Delivery, Event, Rule
from alerts.outbound import check_target
from logs.querylang import QueryError, parse


class ChannelForm(forms.ModelForm):
    class Meta:
        model = Channel
        fields = "__all__"

    def clean(self):
        data = super().clean()
        if data.get("kind") in (Channel.Kind.WEBHOOK, Channel.Kind.SLACK):
            try:
                check_target(data.get("url", ""))
            except ValueError as exc:
                self.add_error("url", str(exc))
        elif data.get("kind") == Channel.Kind.EMAIL and not data.get("emails"):
            self.add_error("emails", "An email channel needs at least one address.")
        return data


class RuleForm(forms.ModelForm):
    class Meta:
        model = Rule
        fields = "__all__"

    def clean_query(self):
        try:
            parse(self.cleaned_data["query"])
        except QueryError as exc:
            raise forms.ValidationError(str(exc)) from None
        return self.cleaned_data["query"]

    def clean(self):
        data = super().clean()
        tenant, channels = data.get("tenant"), data.get("channels") or []
        if tenant and any(channel.tenant_id != tenant.id for channel in channels):
            self.add_error("channels", "Choose channels of the rule's own tenant.")
        return data


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Channel)
class ChannelAdmin(TenantScopedAdmin):
    form = ChannelForm
    list_display = ["name", "tenant", "kind", "enabled", "created_at"]
    list_filter = [("tenant", admin.RelatedOnlyFieldListFilter), "kind", "enabled"]
    search_fields = ["name", "url", "tenant__slug"]
    autocomplete_fields = ["tenant"]
    readonly_fields = ["created_by", "created_at", "updated_at"]

    def save_model(self, request, obj, form, change):
        who = {"actor": request.user.get_username(), "via": "admin"}
        if change:
            channel_updated(saving(obj), fields=form.changed_data, **who)
        else:
            channel_created(saving(obj), **who)

    def delete_model(self, request, obj):
        channel_delete(obj, actor=request.user.get_username(), via="admin")

    def delete_queryset(self, request, queryset):
        for channel in queryset:
            self.delete_model(request, channel)


@admin.register(Rule)
class RuleAdmin(TenantScopedAdmin):
    form = RuleForm
    list_display = ["name", "tenant", "kind", "state", "enabled", "muted_until", "last_count", "last_evaluated_at"]
    list_filter = [("tenant", admin.RelatedOnlyFieldListFilter), "kind", "state", "enabled"]
    search_fields = ["name", "query", "tenant__slug"]
    autocomplete_fields = ["tenant"]
    filter_horizontal = ["channels"]

    def save_model(self, request, obj, form, change):
        who = {"actor": request.user.get_username(), "via": "admin"}
        if change:
            before = watched_values(Rule.objects.get(pk=obj.pk))
            rule_updated(saving(obj), before=before, fields=form.changed_data, **who)
        else:
            rule_created(saving(obj), **who)

    def delete_model(self, request, obj):
        rule_delete(obj, actor=request.user.get_username(), via="admin")

    def delete_queryset(self, request, queryset):
        for rule in queryset:
            self.delete_model(request, rule)
    readonly_fields = ["state", "state_changed_at", "episode", "next_evaluation_at", "last_evaluated_at", "last_count",
                       "last_error", "baseline_at", "created_by", "created_at", "updated_at"]


@admin.register(Event)
class EventAdmin(ReadOnly, TenantScopedAdmin):
    list_display = ["at", "rule", "tenant", "previous_state", "state", "count", "muted"]
    list_filter = [("tenant", admin.RelatedOnlyFieldListFilter), "state", "muted"]
    search_fields = ["rule__name"]
    list_select_related = ["rule", "tenant"]
    date_hierarchy = "at"


@admin.register(Delivery)
class DeliveryAdmin(ReadOnly, TenantScopedAdmin):
    list_display = ["created_at", "kind", "channel", "status", "attempts", "next_attempt_at", "sent_at", "last_error"]
    list_filter = ["status", "kind", ("channel__tenant", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["idempotency_key", "channel__name"]
    list_select_related = ["channel"]
