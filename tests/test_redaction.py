"""Redaction at ingest: secrets never reach the queue or the store, ordinary lines are untouched,
each tenant's policy is its own, and only a tenant's owners and admins change it."""

import base64

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
import pytest
from django.contrib.auth import get_user_model

from accounts.models import AuditEvent, Membership, Tenant
from ingest import redaction
from ingest.models import RedactionPolicy
from ingest.redaction import Redactor, Spec, normalise_key
from logs.models import LogEntry
from tests.conftest import assert_error, get_logs, post_logs

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_policies():
    """Policies are cached per tenant id; ids come back after a test's rollback."""
    redaction.clear_cache()
    yield
    redaction.clear_cache()


def stored_text(entry: LogEntry) -> str:
    return entry.message + "\n" + orjson.dumps(entry.attributes).decode()


def ingest(client, key, lines, drain) -> list[LogEntry]:
    response = post_logs(client, key, lines)
    assert response.status_code == 202, response.content
    assert response.json()["accepted"] == len(lines)
    drain()
    return list(LogEntry.objects.order_by("time", "event_id"))


def person(tenant_slug: str, role: str, name: str | None = None):
    tenant, _ = Tenant.objects.get_or_create(slug=tenant_slug, defaults={"name": tenant_slug.title()})
    user = get_user_model().objects.create_user(name or f"{role}-{tenant_slug}", password="pw-for-tests-123")
    Membership.objects.create(user=user, tenant=tenant, role=role)
    return user


def put_policy(client, body, **headers):
    return client.put("/api/v1/redaction", orjson.dumps(body), content_type="application/json", **headers)


BASIC = base64.b64encode(b"admin:s3cr3t-Pa55").decode()
PEM = ("-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM9Oi1wfTQ\n"
       "kq2lVvX8Zz0XpV5tD8R3Qm9uY2hSb3J0\n-----END RSA PRIVATE KEY-----")
JWT = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkFsaWNlIn0."
       "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")

