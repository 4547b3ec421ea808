"""The cross-tenant matrix, generated from the URL configuration.

For every API route that names an object (an id in its path) and every method its view answers,
tenant B's keys of each scope and B's people of each role, aimed at tenant A's object ids, get a
401, 403, 404 or 405 — never a 2xx, and never one of A's values in the answer. Every API route
without an id answers B's callers without A's values. A new route with an id and no entry in
OBJECT_ROUTES fails the first test. A's own owner reaching each object (2xx) shows the ids aimed
at are real.
"""

import asyncio
import time
import uuid

import orjson
import pytest
from django.contrib.auth import get_user_model
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from accounts.keys import api_key_create
from accounts.models import ApiKey, App, Membership, Role, Tenant
from logs.models import LogEntry
from logs.writer import write_envelopes
from logline.envelope import Envelope

pytestmark = pytest.mark.django_db
SECRET = "alpha-secret"  # in every name and message of tenant A: a B answer containing it leaked
METHODS = ("get", "post", "put", "patch", "delete")
# route name → how to fill its path parameters from tenant A's objects
OBJECT_ROUTES = {
    "logs-entry": {"event_id": "event_id"},
    "logs-context": {"event_id": "event_id"},
    "saved-search": {"pk": "saved_search"},
    "key-revoke": {"key_id": "key"},
    "key-rotate": {"key_id": "key"},
    "alert-channel": {"pk": "channel"},
    "alert-channel-rotate": {"pk": "channel"},
    "alert-channel-test": {"pk": "channel"},
    "alert-rule": {"pk": "rule"},
    "dashboard": {"uid": "dashboard"},
    "dashboard-layout": {"uid": "dashboard"},
    "dashboard-widgets": {"uid": "dashboard"},
    "dashboard-widget": {"uid": "dashboard", "pk": "widget"},
    "dashboard-widget-data": {"uid": "dashboard", "pk": "widget"},
}
NOT_TENANT_OWNED = {"api-docs", "schema"}  # paths with parameters that are not tenant objects (none today)


def _api_patterns():
    """(route string, name, view callback) of every /api/ route, includes flattened."""
    found = []

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                route = prefix + str(pattern.pattern)
                if route.startswith("api/") and pattern.name not in NOT_TENANT_OWNED:
                    found.append((route, pattern.name, pattern.callback))

    walk(get_resolver().url_patterns)
    return found


def _methods(callback) -> list[str]:
    view = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    if view is None:
        return ["get"]
    return [m for m in METHODS if hasattr(view, m)]


def test_every_api_route_with_an_id_is_in_the_matrix():
    with_ids = {name for route, name, _ in _api_patterns() if "<" in route}
    assert with_ids - set(OBJECT_ROUTES) == set(), "add these routes to OBJECT_ROUTES"
    assert set(OBJECT_ROUTES) - with_ids == set(), "these routes are gone: remove them from OBJECT_ROUTES"


@pytest.fixture
def world():
    alpha = Tenant.objects.create(slug=SECRET, name=f"{SECRET} tenant")
    alpha_app = App.objects.create(tenant=alpha, slug=f"{SECRET}-app", name=f"{SECRET} app")
    alpha_key, alpha_raw = api_key_create(app=alpha_app, scopes=["ingest", "read"], name=f"{SECRET} key")
    event_id = uuid.UUID("01a229c6-0000-7000-8000-000000000001")
    write_envelopes([Envelope(tenant_id=alpha.id, app_id=alpha_app.id, received_ns=time.time_ns(), lines=[
        {"id": str(event_id), "ts": time.time_ns(), "level": 40, "message": f"{SECRET} line", "service": SECRET,
         "host": SECRET, "trace_id": "", "span_id": "", "attributes": {"who": SECRET}}])])
    owner = get_user_model().objects.create_user(f"{SECRET}-owner", password="pw-alpha-owner-1")
    Membership.objects.create(user=owner, tenant=alpha, role=Role.OWNER)
    as_owner = APIClient()
    as_owner.force_login(owner)

    def made(response) -> dict:
        assert response.status_code == 201, response.content
        return response.json()

    saved = made(as_owner.post("/api/v1/saved-searches", {"name": f"{SECRET} search", "query": SECRET}, format="json"))
    channel = made(as_owner.post("/api/v1/alerts/channels", {"name": f"{SECRET} hook", "kind": "webhook",
                                                              "url": "https://hooks.example.com/alpha-secret"},
                                 format="json"))
    rule = made(as_owner.post("/api/v1/alerts/rules", {"name": f"{SECRET} rule", "query": SECRET, "window_seconds": 300,
                                                        "interval_seconds": 60, "channels": [channel["id"]]},
                              format="json"))
    board = made(as_owner.post("/api/v1/dashboards", {"name": f"{SECRET} board"}, format="json"))
    widget = made(as_owner.post(f"/api/v1/dashboards/{board['uid']}/widgets",
                                {"kind": "single_number", "title": f"{SECRET} widget", "query": SECRET},
                                format="json"))
    objects = {"event_id": event_id, "saved_search": saved["id"], "key": alpha_key.id, "channel": channel["id"],
               "rule": rule["id"], "dashboard": board["uid"], "widget": widget["id"]}

    beta = Tenant.objects.create(slug="beta", name="Beta")
    beta_app = App.objects.create(tenant=beta, slug="web", name="Web")
    callers = {}
    for scopes in (["ingest"], ["read"], ["ingest", "read"]):
        _, raw = api_key_create(app=beta_app, scopes=scopes)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        callers[f"key:{'+'.join(scopes)}"] = client
    for role in (Role.OWNER, Role.ADMIN, Role.MEMBER, Role.VIEWER):
        person = get_user_model().objects.create_user(f"beta-{role}", password="pw-beta-person-1", is_staff=True)
        Membership.objects.create(user=person, tenant=beta, role=role)
        client = APIClient()
        client.force_login(person)
        callers[f"person:{role}"] = client
    return {"objects": objects, "callers": callers, "owner": as_owner, "alpha_key": alpha_raw}


