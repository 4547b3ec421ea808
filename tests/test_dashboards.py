"""Dashboards: widgets give the numbers the direct search, histogram and facets endpoints give; layout
is saved and checked; bad input gets 400s naming the field; tenants never see each other's."""

from datetime import datetime, timedelta, timezone

import pytest
from django.contrib.auth import get_user_model

from accounts.models import Membership, Tenant
from logs.search import Search
from logs.store import get_store
from tests.conftest import assert_error, post_logs

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True, params=["sql", "clickhouse"])
def log_store(request):
    """Widget data on both stores: Django's database and ClickHouse (chDB)."""
    if request.param == "clickhouse":
        return request.getfixturevalue("clickhouse_store")
    return None


BASE = datetime(2026, 11, 29, 10, 0, tzinfo=timezone.utc)
SINCE, UNTIL = BASE.isoformat(), (BASE + timedelta(hours=1)).isoformat()


def _at(minutes: float) -> str:
    return (BASE + timedelta(minutes=minutes)).isoformat()


@pytest.fixture
def keys(client, make_key, queue, drain):
    """Tenant acme (apps web and api) and bravo, with known lines in the hour from BASE."""
    web, api, bravo = make_key(app="web"), make_key(app="api"), make_key(tenant="bravo", app="web")
    post_logs(client, web, [{"message": f"GET /orders/{i} 200", "level": "info", "host": f"web-{i % 3 + 1}",
                             "timestamp": _at(i), "user_id": i % 4} for i in range(40)])
    post_logs(client, web, [{"message": f"payment timeout {i}", "level": "error", "host": "web-2",
                             "timestamp": _at(i * 5 + 0.5), "user_id": 7} for i in range(8)])
    post_logs(client, api, [{"message": f"api call {i}", "level": "warn", "host": "api-1", "timestamp": _at(i * 3)}
                            for i in range(15)])
    post_logs(client, web, [{"message": "too late", "level": "error", "timestamp": _at(70)}])
    post_logs(client, bravo, [{"message": "bravo timeout", "level": "error", "host": "web-1", "timestamp": _at(5)}])
    drain()
    return {"web": web, "api": api, "bravo": bravo}


@pytest.fixture
def people(keys):
    acme, bravo = Tenant.objects.get(slug="acme"), Tenant.objects.get(slug="bravo")
    users = {}
    for role in ("member", "viewer"):
        users[role] = get_user_model().objects.create_user(role, password="pw-for-tests-123")
        Membership.objects.create(user=users[role], tenant=acme, role=role)
    users["outsider"] = get_user_model().objects.create_user("outsider", password="pw-for-tests-123")
    Membership.objects.create(user=users["outsider"], tenant=bravo, role="member")
    return users


WIDGETS = [
    {"title": "All lines", "kind": "timeseries", "query": "", "options": {"interval": 600}},
    {"title": "By host", "kind": "timeseries", "query": "-level:warn", "split_by": "host", "options": {"series": 2}},
    {"title": "By level", "kind": "timeseries", "query": "", "split_by": "level"},
    {"title": "Users", "kind": "top_values", "query": "app:web", "split_by": "attributes.user_id",
     "options": {"limit": 3}},
    {"title": "Errors", "kind": "single_number", "query": "level:>=error"},
    {"title": "Latest timeouts", "kind": "log_list", "query": "timeout", "options": {"limit": 5}},
]


