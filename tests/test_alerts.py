"""Alerts: rules evaluated on really ingested lines, notifications to a real local HTTP receiver
(signed, retried, never doubled), state history, mute, the API's validation and tenant isolation,
and the run_alerts worker as a real process."""

import hashlib
import hmac
import signal
import subprocess
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import orjson
import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts.models import AuditEvent, Membership, Tenant
from alerts.deliveries import send_due_deliveries
from alerts.evaluation import LEASE, claim_next_rule, evaluate_due_rules
from alerts.models import Channel, Delivery, Event, Rule
from alerts.worker import run_once
from tests.conftest import ROOT, assert_error, child_env, manage, post_logs, wait_for

pytestmark = pytest.mark.django_db
# A minute boundary an hour ahead: rules created now are due at BASE, and every `now` here is explicit.
BASE = (timezone.now() + timedelta(hours=1)).replace(second=0, microsecond=0)
MINUTE = timedelta(minutes=1)


@pytest.fixture(autouse=True)
def alert_settings(settings):
    settings.DEVLOGS_ALERT_DELAY_SECONDS = 30
    settings.DEVLOGS_PUBLIC_URL = "http://127.0.0.1:8000"
    settings.DEVLOGS_ALERT_ALLOWED_TARGETS = ["127.0.0.1/32"]  # the tests' receiver; nothing else inside
    settings.DEVLOGS_ALERT_RETRY_BASE_SECONDS = 10
    settings.DEVLOGS_ALERT_MAX_ATTEMPTS = 8


def at(seconds: float) -> str:
    return (BASE + timedelta(seconds=seconds)).isoformat()


# --- a real HTTP receiver -------------------------------------------------------------------------

class Receiver:
    """Records every POST; answers with the queued statuses, then 200."""

    def __init__(self):
        self.requests: list[dict] = []
        self.answers: list[tuple[int, dict]] = []
        self.answer_body = b"ok"
        self.lock = threading.Lock()
        self.url = ""

    def answer_next(self, *statuses: int, headers: dict | None = None):
        self.answers.extend((status, headers or {}) for status in statuses)

    def record(self, path, headers, body) -> tuple[int, dict]:
        with self.lock:
            self.requests.append({"path": path, "headers": headers, "body": body})
            return self.answers.pop(0) if self.answers else (200, {})

    def bodies(self) -> list[dict]:
        return [orjson.loads(r["body"]) for r in self.requests]


@pytest.fixture
def receiver():
    rec = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            status, headers = rec.record(self.path, dict(self.headers), body)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(rec.answer_body)))
            self.end_headers()
            self.wfile.write(rec.answer_body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    rec.url = f"http://127.0.0.1:{server.server_port}/hooks/devlogs"
    yield rec
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def assert_signed(request: dict, secret: str):
    """What a receiver checks: HMAC-SHA256 over "<timestamp>.<raw body>" with the channel's secret."""
    timestamp = request["headers"]["X-Devlogs-Timestamp"]
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + request["body"], hashlib.sha256).hexdigest()
    assert request["headers"]["X-Devlogs-Signature"] == f"sha256={expected}"
    assert abs(int(timestamp) - timezone.now().timestamp()) < 300


# --- tenants, people, lines ---------------------------------------------------------------------------

@pytest.fixture
def people(make_key):
    make_key(tenant="acme", app="web")
    make_key(tenant="bravo", app="web")
    acme, bravo = Tenant.objects.get(slug="acme"), Tenant.objects.get(slug="bravo")
    users = {}
    for role in ("owner", "admin", "member", "viewer"):
        users[role] = get_user_model().objects.create_user(role, password="pw-for-tests-123")
        Membership.objects.create(user=users[role], tenant=acme, role=role)
    users["outsider"] = get_user_model().objects.create_user("outsider", password="pw-for-tests-123")
    Membership.objects.create(user=users["outsider"], tenant=bravo, role="owner")
    return users


@pytest.fixture
def send(client, make_key, drain):
    """send(lines, app=..., tenant=...): ingest through the API, then store (drain the queue)."""
    keys = {}

    def run(lines, *, app="web", tenant="acme"):
        if (tenant, app) not in keys:
            keys[tenant, app] = make_key(tenant=tenant, app=app)
        assert post_logs(client, keys[tenant, app], lines).status_code == 202
        drain()
    return run


def as_person(client, user):
    client.force_login(user)
    return client


