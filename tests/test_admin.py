"""Django admin is the operators' home: keys shown once, stored as hashes, revocable."""

import re

import pytest
from django.contrib.auth import get_user_model

from accounts.keys import authenticate_key, hash_key
from accounts.models import ApiKey, App, Tenant

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(client):
    user = get_user_model().objects.create_superuser("op", "op@example.com", "pw-for-tests-123")
    client.force_login(user)
    return client


@pytest.fixture
def app():
    tenant = Tenant.objects.create(slug="acme", name="Acme")
    return App.objects.create(tenant=tenant, slug="web", name="Web")


def test_creating_a_key_shows_it_once_and_stores_only_a_hash(operator, app):
    response = operator.post("/admin/accounts/apikey/add/",
                             {"app": app.pk, "name": "ci", "scopes": ["ingest", "read"], "expires_at_0": "",
                              "expires_at_1": ""}, follow=True)
    assert response.status_code == 200
    shown = re.findall(r"dl_full_[A-Za-z0-9]{44}", response.content.decode())
    assert len(shown) == 1
    raw = shown[0]

    stored = ApiKey.objects.get()
    assert stored.key_hash == hash_key(raw)
    assert raw not in repr(ApiKey.objects.values().get())
    assert authenticate_key(raw).pk == stored.pk

    again = operator.get(f"/admin/accounts/apikey/{stored.pk}/change/").content.decode()
    listing = operator.get("/admin/accounts/apikey/").content.decode()
    assert raw not in again and raw not in listing
    assert stored.prefix in listing


def test_revoke_action(operator, app):
    from accounts.keys import api_key_create

    key, raw = api_key_create(app=app, scopes=["ingest"])
    response = operator.post("/admin/accounts/apikey/", {"action": "revoke_keys", "_selected_action": [key.pk]},
                             follow=True)
    assert response.status_code == 200
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_key_list_filters_by_tenant(operator, app):
    from accounts.keys import api_key_create

    other = App.objects.create(tenant=Tenant.objects.create(slug="other", name="Other"), slug="web", name="Web")
    mine, _ = api_key_create(app=app, scopes=["ingest"])
    theirs, _ = api_key_create(app=other, scopes=["ingest"])
    listing = operator.get(f"/admin/accounts/apikey/?app__tenant__id__exact={app.tenant_id}").content.decode()
    assert mine.prefix in listing and theirs.prefix not in listing


@pytest.mark.parametrize("url", ["/admin/accounts/tenant/", "/admin/accounts/app/", "/admin/accounts/membership/",
                                 "/admin/accounts/apikey/", "/admin/accounts/tenant/add/",
                                 "/admin/accounts/apikey/add/", "/admin/logs/logentry/"])
def test_admin_pages_render(operator, app, url):
    assert operator.get(url, follow=True).status_code == 200


def test_the_tenant_pages_show_todays_quota_usage(operator, app):
    """ingest/admin.py adds the column (accounts does not import ingest)."""
    assert "Usage today (lines / bytes)" in operator.get("/admin/accounts/tenant/").content.decode()
    assert "Usage today (lines / bytes)" in operator.get(f"/admin/accounts/tenant/{app.tenant_id}/change/").content.decode()


def test_log_admin_searches_with_the_query_language(operator, client, key, queue, drain):
    from tests.conftest import post_logs

    post_logs(client, key, [{"message": "disk full", "level": "error", "host": "web-1"},
                            {"message": "disk fine", "level": "info", "host": "web-2"}])
    drain()
    found = operator.get("/admin/logs/logentry/", {"q": "level:>=error host:web-*"}, follow=True).content.decode()
    assert "disk full" in found and "disk fine" not in found
    bad = operator.get("/admin/logs/logentry/", {"q": "level:>=loud"}, follow=True).content.decode()
    assert "Query not understood" in bad