@pytest.fixture
def dashboard(client, people):
    client.force_login(people["member"])
    response = client.post("/api/v1/dashboards", {"name": "Shop", "time_range": {"since": SINCE, "until": UNTIL},
                                                  "widgets": WIDGETS}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def _data(client, dashboard, title, **params) -> dict:
    widget = next(w for w in dashboard["widgets"] if w["title"] == title)
    response = client.get(f"/api/v1/dashboards/{dashboard['uid']}/widgets/{widget['id']}/data", params)
    assert response.status_code == 200, response.content
    return response.json()


def _direct(client, key, path, **params) -> dict:
    response = client.get(path, {"since": SINCE, "until": UNTIL, **params}, HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200, response.content
    return response.json()


def _per_time(buckets) -> dict:
    totals = {}
    for bucket in buckets:
        totals[bucket["time"]] = totals.get(bucket["time"], 0) + bucket["count"]
    return totals


def test_timeseries_equals_the_histogram_endpoint(client, keys, dashboard):
    data = _data(client, dashboard, "All lines")
    direct = _direct(client, keys["web"], "/api/v1/logs/histogram", interval="600")

    [series] = data["data"]["series"]
    assert data["data"]["interval"] == 600
    assert {b["time"]: b["count"] for b in series["buckets"]} == _per_time(direct["buckets"])
    assert sum(b["count"] for b in series["buckets"]) == 40 + 8 + 15


def test_a_series_per_value_equals_the_histogram_of_that_value(client, keys, dashboard):
    data = _data(client, dashboard, "By host")["data"]

    assert [s["value"] for s in data["series"]] == ["web-2", "web-1"]  # the two busiest hosts
    for series in data["series"]:
        direct = _direct(client, keys["web"], "/api/v1/logs/histogram", q=f'-level:warn host:"{series["value"]}"',
                         interval=str(data["interval"]))
        assert {b["time"]: b["count"] for b in series["buckets"]} == _per_time(direct["buckets"])
    rest = _direct(client, keys["web"], "/api/v1/logs/histogram", q='-level:warn -host:web-2 -host:web-1',
                   interval=str(data["interval"]))
    assert {b["time"]: b["count"] for b in data["other"]["buckets"]} == _per_time(rest["buckets"])

    by_level = _data(client, dashboard, "By level")["data"]
    assert {s["value"]: sum(b["count"] for b in s["buckets"]) for s in by_level["series"]} == \
        {"info": 40, "warn": 15, "error": 8}


def test_top_values_single_number_and_log_list_equal_the_direct_answers(client, keys, dashboard):
    top = _data(client, dashboard, "Users")["data"]
    facets = _direct(client, keys["web"], "/api/v1/logs/facets", q="app:web", field="attributes.user_id", limit="3")
    assert top["values"] == facets["facets"]["attributes.user_id"]
    assert top["values"][0] == {"value": "0", "count": 10}
    assert top["total"] == 48

    errors = _data(client, dashboard, "Errors")["data"]["value"]
    tenant = Tenant.objects.get(slug="acme")
    assert errors == get_store().count(Search.for_tenant(tenant, "level:>=error", since=BASE,
                                                         until=BASE + timedelta(hours=1))) == 8

    latest = _data(client, dashboard, "Latest timeouts")["data"]
    direct = _direct(client, keys["web"], "/api/v1/logs", q="timeout", limit="5")
    assert latest["entries"] == direct["results"]
    assert [e["message"] for e in latest["entries"]] == [f"payment timeout {i}" for i in (7, 6, 5, 4, 3)]
    assert latest["next_cursor"] == direct["next_cursor"]


def test_one_range_for_every_widget(client, keys, dashboard):
    default = _data(client, dashboard, "Errors")
    assert (default["since"], default["until"]) == ("2026-11-29T10:00:00Z", "2026-11-29T11:00:00Z")
    wider = _data(client, dashboard, "Errors", since=SINCE, until=_at(90))
    assert wider["data"]["value"] == 9  # "too late" at +70 minutes
    recent = _data(client, dashboard, "Errors", range="15m")
    assert recent["data"]["value"] == 0

    uid = dashboard["uid"]
    patched = client.patch(f"/api/v1/dashboards/{uid}", {"time_range": {"range": "7d"}}, format="json").json()
    assert patched["time_range"] == {"range": "7d"}
    assert patched["url"].endswith(f"/?tenant=acme&view=dashboard&dashboard={uid}")


def test_layout_is_saved_and_checked(client, dashboard):
    uid, widgets = dashboard["uid"], dashboard["widgets"]
    assert [(w["x"], w["y"]) for w in widgets] == [(0, 0), (0, 4), (0, 8), (0, 12), (0, 16), (0, 20)]

    moves = [{"id": widgets[0]["id"], "x": 0, "y": 0, "w": 6, "h": 4},
             {"id": widgets[1]["id"], "x": 6, "y": 0, "w": 6, "h": 4}]
    saved = client.put(f"/api/v1/dashboards/{uid}/layout", {"widgets": moves}, format="json")
    assert saved.status_code == 200, saved.content
    again = client.get(f"/api/v1/dashboards/{uid}").json()["widgets"]
    assert {w["id"]: (w["x"], w["y"], w["w"], w["h"]) for w in again}[widgets[1]["id"]] == (6, 0, 6, 4)

    clash = [{"id": widgets[2]["id"], "x": 3, "y": 0, "w": 6, "h": 4}]
    assert_error(client.put(f"/api/v1/dashboards/{uid}/layout", {"widgets": clash}, format="json"), 400,
                 "overlapping_widgets", "widgets")
    too_wide = [{"id": widgets[2]["id"], "x": 8, "y": 40, "w": 6, "h": 4}]
    assert_error(client.put(f"/api/v1/dashboards/{uid}/layout", {"widgets": too_wide}, format="json"), 400,
                 "invalid", "widgets")
    assert_error(client.put(f"/api/v1/dashboards/{uid}/layout", {"widgets": [{"id": 999999, "x": 0, "y": 90, "w": 1,
                                                                               "h": 1}]}, format="json"),
                 400, "unknown_widget", "widgets")

    added = client.post(f"/api/v1/dashboards/{uid}/widgets", {"kind": "single_number", "query": "level:warn"},
                        format="json").json()
    assert (added["x"], added["y"]) == (0, 24)  # a new row below the rest
    assert client.delete(f"/api/v1/dashboards/{uid}/widgets/{added['id']}").status_code == 204
    assert len(client.get(f"/api/v1/dashboards/{uid}/widgets").json()) == 6


def test_bad_input_gets_400s_naming_the_field(client, dashboard):
    uid = dashboard["uid"]
    add = lambda body: client.post(f"/api/v1/dashboards/{uid}/widgets", body, format="json")  # noqa: E731
    assert_error(add({"kind": "timeseries", "query": "level:>=loud"}), 400, "invalid", "query")
    assert_error(add({"kind": "pie", "query": ""}), 400, "invalid", "kind")
    assert_error(add({"kind": "top_values"}), 400, "invalid", "split_by")
    assert_error(add({"kind": "top_values", "split_by": "password"}), 400, "invalid", "split_by")
    assert_error(add({"kind": "single_number", "split_by": "host"}), 400, "invalid", "split_by")
    assert_error(add({"kind": "log_list", "options": {"limit": 5000}}), 400, "invalid", "options")
    assert_error(add({"kind": "log_list", "options": []}), 400, "invalid", "options")
    assert_error(add({"kind": "log_list", "x": 10, "w": 4}), 400, "invalid", "w")
    assert_error(add({"kind": "log_list", "x": 0, "y": 0}), 400, "overlapping_widgets", "x")
    assert_error(client.post("/api/v1/dashboards", {"name": "Bad", "time_range": {"range": "1y"}}, format="json"),
                 400, "invalid", "time_range")
    assert_error(client.post("/api/v1/dashboards", {"name": "Bad", "time_range": {"since": UNTIL, "until": SINCE}},
                             format="json"), 400, "invalid", "time_range")
    assert_error(client.post("/api/v1/dashboards", {"name": "Shop"}, format="json"), 409, "name_taken", "name")
    widget = dashboard["widgets"][0]["id"]
    data = f"/api/v1/dashboards/{uid}/widgets/{widget}/data"
    assert_error(client.get(data, {"range": "1y"}), 400, "invalid_range", "range")
    assert_error(client.get(data, {"since": UNTIL, "until": SINCE}), 400, "invalid_range", "since")
    assert_error(client.get(data, {"since": "yesterday-ish"}), 400, "invalid_since", "since")
    assert_error(client.get(data, {"range": "30d"}), 400, "too_many_buckets", "interval")  # 600 s buckets: 4,320
    assert_error(client.get(f"/api/v1/dashboards/{uid}/widgets/999999/data"), 404, "not_found")


def test_tenants_and_roles(client, keys, people, dashboard):
    uid, widget = dashboard["uid"], dashboard["widgets"][4]["id"]

    client.force_login(people["viewer"])
    assert [d["name"] for d in client.get("/api/v1/dashboards").json()] == ["Shop"]
    assert client.get(f"/api/v1/dashboards/{uid}/widgets/{widget}/data").json()["data"]["value"] == 8
    assert_error(client.patch(f"/api/v1/dashboards/{uid}", {"name": "Mine"}, format="json"), 403, "permission_denied")

    client.force_login(people["outsider"])
    assert client.get("/api/v1/dashboards").json() == []
    assert_error(client.get(f"/api/v1/dashboards/{uid}"), 404, "not_found")
    assert_error(client.get(f"/api/v1/dashboards/{uid}/widgets/{widget}/data"), 404, "not_found")
    assert_error(client.delete(f"/api/v1/dashboards/{uid}"), 404, "not_found")
    assert_error(client.put(f"/api/v1/dashboards/{uid}/layout", {"widgets": []}, format="json"), 404, "not_found")
    # The same query on bravo's own dashboard sees only bravo's lines.
    theirs = client.post("/api/v1/dashboards", {"name": "Shop", "time_range": {"since": SINCE, "until": UNTIL},
                                                "widgets": [WIDGETS[4]]}, format="json").json()
    assert _data(client, theirs, "Errors")["data"]["value"] == 1

    client.logout()
    response = client.get(f"/api/v1/dashboards/{uid}/widgets/{widget}/data", HTTP_AUTHORIZATION=f"Bearer {keys['web']}")
    assert response.json()["data"]["value"] == 8  # read keys read dashboards too
    assert_error(client.delete(f"/api/v1/dashboards/{uid}", HTTP_AUTHORIZATION=f"Bearer {keys['web']}"), 403,
                 "permission_denied")


def test_widget_preview_for_the_editor(client, keys, dashboard):
    preview = client.post("/api/v1/dashboards/widget-preview", {"kind": "top_values", "query": "", "split_by": "host",
                                                                "since": SINCE, "until": UNTIL}, format="json")
    assert preview.status_code == 200, preview.content
    direct = _direct(client, keys["web"], "/api/v1/logs/facets", field="host")
    assert preview.json()["data"]["values"] == direct["facets"]["host"]
    assert_error(client.post("/api/v1/dashboards/widget-preview", {"kind": "top_values"}, format="json"), 400,
                 "invalid", "split_by")