def make_channel(client, people, **body) -> dict:
    response = as_person(client, people["admin"]).post("/api/v1/alerts/channels", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def make_rule(client, people, **body) -> dict:
    body = {"window_seconds": 300, "interval_seconds": 60, **body}
    response = as_person(client, people["member"]).post("/api/v1/alerts/rules", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def payment_failures(n=12, start=-60):
    return [{"message": f"payment {i} failed", "level": "error", "timestamp": at(start + i)} for i in range(n)]


# --- firing, resolving, no duplicates -------------------------------------------------------------------

def test_a_count_rule_fires_on_ingested_lines_with_a_signed_webhook(client, people, send, receiver):
    send(payment_failures(12))
    send(payment_failures(30), tenant="bravo")  # another tenant's lines never count
    send([{"message": "payment ok", "level": "info", "timestamp": at(-50)}])
    hook = make_channel(client, people, name="ops", kind="webhook", url=receiver.url)
    rule = make_rule(client, people, name="Payments failing", query="level:error payment", kind="count",
                     comparison="above", threshold=10, channels=[hook["id"]])

    assert run_once(BASE) == (1, 1)

    [request] = receiver.requests
    assert request["path"] == "/hooks/devlogs"
    assert_signed(request, hook["secret"])
    assert request["headers"]["X-Devlogs-Event"] == "alert.firing"
    body = orjson.loads(request["body"])
    assert body["type"] == "alert.firing" and body["tenant"] == "acme"
    assert body["rule"]["name"] == "Payments failing" and body["rule"]["condition"] == "count > 10"
    assert body["count"] == 12
    assert body["window"] == {"since": (BASE - timedelta(seconds=330)).strftime("%Y-%m-%dT%H:%M:%S.000000Z"),
                              "until": (BASE - timedelta(seconds=30)).strftime("%Y-%m-%dT%H:%M:%S.000000Z"),
                              "seconds": 300}
    assert [s["message"] for s in body["samples"]] == [f"payment {i} failed" for i in (11, 10, 9, 8, 7)]
    assert body["url"].startswith("http://127.0.0.1:8000/?tenant=acme&q=level%3Aerror+payment&since=")
    assert request["headers"]["X-Devlogs-Delivery"] == body["delivery"]
    assert Rule.objects.get(pk=rule["id"]).state == "firing"


def test_the_resolve_follows_and_nothing_is_sent_twice(client, people, send, receiver):
    send(payment_failures(12))
    hook = make_channel(client, people, name="ops", kind="webhook", url=receiver.url)
    rule = make_rule(client, people, name="Payments failing", query="payment", threshold=10, channels=[hook["id"]])

    for minute in range(4):  # the lines stay in the window: one firing, one notification
        run_once(BASE + minute * MINUTE)
    assert [b["type"] for b in receiver.bodies()] == ["alert.firing"]

    run_once(BASE + 5 * MINUTE)  # the window has moved past them
    run_once(BASE + 6 * MINUTE)
    run_once(BASE + 7 * MINUTE)

    firing, resolved = receiver.bodies()
    assert resolved["type"] == "alert.resolved" and resolved["count"] == 0
    assert resolved["episode"] == firing["episode"]
    assert_signed(receiver.requests[1], hook["secret"])
    history = client.get("/api/v1/alerts/events", {"rule": rule["id"]}).json()["results"]
    assert [(e["previous_state"], e["state"]) for e in reversed(history)] == [
        ("ok", "firing"), ("firing", "resolved"), ("resolved", "ok")]
    assert history[-1]["count"] == 12 and len(history[-1]["samples"]) == 5
    assert [d["status"] for d in history[-1]["deliveries"]] == ["sent"]
    assert Delivery.objects.count() == 2


def test_switching_off_a_firing_rule_resolves_it_and_says_so(client, people, send, receiver):
    send(payment_failures(12))
    hook = make_channel(client, people, name="ops", kind="webhook", url=receiver.url)
    rule = make_rule(client, people, name="Payments failing", query="payment", threshold=10, channels=[hook["id"]])
    run_once(BASE)
    assert Rule.objects.get(pk=rule["id"]).state == "firing"

    switched = client.patch(f"/api/v1/alerts/rules/{rule['id']}", {"enabled": False}, format="json")
    assert switched.status_code == 200, switched.content
    assert Rule.objects.get(pk=rule["id"]).state == "resolved"
    run_once(BASE + MINUTE)  # a disabled rule is not evaluated; its resolve notification goes out
    firing, resolved = receiver.bodies()
    assert firing["type"] == "alert.firing" and resolved["type"] == "alert.resolved"
    assert resolved["episode"] == firing["episode"]
    run_once(BASE + 2 * MINUTE)
    assert len(receiver.requests) == 2


def test_a_failing_receiver_is_retried_with_backoff_and_gets_it_once(client, people, send, receiver, settings):
    settings.DEVLOGS_ALERT_RETRY_BASE_SECONDS = 10
    receiver.answer_next(500, 503)
    send(payment_failures(12))
    hook = make_channel(client, people, name="ops", kind="webhook", url=receiver.url)
    make_rule(client, people, name="Payments failing", query="payment", threshold=10, channels=[hook["id"]])

    run_once(BASE)
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert "HTTP 500" in delivery.last_error
    assert delivery.next_attempt_at >= BASE + timedelta(seconds=10)
    assert send_due_deliveries(BASE + timedelta(seconds=5)) == []  # not due yet

    send_due_deliveries(BASE + MINUTE)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("pending", 2, 503)
    assert delivery.next_attempt_at >= BASE + MINUTE + timedelta(seconds=20)  # doubled

    run_once(BASE + 2 * MINUTE)
    run_once(BASE + 3 * MINUTE)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 3, "")
    assert len(receiver.requests) == 3
    assert len({r["body"] for r in receiver.requests}) == 1  # the same notification each time
    assert len({r["headers"]["X-Devlogs-Delivery"] for r in receiver.requests}) == 1


def test_a_resolve_waits_for_its_firing_notification(client, people, send, receiver, settings):
    settings.DEVLOGS_ALERT_RETRY_BASE_SECONDS = 600
    receiver.answer_next(500)
    send(payment_failures(12))
    hook = make_channel(client, people, name="ops", kind="webhook", url=receiver.url)
    make_rule(client, people, name="Payments failing", query="payment", threshold=10, channels=[hook["id"]])

    run_once(BASE)  # the firing notification fails; its retry is ten minutes away
    run_once(BASE + 5 * MINUTE)  # resolved meanwhile: the resolve must not overtake the firing
    assert len(receiver.requests) == 1

    run_once(BASE + 20 * MINUTE)
    assert [b["type"] for b in receiver.bodies()] == ["alert.firing", "alert.firing", "alert.resolved"]


def test_a_delivery_gives_up_after_the_last_attempt(client, people, send, receiver, settings):
    settings.DEVLOGS_ALERT_MAX_ATTEMPTS = 2
    receiver.answer_next(500, 500, 500)
    send(payment_failures(12))
    hook = make_channel(client, people, name="ops", kind="webhook", url=receiver.url)
    make_rule(client, people, name="Payments failing", query="payment", threshold=10, channels=[hook["id"]])

    run_once(BASE)
    run_once(BASE + 2 * MINUTE)
    run_once(BASE + 4 * MINUTE)

    delivery = Delivery.objects.get(kind="firing")
    assert (delivery.status, delivery.attempts) == ("failed", 2)
    assert len(receiver.requests) == 2


def test_redirects_are_not_followed(client, people, send, receiver):
    receiver.answer_next(302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
    send(payment_failures(12))
    hook = make_channel(client, people, name="ops", kind="webhook", url=receiver.url)
    make_rule(client, people, name="Payments failing", query="payment", threshold=10, channels=[hook["id"]])

    run_once(BASE)

    delivery = Delivery.objects.get()
    assert delivery.status == "pending" and "redirects are not followed" in delivery.last_error
    assert len(receiver.requests) == 1


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:9/", "http://localhost/", "http://10.1.2.3/", "http://192.168.0.1/", "http://169.254.169.254/",
    "http://0.0.0.0/", "http://[::1]/", "http://[::ffff:127.0.0.1]/", "http://[fd00::1]/", "http://[fe80::1]/",
    "http://[64:ff9b::a9fe:a9fe]/", "http://[2002:a00:1::]/", "http://224.0.0.1/", "https://100.64.0.1/"])
