"""Django admin for a tenant's staff: every admin that shows tenant-owned rows shows only theirs.

A beta owner with staff access walks every registered admin (changelist, its filters, search,
autocomplete, and the change page of each of alpha's objects) and never meets alpha's name or
rows. A new admin of a tenant-owned model that is not scoped fails the first test.
"""

import time

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from accounts.admin_scoping import TenantScopedAdmin
from accounts.audit import record
from accounts.keys import api_key_create
from accounts.models import App, Membership, Role, Tenant
from alerts.models import Channel, Delivery, Event, Rule
from dashboards.models import Dashboard
from logs.models import LogEntry
from logs.writer import write_envelopes
from logline.envelope import Envelope

pytestmark = pytest.mark.django_db
SECRET_NAME = "Alpha Confidential Holdings"
SECRET_SLUG = "alpha-confidential"


def _owned_by_a_tenant(model, depth=0) -> bool:
    if model is Tenant:
        return True
    if depth > 2:
        return False
    return any(field.is_relation and field.related_model is not None
               and _owned_by_a_tenant(field.related_model, depth + 1) for field in model._meta.fields)


def test_every_admin_of_tenant_owned_rows_is_scoped():
    unscoped = [model.__name__ for model, model_admin in admin.site._registry.items()
                if _owned_by_a_tenant(model) and not isinstance(model_admin, TenantScopedAdmin)]
    assert unscoped == []


@pytest.fixture
def alpha_rows():
    alpha = Tenant.objects.create(slug=SECRET_SLUG, name=SECRET_NAME)
    app = App.objects.create(tenant=alpha, slug="alpha-web", name="Alpha Web")
    key, _ = api_key_create(app=app, scopes=["ingest", "read"], name="alpha key")
    owner = get_user_model().objects.create_user("alpha-owner", password="pw-alpha-owner-1")
    membership = Membership.objects.create(user=owner, tenant=alpha, role=Role.OWNER)
    record(tenant=alpha, actor="alpha-owner", action="api_key.created", prefix=key.prefix)
    write_envelopes([Envelope(tenant_id=alpha.id, app_id=app.id, received_ns=time.time_ns(), lines=[
        {"id": "01a229c6-0000-7000-8000-000000000001", "ts": time.time_ns(), "level": 40,
         "message": "alpha secret message", "service": "", "host": "", "trace_id": "", "span_id": "",
         "attributes": {}}])])
    dashboard = Dashboard.objects.create(tenant=alpha, name="Alpha board")
    channel = Channel.objects.create(tenant=alpha, name="Alpha hook", kind="webhook", url="https://hooks.example.com/a")
    rule = Rule.objects.create(tenant=alpha, name="Alpha rule", query="error")
    rule.channels.add(channel)
    now = timezone.now()
    event = Event.objects.create(rule=rule, tenant=alpha, state="firing", previous_state="ok", at=now,
                                 count=3, window_start=now, window_end=now, condition="count > 0")
    delivery = Delivery.objects.create(event=event, channel=channel, kind="firing", idempotency_key="alpha-1",
                                       next_attempt_at=now)
    return {"tenant": alpha, "app": app, "apikey": key, "membership": membership, "logentry": LogEntry.objects.get(),
            "dashboard": dashboard, "channel": channel, "rule": rule, "event": event, "delivery": delivery}


@pytest.fixture
def beta_staff(client):
    beta = Tenant.objects.create(slug="beta", name="Beta")
    App.objects.create(tenant=beta, slug="web", name="Web")
    user = get_user_model().objects.create_user("beta-owner", password="pw-beta-owner-1", is_staff=True)
    Membership.objects.create(user=user, tenant=beta, role=Role.OWNER)
    client.force_login(user)
    return client


def _never_alpha(response):
    body = response.content.decode()
    assert SECRET_NAME not in body and SECRET_SLUG not in body and "alpha secret message" not in body, \
        f"{response.request['PATH_INFO']} shows alpha"


def test_a_tenant_admin_never_meets_another_tenants_rows_or_name(beta_staff, alpha_rows):
    visited = 0
    for model, model_admin in admin.site._registry.items():
        if not isinstance(model_admin, TenantScopedAdmin):
            continue
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        changelist = reverse(f"{name}_changelist")
        for query in ("", f"?tenant__id__exact={alpha_rows['tenant'].id}", "?q=confidential",
                      "?q=alpha"):
            response = beta_staff.get(changelist + query, follow=True)
            assert response.status_code in (200, 403), (changelist, query, response.status_code)
            _never_alpha(response)
            visited += 1
        obj = alpha_rows["tenant"] if model is Tenant else alpha_rows.get(model._meta.model_name)
        if obj is not None:
            for view in ("change", "delete", "history"):
                response = beta_staff.get(reverse(f"{name}_{view}", args=[obj.pk]), follow=True)
                assert response.status_code in (200, 403, 404), (name, view, response.status_code)
                _never_alpha(response)
    assert visited >= 4 * 10

    # Autocomplete (tenant, app and channel pickers) answers with beta's rows only.
    for model_name, field in (("rule", "tenant"), ("dashboard", "tenant"), ("channel", "tenant")):
        response = beta_staff.get("/admin/autocomplete/", {"app_label": model_name in ("dashboard",) and "dashboards"
                                                           or "alerts", "model_name": model_name,
                                                           "field_name": field, "term": ""})
        _never_alpha(response)

    # Add forms offer only beta's tenants, apps and channels.
    for url in ("/admin/alerts/rule/add/", "/admin/accounts/apikey/add/", "/admin/dashboards/dashboard/add/",
                "/admin/accounts/app/add/"):
        _never_alpha(beta_staff.get(url))


def test_the_tenant_filter_lists_only_the_managed_tenants(beta_staff, alpha_rows):
    gamma = Tenant.objects.create(slug="gamma", name="Gamma")
    Membership.objects.create(user=get_user_model().objects.get(username="beta-owner"), tenant=gamma, role=Role.ADMIN)
    for url in ("/admin/accounts/membership/", "/admin/accounts/app/", "/admin/alerts/rule/"):
        response = beta_staff.get(url)
        assert response.status_code == 200
        assert f"tenant__id__exact={gamma.id}" in response.content.decode()  # the filter is there, with gamma
        _never_alpha(response)
        assert f"tenant__id__exact={alpha_rows['tenant'].id}" not in response.content.decode()


def test_every_tenant_owned_model_has_one_path_to_its_tenant():
    from django.apps import apps

    from accounts.scoping import rows_of, tenant_path

    paths = {model.__name__: tenant_path(model) for model in apps.get_models() if _owned_by_a_tenant(model)}
    assert paths["Tenant"] == "" and paths["ApiKey"] == "app__tenant" and paths["Widget"] == "dashboard__tenant"
    assert paths["RedactionPolicy"] == "tenant" and paths["Delivery"] in ("channel__tenant", "event__tenant")
    for model in apps.get_models():
        if _owned_by_a_tenant(model):
            assert str(rows_of({1, 2}, model).query)  # builds
    with pytest.raises(ValueError):
        tenant_path(get_user_model())
