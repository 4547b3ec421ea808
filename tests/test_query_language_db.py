"""The query language against the real database (SQLite or PostgreSQL): every operator returns
exactly the expected rows, injection attempts are plain data, and compile_query agrees with
matches() on generated queries."""

import random
from datetime import datetime, timedelta, timezone

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import App, Tenant
from logs.entries import entry_from_row
from logline.levels import DEBUG, ERROR, FATAL, INFO, NAMES, TRACE, WARN
from logs.models import LogEntry
from logs.querylang import compile_query, matches, parse, wildcard_match
from logs.querylang.parser import And, Attr, Exists, Level, Match, Not, Or, Text
from logs.writer import write_envelopes
from logline.envelope import Envelope

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)


def _ns(moment: datetime) -> int:
    return int(moment.timestamp()) * 10**9 + moment.microsecond * 1000


_counter = iter(range(1, 10**9))


def _line(message, level=INFO, **fields) -> dict:
    i = next(_counter)
    return {"id": f"01a229c6-0000-7000-8000-{i:012x}", "ts": _ns(NOW - timedelta(seconds=i)), "level": level,
            "message": message, "service": "", "host": "", "trace_id": "", "span_id": "", "attributes": {}, **fields}


def _tenant(slug, apps):
    tenant = Tenant.objects.create(slug=slug, name=slug.title())
    return tenant, {app: App.objects.create(tenant=tenant, slug=app, name=app) for app in apps}


def _write(tenant, app, lines):
    write_envelopes([Envelope(tenant_id=tenant.id, app_id=app.id, received_ns=_ns(NOW), lines=lines)])


def app_ids_for(tenant):
    """What a caller passes: its own apps, slugs matched like matches() does."""
    apps = list(App.objects.filter(tenant=tenant).values_list("id", "slug"))
    return lambda pattern: [app_id for app_id, slug in apps if wildcard_match(pattern, slug)]


# Alpha's lines, numbered for the expectations below: (app, line).
ALPHA = {
    1: ("web", _line("GET /home 200", INFO, service="frontend", host="web-1",
                     attributes={"http": {"status": 200, "path": "/home"}, "user_id": 42})),
    2: ("api", _line("POST /api/pay 503 upstream timeout", ERROR, service="billing api", host="web-2",
                     attributes={"http": {"status": 503, "path": "/api/pay"}, "user_id": "42"})),
    3: ("api", _line("Timeout talking to db", WARN, service="billing", host="db-1", trace_id="4bf92f35aa",
                     span_id="00f067aa", attributes={"retry": True, "db": {"name": "main"}})),
    4: ("web-admin", _line("disk 100% full", FATAL, host="web-10", attributes={"disk": {"pct": 100.0}, "flag": None})),
    5: ("web-admin", _line("disk 1000 full", DEBUG, host="web_1", attributes={"disk": {"pct": 99.5}, "flag": False})),
    6: ("web", _line("user_id missing", TRACE, attributes={"note": "", "user_id": 7})),
    7: ("web", _line("userXid missing", INFO, service="frontend", attributes={"path": "C:\\temp\\x", "quote": "it's"})),
    8: ("web", _line("path C:\\temp", INFO, attributes={"a'b": 1, "é": "日本"})),
    9: ("api", _line("Ünïcödé café ☕ crash", ERROR, service="billing api",
                     attributes={"http": {"status": "500"}, "tags": ["x"]})),
    10: ("web", _line("x' OR 1=1 --", WARN, host="x' OR 1=1 --", attributes={"sql": "' OR 1=1 --"})),
    11: ("api", _line("heartbeat", DEBUG, service="svc*star")),
    12: ("web", _line("a%b_c\\d", INFO, host="h%_", attributes={"pct": "50%", "u": "a_b"})),
}
ALL = set(ALPHA)


@pytest.fixture
def stored():
    alpha, alpha_apps = _tenant("alpha", ["web", "api", "web-admin"])
    bravo, bravo_apps = _tenant("bravo", ["web", "worker"])
    for app, line in ALPHA.values():
        _write(alpha, alpha_apps[app], [line])
    # Bravo holds look-alikes of alpha's lines: the tenant filter, not the compiler, keeps them out.
    _write(bravo, bravo_apps["web"], [_line("GET /home 200", ERROR, host="web-1", service="billing",
                                            attributes={"user_id": 42, "retry": True})])
    _write(bravo, bravo_apps["worker"], [_line("worker started disk timeout", FATAL, host="web-9")])
    return alpha, bravo