def test_targets_inside_are_refused_by_default(client, people, settings, url):
    settings.DEVLOGS_ALERT_ALLOWED_TARGETS = []
    response = as_person(client, people["admin"]).post("/api/v1/alerts/channels",
                                                       {"name": "ops", "kind": "webhook", "url": url}, format="json")
    body = assert_error(response, 400, "invalid", "url")
    assert "DEVLOGS_ALERT_ALLOWED_TARGETS" in body["error"]["message"]


def test_a_target_inside_is_refused_at_delivery_and_on_test_too(client, people, send, receiver, settings):
    """Allowed when the channel was made, then no longer (or a name that now resolves inside)."""
    send(payment_failures(12))
    hook = make_channel(client, people, name="ops", kind="webhook", url=receiver.url.replace("127.0.0.1", "localhost"))
    make_rule(client, people, name="Payments failing", query="payment", threshold=10, channels=[hook["id"]])
    settings.DEVLOGS_ALERT_ALLOWED_TARGETS = []

    run_once(BASE)
    delivery = Delivery.objects.get()
    assert "private, link-local or reserved address" in delivery.last_error
    assert_error(as_person(client, people["admin"]).post(f"/api/v1/alerts/channels/{hook['id']}/test"),
                 400, "forbidden_target", "url")
    assert receiver.requests == []


def test_an_allowlisted_host_name_is_reached(client, people, receiver, settings):
    settings.DEVLOGS_ALERT_ALLOWED_TARGETS = ["LocalHost"]
    hook = make_channel(client, people, name="ops", kind="webhook", url=receiver.url.replace("127.0.0.1", "localhost"))
    assert as_person(client, people["admin"]).post(f"/api/v1/alerts/channels/{hook['id']}/test").json()["ok"]
    assert len(receiver.requests) == 1


