"""The audit log records who changed retention, quotas, roles and keys, and who exported or deleted."""

import asyncio

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from accounts.models import ApiKey, App, AuditEvent, Membership, Role, Tenant
from tests.conftest import post_logs


def tenant_form(tenant, **changes):
    """The Tenant change form's POST, with its two inlines (apps, members) left as they are."""
    data = {"name": tenant.name, "slug": tenant.slug, "retention_days": tenant.retention_days,
            "ingest_lines_per_second": tenant.ingest_lines_per_second or "",
            "ingest_bytes_per_day": tenant.ingest_bytes_per_day or "", "created_at_0": "2026-01-01",
            "created_at_1": "00:00:00"}
    for prefix, model in (("apps", App), ("memberships", Membership)):
        rows = list(model.objects.filter(tenant=tenant))
        data.update({f"{prefix}-TOTAL_FORMS": len(rows), f"{prefix}-INITIAL_FORMS": len(rows),
                     f"{prefix}-MIN_NUM_FORMS": 0, f"{prefix}-MAX_NUM_FORMS": 1000})
        for i, row in enumerate(rows):
            data[f"{prefix}-{i}-id"] = row.id
            data[f"{prefix}-{i}-tenant"] = tenant.id
            if model is App:
                data.update({f"{prefix}-{i}-name": row.name, f"{prefix}-{i}-slug": row.slug})
            else:
                data.update({f"{prefix}-{i}-user": row.user_id, f"{prefix}-{i}-role": row.role,
                             f"{prefix}-{i}-created_at_0": "2026-01-01", f"{prefix}-{i}-created_at_1": "00:00:00"})
    data.update(changes)
    return data


@pytest.fixture
def setup(db):
    User = get_user_model()
    operator = User.objects.create_superuser("root", password="pw")
    tenant_admin = User.objects.create_user("tina", password="pw", is_staff=True)
    member = User.objects.create_user("mo", password="pw")
    tenant = Tenant.objects.create(slug="acme", name="Acme")
    Membership.objects.create(user=tenant_admin, tenant=tenant, role=Role.ADMIN)
    Membership.objects.create(user=member, tenant=tenant, role=Role.MEMBER)
    return {"operator": operator, "tenant_admin": tenant_admin, "member": member, "tenant": tenant}


def signed_in(user):
    browser = Client()
    browser.force_login(user)
    return browser


def test_retention_and_quota_changes_are_audited_with_before_and_after(setup):
    tenant = setup["tenant"]
    response = signed_in(setup["operator"]).post(
        f"/admin/accounts/tenant/{tenant.id}/change/",
        tenant_form(tenant, retention_days=7, ingest_lines_per_second=500))
    assert response.status_code == 302, response.content.decode()[:2000]
    retention = AuditEvent.objects.get(action="tenant.retention_changed")
    assert retention.actor == "root"
    assert retention.details["before"] == 30 and retention.details["after"] == 7
    quota = AuditEvent.objects.get(action="tenant.quota_changed")
    assert quota.details["field"] == "ingest_lines_per_second" and quota.details["after"] == 500


def test_a_tenant_admin_changes_retention_but_cannot_lift_their_own_quota(setup):
    tenant = setup["tenant"]
    Tenant.objects.filter(pk=tenant.pk).update(ingest_lines_per_second=100)
    tenant.refresh_from_db()
    response = signed_in(setup["tenant_admin"]).post(
        f"/admin/accounts/tenant/{tenant.id}/change/",
        tenant_form(tenant, retention_days=14, ingest_lines_per_second=1_000_000, slug="renamed"))
    assert response.status_code == 302, response.content.decode()[:2000]
    tenant.refresh_from_db()
    assert tenant.retention_days == 14
    assert tenant.ingest_lines_per_second == 100 and tenant.slug == "acme"
    assert AuditEvent.objects.filter(action="tenant.retention_changed", actor="tina").count() == 1
    assert not AuditEvent.objects.filter(action="tenant.quota_changed").exists()


def test_removing_a_member_is_audited_and_admin_keys_are_too(setup):
    membership = Membership.objects.get(user=setup["member"])
    browser = signed_in(setup["tenant_admin"])
    assert browser.post(f"/admin/accounts/membership/{membership.id}/delete/", {"post": "yes"}).status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()
    removed = AuditEvent.objects.get(action="member.removed")
    assert removed.details["user"] == "mo" and removed.actor == "tina"

    app = App.objects.create(tenant=setup["tenant"], slug="web", name="Web")
    browser.post("/admin/accounts/apikey/add/", {"app": app.id, "name": "ci", "scopes": ["ingest"]})
    key = ApiKey.objects.get(name="ci")
    created = AuditEvent.objects.get(action="api_key.created")
    assert (created.details["prefix"], created.details["via"], created.actor) == (key.prefix, "admin", "tina")
    browser.post("/admin/accounts/apikey/", {"action": "revoke_keys", "_selected_action": [key.id]})
    revoked = AuditEvent.objects.get(action="api_key.revoked")
    assert (revoked.details["prefix"], revoked.details["via"], revoked.actor) == (key.prefix, "admin", "tina")


def test_key_changes_are_audited_by_the_functions_that_make_them(db):
    """accounts/keys.py records every create, rotate and revoke, whoever calls it (API, admin,
    a command): no caller can change a key without its audit event."""
    from datetime import timedelta

    from accounts.keys import api_key_create, api_key_revoke, api_key_rotate

    tenant = Tenant.objects.create(slug="keys", name="Keys")
    app = App.objects.create(tenant=tenant, slug="web", name="Web")
    key, _ = api_key_create(app=app, scopes=["ingest"], actor="ops@example.com", via="cli")
    new, _ = api_key_rotate(key=key, grace=timedelta(hours=1), actor="ops@example.com")
    api_key_revoke(key=new, actor="ops@example.com")
    api_key_revoke(key=new, actor="ops@example.com")  # already revoked: nothing changes, nothing recorded
    events = [(e.action, e.details["prefix"], e.details["via"], e.actor)
              for e in AuditEvent.objects.filter(tenant=tenant).order_by("id")]
    assert events == [("api_key.created", key.prefix, "cli", "ops@example.com"),
                      ("api_key.rotated", key.prefix, "api", "ops@example.com"),
                      ("api_key.revoked", new.prefix, "api", "ops@example.com")]


@pytest.mark.django_db(transaction=True)  # the export streams from its own thread, as under daphne
def test_an_export_is_audited_with_its_query_and_range(make_key, queue, drain, client):
    raw = make_key(tenant="acme")
    post_logs(client, raw, [{"message": "a"}, {"message": "b"}])
    drain()
    response = client.get("/api/v1/logs/export", {"q": "level:info", "since": "2020-01-01T00:00:00Z",
                                                  "format": "csv"}, HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200

    async def consume():
        return b"".join([chunk async for chunk in response.streaming_content])

    asyncio.run(consume())
    event = AuditEvent.objects.get(action="logs.exported")
    assert event.actor.startswith("key:dl_full_")
    assert event.details["q"] == "level:info" and event.details["format"] == "csv"
    assert event.details["since"].startswith("2020-01-01")