def _select(tenant, query):
    q = compile_query(parse(query), app_ids=app_ids_for(tenant))
    rows = LogEntry.objects.filter(tenant_id=tenant.id).filter(q)
    return sorted(rows.values_list("message", flat=True))


def _expected(numbers):
    return sorted(ALPHA[n][1]["message"] for n in numbers)


def _matched(tenant, query):
    node = parse(query)
    slugs = dict(App.objects.filter(tenant=tenant).values_list("id", "slug"))
    return sorted(row.message for row in LogEntry.objects.filter(tenant_id=tenant.id)
                  if matches(node, entry_from_row(row, slugs[row.app_id])))


CASES = [
    # empty query
    ("", ALL),
    ("   ", ALL),
    # words and phrases: on word boundaries, any case, AND by default; `*` for a substring
    ("timeout", {2, 3}),
    ("time", set()),
    ("time*", {2, 3}),
    ("*imeou*", {2, 3}),
    ("api", {2}),
    ("/api/pay", {2}),
    ("pay 503", {2}),
    ("user", set()),
    ("user*", {6, 7}),
    ("dis", set()),
    ("TIMEOUT", {2, 3}),
    ('"talking to"', {3}),
    ('"to talking"', set()),
    ("disk full", {4, 5}),
    ("disk AND full", {4, 5}),
    ("message:heartbeat", {11}),
    ('message:"home 200"', {1}),
    ("message:*", ALL),
    ("post*TIMEOUT", {2}),
    ("disk*0%", {4}),
    ("☕", {9}),
    ("café", {9}),
    # one case-folding rule on every database and in the live matcher: Unicode, not ASCII only
    ("ÜNÏCÖDÉ", {9}),
    ("ünï*CAFÉ", {9}),
    ("CAF*", {9}),
    # OR, NOT, -, parentheses, precedence
    ("disk OR heartbeat", {4, 5, 11}),
    ("disk -100%", {5}),
    ("disk AND NOT 1000", {4}),
    ("NOT disk", ALL - {4, 5}),
    ("NOT NOT disk", {4, 5}),
    ("disk OR level:error app:api", {2, 4, 5, 9}),
    ("(disk OR level:error) app:api", {2, 9}),
    ("NOT (app:web OR app:api)", {4, 5}),
    ("level:>=warn (host:web-* OR attributes.retry:true)", {2, 3, 4}),
    ("app:api -level:error", {3, 11}),
    # level
    ("level:error", {2, 9}),
    ("level:err", {2, 9}),
    ("level:critical", {4}),
    ("level:>=warn", {2, 3, 4, 9, 10}),
    ("level:>=warning", {2, 3, 4, 9, 10}),
    ("level:>warn", {2, 4, 9}),
    ("level:<=info", {1, 5, 6, 7, 8, 11, 12}),
    ("level:<info", {5, 6, 11}),
    ("level:*", ALL),
    # app (through app_ids, never a join)
    ("app:web", {1, 6, 7, 8, 10, 12}),
    ("app:web-*", {4, 5}),
    ("app:web*", {1, 4, 5, 6, 7, 8, 10, 12}),
    ("app:*i*", {2, 3, 4, 5, 9, 11}),
    ("app:nope", set()),
    ("app:worker", set()),
    ("NOT app:nope", ALL),
    ("app:nope OR heartbeat", {11}),
    ('app:"web*"', set()),
    ("app:*", ALL),
    # service / host / trace_id / span_id: exact, or * wildcards; case-sensitive (ids: stored and asked lower case)
    ("service:billing", {3}),
    ('service:"billing api"', {2, 9}),
    ("service:billing*", {2, 3, 9}),
    ("service:*api*", {2, 9}),
    ("service:*", {1, 2, 3, 7, 9, 11}),
    ("-service:*", {4, 5, 6, 8, 10, 12}),
    ('service:"svc*star"', {11}),
    ("service:svc*star", {11}),
    ('service:"svc*"', set()),
    ("service:FRONTEND", set()),
    ('service:""', {4, 5, 6, 8, 10, 12}),
    ("host:web-1", {1}),
    ("host:web-*", {1, 2, 4}),
    ("host:*-1*", {1, 3, 4}),
    ("host:web?1", set()),
    ("host:web_1", {5}),
    ("host:web_*", {5}),
    ("host:*", {1, 2, 3, 4, 5, 10, 12}),
    ("trace_id:4bf92f35aa", {3}),
    ("trace_id:4bf9*", {3}),
    ("trace_id:4bf9", set()),
    ("span_id:*", {3}),
    ("span_id:00F067AA", {3}),  # ids have one normal form, lower case: the query is folded to it
    # attributes: equality (numbers also match numeric strings), literals, paths, comparisons, wildcards
    ("attributes.user_id:42", {1, 2}),
    ("attr.user_id:42", {1, 2}),
    ("attr.user_id:42.0", {1}),  # the number 42, or the string "42.0"
    ('attributes.user_id:"42"', {2}),
    ("attributes.user_id:7", {6}),
    ("NOT attributes.user_id:42", ALL - {1, 2}),
    ("attributes.http.status:500", {9}),
    ("attributes.http.status:503", {2}),
    ("attributes.http.status:>=500", {2}),
    ("attributes.http.status:<300", {1}),
    ("attributes.http.status:>100", {1, 2}),
    ("NOT attributes.http.status:>100", ALL - {1, 2}),
    ("attributes.disk.pct:100", {4}),
    ("attributes.disk.pct:>99", {4, 5}),
    ("attributes.disk.pct:<=99.5", {5}),
    ("attributes.disk.pct:>=1e2", {4}),
    ("attributes.http.path:/api/*", {2}),
    ("attributes.http.path:/API/*", set()),
    ("attributes.http.path:*", {1, 2}),
    ("attributes.http:*", {1, 2, 9}),
    ("attributes.retry:true", {3}),
    ("attributes.retry:1", set()),
    ("attributes.flag:false", {5}),
    ("attributes.flag:null", {4}),
    ("attributes.missing:null", set()),
    ("NOT attributes.flag:null", ALL - {4}),
    ("attributes.flag:*", {5}),
    ("attributes.note:*", set()),
    ('attributes.note:""', {6}),
    ("-attributes.note:*", ALL),
    ("attributes.db.name:main", {3}),
    ("attributes.db.name:MAIN", set()),
    ("attributes.db:main", set()),
    ("attributes.tags:x", set()),
    ("attributes.user_id.x:1", set()),
    ("attributes.http.status.x:*", set()),
    ('attributes.path:"C:\\\\temp\\\\x"', {7}),
    ("attributes.path:C:\\temp\\x", {7}),
    ("attributes.path:C:\\*", {7}),
    ("attributes.quote:it's", {7}),
    ("attributes.é:日本", {8}),
    ("attributes.é:*", {8}),
    # literal % _ \ ' and injection attempts: data, never SQL
    ("100%", {4}),
    ("%", {4, 12}),
    ("_", set()),  # a word character: only a `_` standing alone would match
    ("*_*", {6, 12}),
    ("user_id", {6}),
    ("\\", {8, 12}),
    ('"C:\\temp"', {8}),
    ("'", {10}),
    ("host:h%_", {12}),
    ("host:h%", set()),
    ("host:%", set()),
    ("host:_", set()),
    ("host:*%*", {12}),
    ("host:*_*", {5, 12}),
    ("host:[a-z]*", set()),
    ("attributes.pct:50%", {12}),
    ("attributes.pct:5%", set()),
    ("attributes.pct:*%", {12}),
    ("attributes.u:a_b", {12}),
    ("attributes.u:a?b", set()),
    ("attributes.u:a*b", {12}),
    ("attributes.u:a[_]b", set()),
    ('host:"x\' OR 1=1 --"', {10}),
    ("host:x' OR 1=1", {10}),
    ('"\' OR \'1\'=\'1"', set()),
    ('"\'; DROP TABLE logs_logentry; --"', set()),
    ("attributes.a'b:1", {8}),
    ("attributes.a'b:>0", {8}),
    ("attributes.a'b:*", {8}),
    ('attributes.sql:"\' OR 1=1 --"', {10}),
    ('attributes.x:"1\'); DROP TABLE logs_logentry; --"', set()),
    ("attributes.$.x:1", set()),
    ("attributes.a\\b:1", set()),
    ("attributes.a[0]:*", set()),
    ("attributes.0:*", set()),
    ("host:\\", set()),
    ('service:"\\\\"', set()),
    ("日本語 OR ☕", {9}),
]