def test_what_a_target_answers_is_never_shown(client, people, send, receiver):
    """A tenant must not read an internal page through the channel test or last_error."""
    receiver.answer_body = b"<html>internal admin: db password hunter2</html>"
    hook = make_channel(client, people, name="ops", kind="webhook", url=receiver.url)
    receiver.answer_next(500, 302, headers={"Location": "http://10.0.0.5/internal?token=hunter2"})
    failed = as_person(client, people["admin"]).post(f"/api/v1/alerts/channels/{hook['id']}/test")
    body = assert_error(failed, 502, "delivery_failed", "url")
    assert "HTTP 500 Internal Server Error" in body["error"]["message"] and "hunter2" not in failed.content.decode()
    redirected = as_person(client, people["admin"]).post(f"/api/v1/alerts/channels/{hook['id']}/test")
    assert "redirect" in redirected.json()["error"]["message"] and b"hunter2" not in redirected.content

    receiver.answer_next(500)
    send(payment_failures(12))
    make_rule(client, people, name="Payments failing", query="payment", threshold=10, channels=[hook["id"]])
    run_once(BASE)
    delivery = Delivery.objects.get()
    assert "HTTP 500" in delivery.last_error and "hunter2" not in delivery.last_error


# --- absence and new values ---------------------------------------------------------------------------

def test_an_absence_rule_fires_when_an_app_goes_silent(client, people, send, receiver):
    send([{"message": "cron heartbeat", "timestamp": at(-600 + 60 * i)} for i in range(10)], app="cron")
    send([{"message": "web keeps talking", "timestamp": at(60 * i)} for i in range(10)], app="web")
    hook = make_channel(client, people, name="ops", kind="webhook", url=receiver.url)
    rule = make_rule(client, people, name="cron is silent", query="app:cron", kind="absence", window_seconds=120,
                     channels=[hook["id"]])

    run_once(BASE)  # heartbeats at -2m and -1m are in the window
    assert Rule.objects.get(pk=rule["id"]).state == "ok" and receiver.requests == []

    run_once(BASE + 5 * MINUTE)  # nothing from cron for four minutes (web's lines do not count)
    [firing] = receiver.bodies()
    assert firing["type"] == "alert.firing" and firing["count"] == 0
    assert firing["rule"]["condition"] == "no matching lines"

    send([{"message": "cron heartbeat", "timestamp": at(5 * 60)}], app="cron")
    run_once(BASE + 6 * MINUTE)
    assert [b["type"] for b in receiver.bodies()] == ["alert.firing", "alert.resolved"]
    assert receiver.bodies()[1]["count"] == 1


def test_a_new_fingerprint_fires_once_per_new_value(client, people, send, receiver):
    send([{"message": f"payment {i} failed after {i * 7} ms", "level": "error", "timestamp": at(-120 + i)}
          for i in range(5)])
    hook = make_channel(client, people, name="ops", kind="webhook", url=receiver.url)
    make_rule(client, people, name="New kind of error", query="level:>=error", kind="new_value", field="fingerprint",
              channels=[hook["id"]])

    run_once(BASE)  # learns what is already there: no alert for old kinds of error
    assert receiver.requests == []

    send([{"message": "disk /var full", "level": "error", "timestamp": at(30)},
          {"message": "payment 99 failed after 1 ms", "level": "error", "timestamp": at(31)}])
    run_once(BASE + 2 * MINUTE)
    run_once(BASE + 3 * MINUTE)  # the same values again: resolved, not fired again
    send([{"message": "disk /var full", "level": "error", "timestamp": at(200)},
          {"message": "upstream 10.0.0.7:443 refused", "level": "fatal", "timestamp": at(201)}])
    run_once(BASE + 5 * MINUTE)
    run_once(BASE + 6 * MINUTE)

    bodies = receiver.bodies()
    assert [b["type"] for b in bodies] == ["alert.firing", "alert.resolved", "alert.firing", "alert.resolved"]
    assert bodies[0]["new_values"] == ["disk /var full"]
    assert bodies[0]["samples"][0]["message"] == "disk /var full"
    assert bodies[2]["new_values"] == ["upstream <ip> refused"]
    assert bodies[2]["samples"][0]["message"] == "upstream 10.0.0.7:443 refused"