# (case, line as sent, secrets that must be gone, marker that must be there)
SECRETS = [
    # credentials written into the message
    ("logfmt password", {"message": 'level=warn msg="login failed" user=alice password=S3cure#Pass99 ip=10.0.0.7'},
     ["S3cure#Pass99"], "credential"),
    ("json in message", {"message": 'payload={"user":"alice","password":"correct horse battery staple"}'},
     ["correct horse battery staple"], "credential"),
    ("escaped json in message", {"message": 'body: {\\"email\\":\\"x\\",\\"new_password\\":\\"Winter2024!\\"}'},
     ["Winter2024!"], "credential"),
    ("python repr", {"message": "connect kwargs={'username': 'svc', 'passwd': 'p4ss-W0rd'}"}, ["p4ss-W0rd"],
     "credential"),
    ("env dump", {"message": "starting with DB_PASSWORD=mysql-root-8842 DB_HOST=db"}, ["mysql-root-8842"],
     "credential"),
    ("cli flag", {"message": "exec: pg_dump --password s3cretpw --host db.internal"}, ["s3cretpw"], "credential"),
    ("connection string", {"message": "Server=db;Database=app;User Id=sa;Password=Sql!Serv3r;"}, ["Sql!Serv3r"],
     "credential"),
    ("yaml secret", {"message": "config loaded: client_secret: 9f8e7d6c5b4a39281706"}, ["9f8e7d6c5b4a39281706"],
     "credential"),
    ("query string api key", {"message": "GET /api/export?format=csv&api_key=4f9c1d2e8b7a6f5e&page=2 200"},
     ["4f9c1d2e8b7a6f5e"], "credential"),
    ("header dump api key", {"message": "request headers X-Api-Key: 2b1f0e9d8c7b6a59 Accept: */*"},
     ["2b1f0e9d8c7b6a59"], "credential"),
    ("non-ascii before secret", {"message": "Grüße 🙂 — anmeldung passwort ok, token=Zyx98765wvu"},
     ["Zyx98765wvu"], "credential"),
    ("postgres url", {"message": "connecting to postgres://app_user:pg-Secr3t-42@db.internal:5432/app"},
     ["pg-Secr3t-42"], "url_password"),
    ("redis url", {"message": "cache at redis://:r3dis-pass@cache:6379/0"}, ["r3dis-pass"], "url_password"),
    ("cookie header", {"message": "Cookie: sessionid=9a8b7c6d5e4f; csrftoken=Zx81Qw"}, ["9a8b7c6d5e4f", "Zx81Qw"],
     "cookie"),
    # tokens and keys
    ("authorization bearer", {"message": "outgoing Authorization: Bearer 8f14e45fceea167a5a36dedd4bea2543"},
     ["8f14e45fceea167a5a36dedd4bea2543"], "authorization"),
    ("authorization basic", {"message": f"proxy-authorization: Basic {BASIC}"}, [BASIC], "authorization"),
    ("bare basic", {"message": f'curl -H "Basic {BASIC}" https://api.internal'}, [BASIC], "basic_credentials"),
    ("bare bearer", {"message": "retrying with bearer 0a1b2c3d4e5f6a7b8c9d"}, ["0a1b2c3d4e5f6a7b8c9d"],
     "bearer_token"),
    ("aws access key id", {"message": "s3 upload as AKIA2E0A8F3B244C9986 failed"}, ["AKIA2E0A8F3B244C9986"],
     "aws_access_key_id"),
    ("aws secret by name", {"message": "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
     ["wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"], "aws_secret_access_key"),
    ("aws secret bare", {"message": "creds ASIAY34FZKBOKMUTVV7A wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY end"},
     ["ASIAY34FZKBOKMUTVV7A", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"], "aws_secret_access_key"),
    ("github classic", {"message": "git push with ghp_R2d4s8VbN1x7QmZk3LpT9wYc6HfJ0aGe5UuO"},
     ["ghp_R2d4s8VbN1x7QmZk3LpT9wYc6HfJ0aGe5UuO"], "github_token"),
    ("github app", {"message": "installation token ghs_16C7e42F292c6912E7710c838347Ae178B4a used"},
     ["ghs_16C7e42F292c6912E7710c838347Ae178B4a"], "github_token"),
    ("github fine-grained", {"message": "GH_TOKEN github_pat_11ABCDEFG0abcdefghij_KLMNOPqrstuvwxYZ0123456789abcd"},
     ["github_pat_11ABCDEFG0abcdefghij_KLMNOPqrstuvwxYZ0123456789abcd"], "github_token"),
    ("gitlab", {"message": "clone via glpat-xZ9bQ2mK7vL4pR8sT1wY"}, ["glpat-xZ9bQ2mK7vL4pR8sT1wY"], "gitlab_token"),
    ("slack bot", {"message": "posting as xoxb-2048596731-4096385172-Qw3Er5Ty7Ui9Op1As3Df5Gh7"},
     ["xoxb-2048596731-4096385172-Qw3Er5Ty7Ui9Op1As3Df5Gh7"], "slack_token"),
    ("slack webhook", {"message": "alert sent to https://hooks.slack.com/services/T0001ABC/B0002DEF/x9Y8z7W6v5U4t3S2"},
     ["T0001ABC/B0002DEF/x9Y8z7W6v5U4t3S2"], "slack_webhook"),
    ("stripe secret", {"message": "charge failed key=sk_live_51H8xYzAbCdEfGhIjKlMnOpQr"},
     ["sk_live_51H8xYzAbCdEfGhIjKlMnOpQr"], "stripe_key"),
    ("stripe restricted", {"message": "using rk_live_51H8xYzQwErTyUiOpAsDf"}, ["rk_live_51H8xYzQwErTyUiOpAsDf"],
     "stripe_key"),
    ("stripe publishable", {"message": "checkout init pk_live_51H8xYzLkJhGfDsA"}, ["pk_live_51H8xYzLkJhGfDsA"],
     "stripe_key"),
    ("google api key", {"message": "maps request key AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY"},
     ["AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY"], "google_api_key"),
    ("openai key", {"message": "llm call with sk-proj-Ab12Cd34Ef56Gh78Ij90Kl12Mn34"},
     ["sk-proj-Ab12Cd34Ef56Gh78Ij90Kl12Mn34"], "openai_key"),
    ("jwt", {"message": f"session restored from {JWT}"}, [JWT, JWT.split(".")[2]], "jwt"),
    ("pem private key", {"message": f"loaded key\n{PEM}\nready"}, ["MIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM9Oi1wfTQ"],
     "private_key"),
    ("openssh key cut short", {"message": "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU"},
     ["b3BlbnNzaC1rZXktdjEAAAAABG5vbmU"], "private_key"),
    ("devlogs key", {"message": "rejected dl_ingest_Ab3dEf6hIj9kLmNoPqRsTuVwXyZ0123456789abcdefgh"},
     ["Ab3dEf6hIj9kLmNoPqRsTuVwXyZ0123456789abcdefgh"], "devlogs_key"),
    # card numbers
    ("visa with spaces", {"message": "payment by 4111 1111 1111 1111 exp 12/29"}, ["4111 1111 1111 1111"],
     "card_number"),
    ("mastercard with dashes", {"message": "card=5555-5555-5555-4444 declined"}, ["5555-5555-5555-4444"],
     "card_number"),
    ("amex", {"message": "amex 3782 822463 10005 ok"}, ["3782 822463 10005"], "card_number"),
    ("discover plain", {"message": "pan:6011111111111117,"}, ["6011111111111117"], "card_number"),
    ("card then more digits", {"message": "card 4012 8888 8888 1881 123"}, ["4012 8888 8888 1881"], "card_number"),
    # attributes
    ("masked password attribute", {"message": "signup", "attributes": {"user": "alice", "password": "Tr0ub4dor&3"}},
     ["Tr0ub4dor&3"], "attribute"),
    ("masked nested header", {"message": "upstream call", "attributes": {
        "http": {"request": {"headers": {"Authorization": "Bearer abc.def.123", "Accept": "json"}}}}},
     ["abc.def.123"], "attribute"),
    ("masked key spellings", {"message": "cfg", "attributes": {
        "X-Api-Key": "k-111aaa", "accessToken": "t-222bbb", "client_secret": "s-333ccc", "Set-Cookie": "sid=444ddd",
        "db_password": "p-555eee", "AWS_SECRET_ACCESS_KEY": "a-666fff"}},
     ["k-111aaa", "t-222bbb", "s-333ccc", "444ddd", "p-555eee", "a-666fff"], "attribute"),
    ("masked number", {"message": "pin set", "attributes": {"card": {"pin": 1234, "password": 987654}}},
     ["987654"], "attribute"),
    ("secret inside attribute text", {"message": "job", "attributes": {
        "args": ["--dsn", "mysql://root:My5ql!pw@db/app"], "note": "retry with token=qW9eR8tY7u"}},
     ["My5ql!pw", "qW9eR8tY7u"], "url_password"),
    ("token inside attribute list", {"message": "deploy", "attributes": {
        "env": [{"value": "ghp_R2d4s8VbN1x7QmZk3LpT9wYc6HfJ0aGe5UuO"}]}},
     ["ghp_R2d4s8VbN1x7QmZk3LpT9wYc6HfJ0aGe5UuO"], "github_token"),
    ("card as json number", {"message": "order", "attributes": {"billing": {"pan": 4111111111111111}}},
     ["4111111111111111"], "card_number"),
]


@pytest.mark.parametrize("line,secrets,kind", [case[1:] for case in SECRETS], ids=[case[0] for case in SECRETS])
def test_secrets_never_reach_the_store(client, key, queue, drain, line, secrets, kind):
    entries = ingest(client, key, [line], drain)

    assert len(entries) == 1
    text = stored_text(entries[0])
    for secret in secrets:
        assert secret not in text
    assert f"[REDACTED:{kind}]" in text


ORDINARY = [
    "GET /api/orders/8f3c2a1e-4b5d-4c6e-9f70-8192a3b4c5d6 200 in 12ms",
    "trace 4bf92f3577b34da6a3ce929d0e0e4736 span 00f067aa0ba902b7 sampled",
    "deployed commit 3f786850e387550fdab836ed7e6dc881de23001b to production",
    "image sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 pulled",
    "order 4111111111111112 shipped",
    "refund for order 4111 1111 1111 1112 queued",
    "invoice 1234567890123456 paid",
    "ts=1732931520123456789 epoch_ms=1732931520123 offset=98765432101234",
    "2026-11-30T01:32:00.123456Z started worker pid=4242",
    "running devlogs v2.14.3 on Python 3.11.7 (build 20261130.4)",
    "client 10.20.30.40 and 2001:db8::8a2e:370:7334 connected",
    "call +1 415-555-0100 ext 12",
    "token_count=512 max_tokens=4096 tokenizer=wordpiece",
    "password_reset_url=https://example.com/reset sent; Password changed for user 42",
    "passwordless login enabled; auth_method=oauth secret_name=prod-db",
    "Bearer token expired; Basic plan selected; bearer authentication failed",
    "user alice@example.com signed in",
    "pod web-7d9f8b6c5d-x2k9p ready; charge ch_3MmlLrLkdIwHu7ix0snN0B15 for cus_NffrFeUfNV2Hib",
    "opened /Users/AliceSmith/Projects/Repo2024/src/main/java/App.java",
    "Grüße aus Köln — 東京 ✓ café",
    "key dl_ingest_Ab3dEf6hIj9k revoked",
]
ORDINARY_ATTRIBUTES = {
    "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "user_id": 12345, "order_id": 1234567890123456,
    "created_ms": 1732931520123, "token_count": 17, "has_password": True, "is_secret": False, "password": None,
    "password_changed_at": "2026-11-30T01:32:00Z", "tokens": ["a", "b"], "oauth_provider": "github",
    "keyword": "secret", "http": {"status": 200, "path": "/api/users/me", "bytes": 5120},
}


def test_ordinary_lines_are_stored_exactly_as_sent(client, key, queue, drain):
    lines = [{"message": message, "attributes": ORDINARY_ATTRIBUTES} for message in ORDINARY]

    entries = ingest(client, key, lines, drain)

    assert sorted(e.message for e in entries) == sorted(ORDINARY)
    assert all(e.attributes == ORDINARY_ATTRIBUTES for e in entries)


def test_only_the_lines_with_secrets_change_in_a_mixed_request(client, key, queue, drain):
    """One scan covers the whole request; what it finds must be traced back to the right lines."""
    lines = []
    for index, message in enumerate(ORDINARY):
        lines.append({"message": message, "attributes": {"n": index}})
        lines.append({"message": f"n={index} user=bob password=Sw0rdfish{index}!", "attributes": {"n": index}})

    entries = ingest(client, key, lines, drain)

    assert len(entries) == len(lines)
    messages = {e.message for e in entries}
    assert set(ORDINARY) <= messages
    assert not any("Sw0rdfish" in m for m in messages)
    assert sum("password=[REDACTED:credential]" in m for m in messages) == len(ORDINARY)


def test_search_api_finds_the_marker_and_never_the_secret(client, make_key, queue, drain):
    key = make_key(scopes=["ingest", "read"])
    lines = [case[1] for case in SECRETS]
    ingest(client, key, lines, drain)

    body = get_logs(client, key, limit=200).content.decode()
    found = get_logs(client, key, q='"[REDACTED:card_number]"').json()["results"]

    for case in SECRETS:
        for secret in case[2]:
            assert orjson.dumps(secret).decode()[1:-1] not in body
    assert {e["message"] for e in found} >= {"payment by [REDACTED:card_number] exp 12/29",
                                             "card=[REDACTED:card_number] declined"}


def test_catastrophic_backtracking_pattern_runs_in_linear_time(client, make_key, queue, drain):
    """(a+)+$ takes exponential time on a backtracking engine; RE2 answers at once."""
    key = make_key(tenant="acme")
    owner = person("acme", "owner")
    client.force_login(owner)
    assert put_policy(client, {"custom_patterns": ["(a+)+$"]}).status_code == 200
    nasty = "a" * 30_000 + "!"

    entries = ingest(client, key, [{"message": nasty}, {"message": "tail aaaa"}], drain)

    assert sorted(e.message for e in entries) == sorted([nasty, "tail [REDACTED:custom]"])


# --- per-tenant policies --------------------------------------------------------------------

def test_custom_patterns_and_drop_keys_apply_to_their_tenant_only(client, make_key, queue, drain):
    key_a, key_b = make_key(tenant="alpha"), make_key(tenant="bravo")
    client.force_login(person("alpha", "admin"))
    response = put_policy(client, {"custom_patterns": [r"EMP-(\d{6})", r"(?i)project\s+falcon"],
                                   "drop_keys": ["SSN"], "mask_keys": ["employee_name"], "emails": True})
    assert response.status_code == 200, response.content
    line = {"message": "EMP-123456 assigned to Project Falcon by hr@alpha.example",
            "attributes": {"ssn": "078-05-1120", "profile": {"Employee-Name": "Jo Smith", "SSN": "1"}, "dept": 7}}

    post_logs(client, key_a, [line])
    post_logs(client, key_b, [line])
    drain()

    a = LogEntry.objects.get(tenant__slug="alpha")
    b = LogEntry.objects.get(tenant__slug="bravo")
    assert a.message == "EMP-[REDACTED:custom] assigned to [REDACTED:custom] by [REDACTED:email]"
    assert a.attributes == {"profile": {"Employee-Name": "[REDACTED:attribute]"}, "dept": 7}
    assert b.message == line["message"]
    assert b.attributes == line["attributes"]


def test_a_tenant_may_turn_families_off(client, make_key, queue, drain):
    key = make_key(tenant="acme")
    client.force_login(person("acme", "owner"))
    assert put_policy(client, {"tokens": False, "passwords": False, "card_numbers": False,
                               "mask_keys": []}).status_code == 200
    line = {"message": "password=hunter2 ghp_R2d4s8VbN1x7QmZk3LpT9wYc6HfJ0aGe5UuO 4111 1111 1111 1111",
            "attributes": {"password": "hunter2"}}

    entries = ingest(client, key, [line], drain)

    assert (entries[0].message, entries[0].attributes) == (line["message"], line["attributes"])


def test_policy_change_applies_to_the_next_request(client, make_key, queue, drain):
    key = make_key(tenant="acme")
    client.force_login(person("acme", "owner"))
    post_logs(client, key, [{"message": "first mail bob@example.com"}])
    put_policy(client, {"emails": True})
    post_logs(client, key, [{"message": "second mail bob@example.com"}])
    drain()

    assert sorted(LogEntry.objects.values_list("message", flat=True)) == [
        "first mail bob@example.com", "second mail [REDACTED:email]"]


def test_other_processes_pick_up_a_change_when_their_cache_expires(client, make_key, queue, drain, settings):
    """A save elsewhere does not invalidate this process: the entry's lifetime bounds the delay."""
    key = make_key(tenant="acme")
    settings.DEVLOGS_REDACTION_CACHE_SECONDS = 3600
    RedactionPolicy.objects.create(tenant=Tenant.objects.get(slug="acme"))
    post_logs(client, key, [{"message": "one bob@example.com"}])
    RedactionPolicy.objects.filter(tenant__slug="acme").update(emails=True)  # as another process would

    post_logs(client, key, [{"message": "two bob@example.com"}])
    settings.DEVLOGS_REDACTION_CACHE_SECONDS = 0
    post_logs(client, key, [{"message": "three bob@example.com"}])
    drain()

    assert sorted(LogEntry.objects.values_list("message", flat=True)) == [
        "one bob@example.com", "three [REDACTED:email]", "two bob@example.com"]


# --- the API --------------------------------------------------------------------------------

def test_defaults_are_shown_before_any_change(client):
    client.force_login(person("acme", "owner"))

    body = client.get("/api/v1/redaction").json()

    assert body["is_default"] is True
    assert (body["passwords"], body["tokens"], body["card_numbers"], body["emails"]) == (True, True, True, False)
    assert set(redaction.DEFAULT_MASK_KEYS) == set(body["mask_keys"])
    assert body["custom_patterns"] == [] and body["drop_keys"] == []


def test_put_keeps_omitted_fields_and_audits_the_change(client):
    owner = person("acme", "owner")
    client.force_login(owner)
    put_policy(client, {"custom_patterns": ["ACME-[0-9]+"], "drop_keys": ["ssn"]})

    body = put_policy(client, {"emails": True}).json()

    assert body["emails"] is True and body["custom_patterns"] == ["ACME-[0-9]+"] and body["drop_keys"] == ["ssn"]
    events = AuditEvent.objects.filter(action="redaction.changed").order_by("created_at", "id")
    assert [e.actor for e in events] == [owner.username, owner.username]
    assert events.last().details["changes"] == {"emails": True}


@pytest.mark.parametrize("pattern", [
    "(unclosed", r"(a)\1", r"(?=lookahead)", r"\pL{1000}", ".{1000}", "x*", r"\b", r"\Astart",
], ids=["syntax", "backreference", "lookahead", "too-large", "too-many-instructions", "empty-match",
        "empty-assertion", "whole-text-anchor"])
def test_invalid_or_dangerous_patterns_are_refused_by_name(client, make_key, queue, drain, pattern):
    key = make_key(tenant="acme")
    client.force_login(person("acme", "admin"))
    put_policy(client, {"custom_patterns": ["ORD-[0-9]+"]})

    body = assert_error(put_policy(client, {"custom_patterns": ["ORD-[0-9]+", pattern]}), 400, "invalid",
                        field="custom_patterns")
    after = client.get("/api/v1/redaction").json()
    entries = ingest(client, key, [{"message": "ORD-42 ok"}], drain)

    assert body["error"]["message"].startswith("Pattern 2 ")
    assert after["custom_patterns"] == ["ORD-[0-9]+"]
    assert entries[0].message == "[REDACTED:custom] ok"


@pytest.mark.parametrize("body,field", [
    ({"custom_patterns": ["one\ntwo"]}, "custom_patterns"),
    ({"custom_patterns": ["x"] * 51}, "custom_patterns"),
    ({"drop_keys": "ssn"}, "drop_keys"),
    ({"emails": "maybe"}, "emails"),
    ({"mask_keys": ["k" * 201]}, "mask_keys"),
    ({"custom_patterns": ["a" * 501]}, "custom_patterns"),
])
def test_malformed_policy_bodies_get_a_clear_error(client, body, field):
    client.force_login(person("acme", "owner"))

    assert_error(put_policy(client, body), 400, "invalid", field=field)


@pytest.mark.parametrize("role", ["viewer", "member"])
def test_viewers_and_members_may_neither_read_nor_change_the_policy(client, role):
    client.force_login(person("acme", role))

    assert_error(client.get("/api/v1/redaction"), 403, "permission_denied")
    assert_error(put_policy(client, {"emails": True}), 403, "permission_denied")
    assert not RedactionPolicy.objects.exists()


def test_api_keys_may_neither_read_nor_change_the_policy(client, make_key):
    key = make_key(scopes=["ingest", "read"])
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}

    assert_error(client.get("/api/v1/redaction", **auth), 403, "permission_denied")
    assert_error(put_policy(client, {"emails": True}, **auth), 403, "permission_denied")
    assert_error(client.get("/api/v1/redaction"), 401, "not_authenticated")
    assert not RedactionPolicy.objects.exists()


def test_an_admin_changes_only_their_own_tenant(client):
    client.force_login(person("alpha", "admin"))
    Tenant.objects.create(slug="bravo", name="Bravo")

    put_policy(client, {"emails": True})
    refused = put_policy(client, {"emails": True}, HTTP_X_DEVLOGS_TENANT="bravo")

    assert_error(refused, 403, "permission_denied")
    assert list(RedactionPolicy.objects.values_list("tenant__slug", flat=True)) == ["alpha"]


# --- the admin ------------------------------------------------------------------------------

def test_admin_refuses_a_bad_pattern_and_saves_a_good_one(client, make_key, queue, drain):
    key = make_key(tenant="acme")
    tenant = Tenant.objects.get(slug="acme")
    operator = get_user_model().objects.create_superuser("operator", password="pw-for-tests-123")
    client.force_login(operator)
    form = {"tenant": tenant.id, "passwords": "on", "tokens": "on", "card_numbers": "on",
            "custom_patterns": "(oops", "drop_keys": "", "mask_keys": "password"}

    refused = client.post("/admin/ingest/redactionpolicy/add/", form)
    saved = client.post("/admin/ingest/redactionpolicy/add/", {**form, "custom_patterns": "INC-[0-9]+"})
    entries = ingest(client, key, [{"message": "INC-7 opened"}], drain)

    assert refused.status_code == 200 and b"not a valid RE2 pattern" in refused.content
    assert saved.status_code == 302
    assert entries[0].message == "[REDACTED:custom] opened"


# --- the engine on its own --------------------------------------------------------------------

@pytest.mark.parametrize("key,masked", [
    ("password", True), ("DB_PASSWORD", True), ("X-Api-Key", True), ("accessToken", True),
    ("client_secret", True), ("http.request.header.authorization", True), ("Set-Cookie", True),
    ("token_count", False), ("max_tokens", False), ("password_changed_at", False), ("tokenizer", False),
    ("oauth_provider", False), ("keyword", False), ("cache_key", False),
])
def test_mask_keys_match_whole_words_at_the_end_of_a_key(key, masked):
    redactor = Redactor(Spec())
    attributes = {key: "value-1"}

    redactor.redact_lines([{"message": "m", "attributes": attributes}])

    assert (attributes[key] == "[REDACTED:attribute]") is masked, normalise_key(key)


def test_drop_keys_apply_at_any_depth_and_lists_are_walked():
    redactor = Redactor(Spec(drop_keys=frozenset({"ssn"})))
    line = {"message": "m", "attributes": {"SSN": 1, "people": [{"name": "a", "Ssn": "2"}, ["x", {"ssn": 3}]]}}

    redactor.redact_lines([line])

    assert line["attributes"] == {"people": [{"name": "a"}, ["x", {}]]}


def test_tenant_admins_see_only_their_own_policy_in_admin(client):
    alpha_admin = person("alpha", "admin")
    alpha_admin.is_staff = True
    alpha_admin.save()
    Tenant.objects.create(slug="bravo", name="Bravo")
    RedactionPolicy.objects.create(tenant=Tenant.objects.get(slug="alpha"), custom_patterns="ALPHA-[0-9]+")
    bravo = RedactionPolicy.objects.create(tenant=Tenant.objects.get(slug="bravo"), custom_patterns="BRAVO-[0-9]+")
    client.force_login(alpha_admin)

    listing = client.get("/admin/ingest/redactionpolicy/")
    foreign = client.get(f"/admin/ingest/redactionpolicy/{bravo.id}/change/")

    assert listing.status_code == 200
    assert b"redaction for alpha" in listing.content and b"redaction for bravo" not in listing.content
    assert foreign.status_code in (302, 403, 404)


# Runs of base64 characters around 40 long, mixed with the separators an AWS secret sits between.
_B64_RUNS = st.lists(st.one_of(
    st.text(alphabet="abcXYZ019/+", min_size=36, max_size=44),
    st.sampled_from([" ", "\n", "=", "==", "-", "key=", " secret: "])), max_size=8).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(_B64_RUNS, min_size=1, max_size=5))
def test_the_request_scan_flags_every_string_a_family_would_rewrite(texts):
    """The scan may look for less than a family's own pattern (the AWS secret flags runs of exactly
    40): what comes out must be what every family applied to every string gives."""
    redactor = Redactor(Spec())
    lines = [{"message": text} for text in texts]

    redactor.redact_lines(lines)

    expected = []
    for text in texts:
        data = text.encode()
        for family in redactor.families:
            data = family.apply(data)
        expected.append(data.decode())
    assert [line["message"] for line in lines] == expected