def _path(route: str, name: str, objects: dict) -> str:
    path = "/" + route
    for param, source in OBJECT_ROUTES[name].items():
        for converter in ("int", "uuid", "str", "slug"):
            path = path.replace(f"<{converter}:{param}>", str(objects[source]))
    assert "<" not in path, path
    return path


def _body(method: str) -> dict | None:
    # Plausible bodies: a forged request should fail for its tenant, not for its shape.
    return {"name": "renamed by beta", "query": "x", "grace_hours": 1, "widgets": [], "title": "t"} \
        if method in ("post", "put", "patch") else None


def test_b_never_reaches_a_through_any_route_with_an_id(world):
    objects, tried = world["objects"], 0
    for route, name, callback in _api_patterns():
        if "<" not in route:
            continue
        path = _path(route, name, objects)
        for method in _methods(callback):
            for caller, client in world["callers"].items():
                response = getattr(client, method)(path, _body(method), format="json")
                body = _content(response)
                assert response.status_code in (401, 403, 404, 405), (caller, method.upper(), path,
                                                                        response.status_code, body[:300])
                assert SECRET.encode() not in body, (caller, method.upper(), path, body[:300])
                tried += 1
    assert tried >= len(OBJECT_ROUTES) * 7
    # and nothing of A's changed
    assert LogEntry.objects.filter(message=f"{SECRET} line").count() == 1
    assert ApiKey.objects.get(pk=objects["key"]).is_usable()


def test_the_ids_aimed_at_are_real(world):
    """A's owner reaches every object route with a GET (the ones that have one): the matrix is not vacuous."""
    owner, reached = world["owner"], 0
    for route, name, callback in _api_patterns():
        if "<" in route and "get" in _methods(callback):
            response = owner.get(_path(route, name, world["objects"]))
            assert 200 <= response.status_code < 300, (route, response.status_code, response.content[:300])
            reached += 1
    assert reached >= 8


def _content(response) -> bytes:
    if not response.streaming:
        return response.content
    if getattr(response, "is_async", False):
        async def collect():
            return b"".join([chunk async for chunk in response.streaming_content])
        return asyncio.run(collect())
    return b"".join(response.streaming_content)


def test_routes_without_ids_answer_b_without_a_values(world):
    for route, name, callback in _api_patterns():
        # The SSE stream never ends by itself: tests/test_live.py and test_live_access.py tail it for real.
        if "<" in route or "get" not in _methods(callback) or name == "logs-stream":
            continue
        for caller, client in world["callers"].items():
            response = client.get("/" + route, {"q": SECRET, "since": "2000-01-01T00:00:00Z"})
            body = _content(response)
            assert response.status_code < 500, (caller, route, response.status_code)
            assert _only_echoed(body), (caller, route, body[:300])


def _only_echoed(body: bytes) -> bool:
    """The answer may repeat the caller's own query (`q`); nothing else of A's may appear."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return SECRET.encode() not in body
    found = []

    def walk(value, key=""):
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, k)
        elif isinstance(value, list):
            for v in value:
                walk(v, key)
        elif isinstance(value, str) and SECRET in value and key not in ("q", "query"):
            found.append((key, value))

    walk(data)
    return not found