def test_a_new_host_fires_for_each_new_one(client, people, send, receiver):
    send([{"message": "started", "host": "web-1", "timestamp": at(-100)}])
    hook = make_channel(client, people, name="ops", kind="webhook", url=receiver.url)
    make_rule(client, people, name="New host", kind="new_value", field="host", channels=[hook["id"]])

    run_once(BASE)
    send([{"message": "started", "host": h, "timestamp": at(10)} for h in ("web-1", "web-2", "web-3")])
    run_once(BASE + MINUTE)
    run_once(BASE + 2 * MINUTE)

    firing = [b for b in receiver.bodies() if b["type"] == "alert.firing"]
    assert [sorted(b["new_values"]) for b in firing] == [["web-2", "web-3"]]
    assert {s["host"] for s in firing[0]["samples"]} == {"web-2", "web-3"}


# --- mute, other channels -----------------------------------------------------------------------------

def test_a_muted_rule_is_evaluated_but_sends_nothing(client, people, send, receiver):
    send(payment_failures(12))
    hook = make_channel(client, people, name="ops", kind="webhook", url=receiver.url)
    rule = make_rule(client, people, name="Payments failing", query="payment", threshold=10, channels=[hook["id"]])
    muted = client.patch(f"/api/v1/alerts/rules/{rule['id']}", {"muted_until": (BASE + 30 * MINUTE).isoformat()},
                         format="json")
    assert muted.status_code == 200

    run_once(BASE)
    run_once(BASE + 5 * MINUTE)

    assert receiver.requests == []
    events = list(Event.objects.filter(rule_id=rule["id"]).order_by("id"))
    assert [(e.state, e.muted) for e in events] == [("firing", True), ("resolved", True)]
    assert Delivery.objects.count() == 0


def test_email_and_slack_channels_carry_the_rule_count_samples_and_link(client, people, send, receiver, mailoutbox):
    send(payment_failures(12))
    mail = make_channel(client, people, name="on-call", kind="email", emails=["oncall@example.com"])
    slack = make_channel(client, people, name="slack", kind="slack", url=receiver.url)
    make_rule(client, people, name="Payments failing", query="payment", threshold=10,
              channels=[mail["id"], slack["id"]])

    run_once(BASE)

    [message] = mailoutbox
    assert message.to == ["oncall@example.com"]
    assert "Payments failing" in message.subject and "FIRING" in message.subject
    assert "Count: 12" in message.body and "payment 11 failed" in message.body
    assert "http://127.0.0.1:8000/?tenant=acme&q=payment&since=" in message.body
    [posted] = receiver.bodies()
    assert "Payments failing" in posted["text"]
    assert any("payment 11 failed" in block.get("text", {}).get("text", "") for block in posted["blocks"])
    assert "X-Devlogs-Signature" not in receiver.requests[0]["headers"]


def test_deliveries_verify_with_the_standard_webhooks_library(client, people, receiver):
    from standardwebhooks import Webhook

    hook = make_channel(client, people, name="ops", kind="webhook", url=receiver.url)
    as_person(client, people["admin"]).post(f"/api/v1/alerts/channels/{hook['id']}/test")
    [request] = receiver.requests
    headers = {name.lower(): value for name, value in request["headers"].items()}
    assert Webhook(hook["secret"].encode()).verify(request["body"], headers)["type"] == "alert.test"
    assert headers["webhook-id"] == headers["x-devlogs-delivery"]
    forged = {**headers, "webhook-timestamp": str(int(headers["webhook-timestamp"]) - 1)}
    with pytest.raises(Exception, match="(?i)signature"):
        Webhook(hook["secret"].encode()).verify(request["body"], forged)
    with pytest.raises(Exception, match="(?i)signature"):
        Webhook(b"another secret, not the channel's").verify(request["body"], headers)


def test_the_test_endpoint_reaches_the_channel_or_says_why_not(client, people, receiver):
    hook = make_channel(client, people, name="ops", kind="webhook", url=receiver.url)
    assert client.post(f"/api/v1/alerts/channels/{hook['id']}/test").json() == {"ok": True, "status": 200}
    assert_signed(receiver.requests[0], hook["secret"])
    assert receiver.bodies()[0]["type"] == "alert.test"
    receiver.answer_next(404)
    assert_error(client.post(f"/api/v1/alerts/channels/{hook['id']}/test"), 502, "delivery_failed", "url")

    rotated = client.post(f"/api/v1/alerts/channels/{hook['id']}/rotate-secret").json()
    assert rotated["secret"] != hook["secret"]
    client.post(f"/api/v1/alerts/channels/{hook['id']}/test")
    assert_signed(receiver.requests[-1], rotated["secret"])


# --- workers ------------------------------------------------------------------------------------------

def test_a_claimed_rule_is_not_evaluated_by_another_worker_until_the_claim_expires(client, people):
    make_rule(client, people, name="Anything", query="", threshold=0)

    first = claim_next_rule(BASE)
    assert first is not None
    assert claim_next_rule(BASE) is None  # a second worker finds nothing to do
    assert evaluate_due_rules(BASE) == []
    assert claim_next_rule(BASE + LEASE + MINUTE) is not None  # the first worker died: taken over