@pytest.mark.parametrize("query, expected", CASES, ids=[c[0] or "<empty>" for c in CASES])
def test_every_operator_selects_exactly(stored, query, expected):
    alpha, _ = stored
    assert _select(alpha, query) == _expected(expected), connection.vendor
    assert _matched(alpha, query) == _expected(expected)


def test_tenants_stay_apart_because_the_caller_scopes(stored):
    alpha, bravo = stored
    assert _select(alpha, "GET") == ["GET /home 200"]
    assert _select(bravo, "GET") == ["GET /home 200"]
    assert _select(bravo, "app:web*") == ["GET /home 200"]
    assert _select(bravo, "app:worker disk") == ["worker started disk timeout"]
    assert _select(bravo, "attributes.retry:true") == ["GET /home 200"]
    q = compile_query(parse("timeout"), app_ids=app_ids_for(alpha))
    assert LogEntry.objects.filter(q).count() == 3  # unscoped: both tenants' lines


def test_empty_query_is_an_empty_q(stored):
    alpha, _ = stored
    q = compile_query(None, app_ids=app_ids_for(alpha))
    assert not q
    assert LogEntry.objects.filter(tenant_id=alpha.id).filter(q).count() == len(ALPHA)


def test_app_ids_is_called_once_per_distinct_value(stored):
    alpha, _ = stored
    calls = []
    inner = app_ids_for(alpha)

    def app_ids(pattern):
        calls.append(pattern)
        return inner(pattern)

    q = compile_query(parse("app:web OR (app:web-* NOT app:web) OR app:*"), app_ids=app_ids)
    assert sorted(calls) == ["web", "web-*"]
    assert LogEntry.objects.filter(tenant_id=alpha.id).filter(q).count() == len(ALPHA)
    sql = str(LogEntry.objects.filter(q).query)
    assert "JOIN" not in sql.upper()


