"""Who may do what: keys, scopes, sessions, and tenants that never see each other."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts.keys import api_key_revoke, authenticate_key, hash_key
from accounts.models import ApiKey, Membership
from tests.conftest import assert_error, get_logs, post_logs

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("headers, code", [
    ({}, "not_authenticated"),
    ({"HTTP_AUTHORIZATION": "Basic dXNlcjpwYXNz"}, "authentication_failed"),
    ({"HTTP_AUTHORIZATION": "Bearer"}, "authentication_failed"),
    ({"HTTP_AUTHORIZATION": "Bearer not-a-key"}, "authentication_failed"),
    ({"HTTP_X_API_KEY": "dl_full_" + "a" * 44}, "authentication_failed"),
])
def test_missing_malformed_and_unknown_keys_get_401(client, queue, headers, code):
    for method in ("get", "post"):
        response = getattr(client, method)("/api/v1/logs", **headers)
        assert_error(response, 401, code)


def test_revoked_key_gets_401(client, key, queue):
    api_key_revoke(key=ApiKey.objects.get())
    body = assert_error(post_logs(client, key, {"message": "m"}), 401, "authentication_failed")
    assert "revoked" in body["error"]["message"]


def test_expired_key_gets_401(client, make_key, queue):
    key = make_key(expires_at=timezone.now() - timedelta(seconds=1))
    body = assert_error(get_logs(client, key), 401, "authentication_failed")
    assert "expired" in body["error"]["message"]


def test_both_header_forms_work(client, key, queue):
    assert client.get("/api/v1/logs", HTTP_X_API_KEY=key).status_code == 200
    assert client.get("/api/v1/logs", HTTP_AUTHORIZATION=f"bearer {key}").status_code == 200


def test_ingest_only_key_cannot_read(client, make_key, queue):
    key = make_key(scopes=["ingest"])
    assert key.startswith("dl_ingest_")
    assert post_logs(client, key, {"message": "m"}).status_code == 202
    assert_error(get_logs(client, key), 403, "permission_denied")


def test_read_only_key_cannot_ingest(client, make_key, queue):
    key = make_key(scopes=["read"])
    assert key.startswith("dl_read_")
    assert_error(post_logs(client, key, {"message": "m"}), 403, "permission_denied")


def test_tenant_a_never_sees_tenant_b(client, make_key, queue, drain):
    key_a = make_key(tenant="alpha", app="web")
    key_b = make_key(tenant="bravo", app="web")  # same app slug, other tenant
    post_logs(client, key_a, [{"message": "alpha secret"}] * 3)
    post_logs(client, key_b, [{"message": "bravo secret"}] * 2)
    drain()

    seen_a = {e["message"] for e in get_logs(client, key_a).json()["results"]}
    seen_b = {e["message"] for e in get_logs(client, key_b).json()["results"]}
    assert seen_a == {"alpha secret"}
    assert seen_b == {"bravo secret"}
    assert get_logs(client, key_a, q="bravo").json()["results"] == []
    assert len(get_logs(client, key_b, app="web").json()["results"]) == 2


def test_session_sees_only_its_tenant_and_cannot_choose_another(client, make_key, queue, drain):
    key_a, key_b = make_key(tenant="alpha"), make_key(tenant="bravo")
    post_logs(client, key_a, {"message": "alpha"})
    post_logs(client, key_b, {"message": "bravo"})
    drain()
    user = get_user_model().objects.create_user("ann", password="pw-for-tests-123")
    from accounts.models import Tenant

    Membership.objects.create(user=user, tenant=Tenant.objects.get(slug="alpha"), role="viewer")
    client.force_login(user)

    assert [e["message"] for e in client.get("/api/v1/logs").json()["results"]] == ["alpha"]
    assert_error(client.get("/api/v1/logs", HTTP_X_DEVLOGS_TENANT="bravo"), 403, "permission_denied")
    assert client.get("/api/v1/me").json()["tenant"]["slug"] == "alpha"


def test_signed_in_person_without_a_tenant_is_told_why(client, queue):
    user = get_user_model().objects.create_user("lonely", password="pw-for-tests-123")
    client.force_login(user)
    body = assert_error(client.get("/api/v1/logs"), 403, "permission_denied")
    assert "not a member" in body["error"]["message"]


def test_keys_are_stored_only_as_hashes(make_key):
    raw = make_key()
    stored = ApiKey.objects.get()
    assert raw.startswith(stored.prefix)
    assert stored.key_hash == hash_key(raw) != raw
    assert raw not in str(ApiKey.objects.values().get())


def test_last_used_is_recorded_without_a_write_per_request(make_key, settings):
    settings.DEVLOGS_API_KEY_TOUCH_SECONDS = 3600
    raw = make_key()
    first = authenticate_key(raw).last_used_at
    assert first is not None
    assert authenticate_key(raw).last_used_at == first
    assert ApiKey.objects.get().last_used_at == first


def test_create_api_key_command_prints_only_the_key(db):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("create_api_key", "--tenant", "newco", "--app", "shop", "--scopes", "ingest,read", stdout=out)
    raw = out.getvalue().strip()
    assert "\n" not in raw and raw.startswith("dl_full_")
    key = authenticate_key(raw)
    assert (key.app.tenant.slug, key.app.slug, key.scopes) == ("newco", "shop", ["ingest", "read"])