def test_a_broken_rule_does_not_stop_the_others(client, people, send):
    send(payment_failures(12))
    broken = make_rule(client, people, name="Broken", kind="new_value", field="host")
    Rule.objects.filter(pk=broken["id"]).update(field="colour")  # as if the field became invalid
    make_rule(client, people, name="Payments failing", query="payment", threshold=10)

    outcomes = evaluate_due_rules(BASE)

    assert [o.state for o in outcomes] == ["firing"]
    broken_rule = Rule.objects.get(pk=broken["id"])
    assert "colour" in broken_rule.last_error
    assert broken_rule.next_evaluation_at == BASE + MINUTE


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_evaluate_each_rule_once(make_key):
    from django.db import connection

    make_key()
    tenant = Tenant.objects.get(slug="acme")
    rules = [Rule.objects.create(tenant=tenant, name=f"silent {i}", query=f"app:nothing-{i}", kind="absence")
             for i in range(12)]
    results, start = [[], []], threading.Barrier(2)

    def worker(n):
        try:
            start.wait(timeout=30)
            results[n] = [o.rule_id for o in evaluate_due_rules(BASE)]
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(results[0] + results[1]) == sorted(r.pk for r in rules)  # every rule once, none twice
    assert Event.objects.filter(state="firing").count() == 12


@pytest.mark.django_db(transaction=True)
def test_run_alerts_process_delivers_a_firing_once_and_stops_on_sigterm(tmp_path, send, receiver):
    now = timezone.now()
    send([{"message": f"checkout failed {i}", "level": "error", "timestamp": (now - timedelta(seconds=60 - i))
           .isoformat()} for i in range(3)])
    tenant = Tenant.objects.get(slug="acme")
    channel = Channel.objects.create(tenant=tenant, name="ops", kind="webhook", url=receiver.url)
    rule = Rule.objects.create(tenant=tenant, name="Checkout", query="checkout", threshold=0, window_seconds=3600,
                               interval_seconds=10)
    rule.channels.add(channel)

    log_path = tmp_path / "run_alerts.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(manage("run_alerts", "--tick", "0.2"), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                env=child_env(tmp_path, DEVLOGS_ALERT_DELAY_SECONDS="0", DEVLOGS_ALERT_ALLOWED_TARGETS="127.0.0.1/32"))
    try:
        wait_for(lambda: len(receiver.requests) >= 1, timeout=60, what="the webhook")
        first = Rule.objects.get(pk=rule.pk).last_evaluated_at
        wait_for(lambda: Rule.objects.get(pk=rule.pk).last_evaluated_at > first, timeout=60, interval=0.2,
                 what="another evaluation")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0, log_path.read_text()[-2000:]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    [request] = receiver.requests
    assert_signed(request, channel.secret)
    assert orjson.loads(request["body"])["count"] == 3
    assert Delivery.objects.get().status == "sent"
    assert "alerts worker stopped" in log_path.read_text()


# --- the API: validation, roles, tenants ----------------------------------------------------------------

def test_bad_rules_and_channels_get_400s_naming_the_field(client, people):
    hook = make_channel(client, people, name="ops", kind="webhook", url="https://hooks.example.com/x")
    as_person(client, people["member"])
    post = lambda body: client.post("/api/v1/alerts/rules", {"name": "r", **body}, format="json")  # noqa: E731
    assert_error(post({"query": "level:>=loud"}), 400, "invalid", "query")
    assert_error(post({"kind": "new_value"}), 400, "invalid", "field")
    assert_error(post({"kind": "new_value", "field": "colour"}), 400, "invalid", "field")
    assert_error(post({"kind": "sometimes"}), 400, "invalid", "kind")
    assert_error(post({"window_seconds": 5}), 400, "invalid", "window_seconds")
    assert_error(post({"comparison": "below", "threshold": 0}), 400, "invalid", "threshold")
    assert_error(post({"muted_until": "soon"}), 400, "invalid", "muted_until")
    outsider_channel = Channel.objects.create(tenant=Tenant.objects.get(slug="bravo"), name="theirs", kind="webhook",
                                              url="https://example.org/")
    assert_error(post({"channels": [outsider_channel.pk]}), 400, "invalid", "channels")
    assert post({"channels": [hook["id"]]}).status_code == 201
    assert_error(post({}), 409, "name_taken", "name")

    as_person(client, people["admin"])
    channel = lambda body: client.post("/api/v1/alerts/channels", {"name": "c", **body}, format="json")  # noqa: E731
    assert_error(channel({"kind": "webhook", "url": "file:///etc/passwd"}), 400, "invalid", "url")
    assert_error(channel({"kind": "webhook", "url": "https://user:pw@example.com/"}), 400, "invalid", "url")
    assert_error(channel({"kind": "slack"}), 400, "invalid", "url")
    assert_error(channel({"kind": "email", "emails": []}), 400, "invalid", "emails")
    assert_error(channel({"kind": "email", "emails": ["not-an-address"]}), 400, "invalid", "emails")
    assert_error(channel({"kind": "pager", "url": "https://example.com"}), 400, "invalid", "kind")
    assert_error(client.get("/api/v1/alerts/events", {"rule": "x"}), 400, "invalid_rule", "rule")