def test_postgresql_attribute_equality_uses_containment(stored):
    alpha, _ = stored
    q = compile_query(parse("attributes.http.status:503 attributes.flag:null"), app_ids=app_ids_for(alpha))
    sql = str(LogEntry.objects.filter(q).query)
    if connection.vendor == "postgresql":
        assert "@>" in sql
    else:
        assert "json_type" in sql.lower()


def test_user_text_never_reaches_the_sql_text(stored):
    alpha, _ = stored
    marker = "zq'x\"marker"
    for query in [f'"{marker.replace(chr(34), chr(92) + chr(34))}"', f'host:"{marker.replace(chr(34), "")}"',
                  "attributes.zq'xmarker:1", "attributes.zq'xmarker:>1", "attributes.zq'xmarker:a*",
                  "attributes.zq'xmarker:*", "host:zq'xmarker*"]:
        q = compile_query(parse(query), app_ids=app_ids_for(alpha))
        sql, params = LogEntry.objects.filter(q).query.sql_with_params()
        assert "zq'x" not in sql, (query, sql)
        assert any("zq" in str(p) for p in params), (query, params)


# --- compile_query agrees with matches() on generated queries ----------------------------------------

WORDS = ["timeout", "db", "disk", "full", "user", "get", "POST", "error", "a_b", "100%", "x"]
SERVICES = ["billing", "billing api", "frontend", ""]
HOSTS = ["web-1", "web-2", "db-1", "web_1", "WEB-1", ""]
APPS = ["web", "api", "web-admin"]
ATTR_VALUES = [0, 1, 7, 42, "42", -3, 99.5, 200, 500, "500", 503, True, False, None, "", "main", "/api/pay",
               "/home", "a_b", "50%"]