def test_roles_and_tenants(client, people, send):
    hook = make_channel(client, people, name="ops", kind="slack", url="https://hooks.slack.example/T0/B0/secret")
    rule = make_rule(client, people, name="Payments failing", query="payment", threshold=10, channels=[hook["id"]])
    send(payment_failures(12))
    run_once(BASE)

    as_person(client, people["member"])
    assert_error(client.post("/api/v1/alerts/channels", {"name": "x", "kind": "webhook", "url": "https://e.com"},
                             format="json"), 403, "permission_denied")
    seen = client.get("/api/v1/alerts/channels").json()
    assert seen == [{**seen[0], "url": "https://hooks.slack.example/…"}] and "secret" not in seen[0]

    as_person(client, people["viewer"])
    assert [r["name"] for r in client.get("/api/v1/alerts/rules").json()] == ["Payments failing"]
    assert client.get("/api/v1/alerts/events").json()["results"][0]["state"] == "firing"
    assert_error(client.patch(f"/api/v1/alerts/rules/{rule['id']}", {"enabled": False}, format="json"), 403,
                 "permission_denied")

    as_person(client, people["outsider"])
    assert client.get("/api/v1/alerts/rules").json() == []
    assert client.get("/api/v1/alerts/channels").json() == []
    assert client.get("/api/v1/alerts/events").json()["results"] == []
    assert_error(client.get(f"/api/v1/alerts/rules/{rule['id']}"), 404, "not_found")
    assert_error(client.delete(f"/api/v1/alerts/channels/{hook['id']}"), 404, "not_found")
    assert client.get("/api/v1/alerts/events", {"rule": rule["id"]}).json()["results"] == []


def test_preview_shows_what_a_rule_would_see_now(client, people, send):
    now = timezone.now()
    send([{"message": f"slow query {i}", "level": "warn", "timestamp": (now - timedelta(seconds=90 + i)).isoformat()}
          for i in range(4)])
    as_person(client, people["member"])

    preview = client.post("/api/v1/alerts/preview", {"query": "slow", "threshold": 3, "window_seconds": 600},
                          format="json").json()

    assert (preview["count"], preview["would_fire"]) == (4, True)
    assert [s["message"] for s in preview["samples"]] == [f"slow query {i}" for i in range(4)]
    assert_error(client.post("/api/v1/alerts/preview", {"query": "("}, format="json"), 400, "invalid", "query")


def test_editing_what_a_new_value_rule_watches_learns_again(client, people, send, receiver):
    send([{"message": "started", "host": "web-1", "timestamp": at(-100)}])
    hook = make_channel(client, people, name="ops", kind="webhook", url=receiver.url)
    rule = make_rule(client, people, name="New host", kind="new_value", field="host", channels=[hook["id"]])
    run_once(BASE)
    send([{"message": "started", "host": "web-2", "service": "api", "timestamp": at(10)}])

    client.patch(f"/api/v1/alerts/rules/{rule['id']}", {"field": "service"}, format="json")
    run_once(BASE + MINUTE)  # a new baseline: "api" is already there, so nothing fires

    assert receiver.requests == []
    assert Rule.objects.get(pk=rule["id"]).state == "ok"


def test_the_admin_lists_history_and_refuses_another_tenants_channel(client, people, send, receiver):
    send(payment_failures(12))
    hook = make_channel(client, people, name="ops", kind="webhook", url=receiver.url)
    make_rule(client, people, name="Payments failing", query="payment", threshold=10, channels=[hook["id"]])
    run_once(BASE)
    operator = get_user_model().objects.create_superuser("operator", password="pw-for-tests-123")
    client.force_login(operator)

    for page in ("alerts/rule", "alerts/channel", "alerts/event", "alerts/delivery", "dashboards/dashboard"):
        assert client.get(f"/admin/{page}/").status_code == 200, page
    event = Event.objects.get()
    assert client.get(f"/admin/alerts/event/{event.pk}/change/").status_code == 200
    assert client.post(f"/admin/alerts/event/{event.pk}/change/", {}).status_code == 403  # history is read-only

    theirs = Channel.objects.create(tenant=Tenant.objects.get(slug="bravo"), name="theirs", kind="webhook",
                                    url="https://example.org/")
    response = client.post("/admin/alerts/rule/add/", {
        "tenant": Tenant.objects.get(slug="acme").pk, "name": "Sneaky", "query": "", "kind": "count",
        "comparison": "above", "threshold": "0", "window_seconds": "300", "interval_seconds": "60",
        "channels": [theirs.pk], "enabled": "on"})
    assert response.status_code == 200 and b"rule&#x27;s own tenant" in response.content
    assert not Rule.objects.filter(name="Sneaky").exists()