def _random_dataset(tenant, apps):
    rng = random.Random(20261129)
    for _ in range(40):
        attributes = {}
        for key in rng.sample(["status", "user_id", "path", "flag"], rng.randint(0, 3)):
            attributes[key] = rng.choice(ATTR_VALUES)
        if rng.random() < 0.5:
            attributes["http"] = {"status": rng.choice(ATTR_VALUES)}
        message = " ".join(rng.sample(WORDS, rng.randint(1, 4)))
        _write(tenant, apps[rng.choice(APPS)], [_line(
            message if rng.random() < 0.8 else message.upper(), rng.choice(sorted(NAMES)),
            service=rng.choice(SERVICES), host=rng.choice(HOSTS), trace_id=rng.choice(["", "abc1", "abc2"]),
            span_id=rng.choice(["", "s1"]), attributes=attributes)])


@pytest.fixture
def random_dataset():
    tenant, apps = _tenant("gamma", APPS)
    _random_dataset(tenant, apps)
    slugs = {app.id: slug for slug, app in apps.items()}
    entries = {row.id: entry_from_row(row, slugs[row.app_id]) for row in LogEntry.objects.filter(tenant_id=tenant.id)}
    assert len(entries) == 40
    return tenant, entries


_OPS = st.sampled_from(["=", ">", ">=", "<", "<="])
_PATHS = st.sampled_from([("status",), ("user_id",), ("path",), ("flag",), ("http", "status"), ("http",),
                          ("missing",)])
_VOCAB_LEAVES = st.one_of(
    st.builds(Text, st.sampled_from(WORDS + ["TIME", "ul", "_", "%", "e d"])),
    st.builds(Text, st.sampled_from(["t*out", "d*k", "*", "u*r*x", "a*_"]), st.just(True)),
    st.builds(Match, st.sampled_from(["service", "host", "trace_id", "span_id"]),
              st.sampled_from(SERVICES + HOSTS + ["abc1", "s1"])),
    st.builds(Match, st.sampled_from(["service", "host", "trace_id", "span_id", "app"]),
              st.sampled_from(["web*", "*-1", "billing*", "*i*", "abc*", "*_*", "W*"]), st.just(True)),
    st.builds(Match, st.just("app"), st.sampled_from(APPS + ["nope", ""])),
    st.builds(Exists, st.sampled_from(["service", "host", "trace_id", "span_id", "message", "app", "level"])),
    st.builds(Exists, st.just("attributes"), _PATHS),
    st.builds(Level, _OPS, st.sampled_from(sorted(NAMES))),
    st.builds(Attr, _PATHS, st.just("="), st.sampled_from(["42", "500", "main", "", "/home", "a_b", "50%", "x"]),
              st.just("string")),
    st.builds(Attr, _PATHS, _OPS, st.sampled_from(["0", "1", "7", "42", "-3", "99.5", "99", "200", "500", "503",
                                                   "1e2", "42.0"]), st.just("number")),
    st.builds(Attr, _PATHS, st.just("="), st.sampled_from(["true", "false", "null"]), st.just("literal")),
    st.builds(Attr, _PATHS, st.just("="), st.sampled_from(["/api/*", "*", "5*", "*%", "a*b", "**"]),
              st.just("wildcard")),
)
_VOCAB_TREES = st.recursive(_VOCAB_LEAVES, lambda inner: st.one_of(
    st.builds(Not, inner),
    st.lists(inner, min_size=2, max_size=3).map(lambda items: And(tuple(items))),
    st.lists(inner, min_size=2, max_size=3).map(lambda items: Or(tuple(items))),
), max_leaves=6)


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                                 HealthCheck.too_slow])
@given(node=_VOCAB_TREES)
def test_database_and_matches_agree(random_dataset, node):
    tenant, entries = random_dataset
    q = compile_query(node, app_ids=app_ids_for(tenant))
    selected = set(LogEntry.objects.filter(tenant_id=tenant.id).filter(q).values_list("id", flat=True))
    expected = {row_id for row_id, entry in entries.items() if matches(node, entry)}
    assert selected == expected, (node, connection.vendor)