def test_every_change_to_channels_and_rules_is_audited_through_the_api_and_the_admin(client, people, receiver):
    acme = Tenant.objects.get(slug="acme")

    def actions(via):
        return [(e.actor, e.action) for e in AuditEvent.objects.filter(tenant=acme, details__via=via, action__startswith="alert_")
                .order_by("pk")]

    hook = make_channel(client, people, name="ops", kind="webhook", url=receiver.url)
    as_person(client, people["admin"]).patch(f"/api/v1/alerts/channels/{hook['id']}", {"enabled": False},
                                             format="json")
    client.post(f"/api/v1/alerts/channels/{hook['id']}/rotate-secret")
    rule = make_rule(client, people, name="Payments", query="payment", threshold=1)
    as_person(client, people["member"]).patch(f"/api/v1/alerts/rules/{rule['id']}", {"query": "refund"},
                                              format="json")
    client.delete(f"/api/v1/alerts/rules/{rule['id']}")
    as_person(client, people["admin"]).delete(f"/api/v1/alerts/channels/{hook['id']}")
    assert actions("api") == [("admin", "alert_channel.created"), ("admin", "alert_channel.updated"),
                              ("admin", "alert_channel.secret_rotated"), ("member", "alert_rule.created"),
                              ("member", "alert_rule.updated"), ("member", "alert_rule.deleted"),
                              ("admin", "alert_channel.deleted")]

    client.force_login(get_user_model().objects.create_superuser("operator", password="pw-for-tests-123"))
    form = {"tenant": acme.pk, "name": "pager", "kind": "webhook", "url": "https://example.org/hook",
            "enabled": "on", "emails": "[]", "secret": "s" * 32}
    assert client.post("/admin/alerts/channel/add/", form).status_code == 302
    channel = Channel.objects.get(name="pager")
    assert client.post(f"/admin/alerts/channel/{channel.pk}/change/", {**form, "url": "https://example.org/other"}
                       ).status_code == 302
    rule_form = {"tenant": acme.pk, "name": "Refunds", "query": "refund", "kind": "count", "comparison": "above",
                 "threshold": "0", "window_seconds": "300", "interval_seconds": "60", "channels": [channel.pk],
                 "enabled": "on", "field": ""}
    assert client.post("/admin/alerts/rule/add/", rule_form).status_code == 302
    rule = Rule.objects.get(name="Refunds")
    assert client.post(f"/admin/alerts/rule/{rule.pk}/change/", {**rule_form, "query": "refund failed"}
                       ).status_code == 302
    assert client.post(f"/admin/alerts/rule/{rule.pk}/delete/", {"post": "yes"}).status_code == 302
    assert client.post("/admin/alerts/channel/", {"action": "delete_selected", "_selected_action": [channel.pk],
                                                  "post": "yes"}).status_code == 302
    assert actions("admin") == [("operator", "alert_channel.created"), ("operator", "alert_channel.updated"),
                                ("operator", "alert_rule.created"), ("operator", "alert_rule.updated"),
                                ("operator", "alert_rule.deleted"), ("operator", "alert_channel.deleted")]
    assert not Channel.objects.filter(tenant=acme).exists() and not Rule.objects.filter(tenant=acme).exists()


@pytest.mark.live
def test_the_embedded_server_evaluates_rules_and_notifies_by_itself(transactional_db, tmp_path, make_key, receiver):
    from tests.conftest import http_post_logs, running_server

    raw = make_key(tenant="acme")
    tenant = Tenant.objects.get(slug="acme")
    channel = Channel.objects.create(tenant=tenant, name="ops", kind="webhook", url=receiver.url)
    rule = Rule.objects.create(tenant=tenant, name="Payments", query="payment declined", threshold=1,
                               window_seconds=3600, interval_seconds=10)
    rule.channels.add(channel)
    with running_server(tmp_path, DEVLOGS_ALERTS_IN_SERVER="1", DEVLOGS_ALERT_DELAY_SECONDS="0", DEVLOGS_ALERT_ALLOWED_TARGETS="127.0.0.1/32",
                        DEVLOGS_ALERT_TICK_SECONDS="0.2") as address:
        status, body, _ = http_post_logs(address, raw, [{"message": f"payment declined {i}", "level": "error"}
                                                        for i in range(3)])
        assert status == 202, body
        wait_for(lambda: len(receiver.requests) >= 1, timeout=60, what="the webhook from the server's own worker")
    [request] = receiver.requests
    assert_signed(request, channel.secret)
    assert orjson.loads(request["body"])["count"] == 3
