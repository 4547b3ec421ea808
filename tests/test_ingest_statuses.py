"""Every ingest endpoint, every kind of refusal: the status it answers is one its documentation
lists, it is the status meant, and a refusal a retry can cure carries Retry-After.

The documented statuses are read from the docs themselves (the endpoint's section), so an
answer added to an endpoint without its documentation fails here.
"""

import gzip
import re
from pathlib import Path

import orjson
import pytest
from django.db import OperationalError
from django.db.backends import utils

from accounts.models import Tenant
from processing import queue as queue_module
from processing.queue import QueueUnavailable

DOCS = Path(__file__).resolve().parent.parent / "docs"


def documented_statuses(doc: str, start: str, end: str) -> set[int]:
    """The HTTP statuses named in a doc between two headings (a table, or a paragraph)."""
    text = (DOCS / doc).read_text()
    section = text[text.index(start):]
    section = section[:section.index(end, len(start))]
    return {int(s) for s in re.findall(r"(?<![\d.])([1-5]\d\d)(?![\d.%])", section) if 100 <= int(s) <= 599}


def _otlp_body(message: str) -> bytes:
    return orjson.dumps({"resourceLogs": [{"scopeLogs": [{"logRecords": [{"body": {"stringValue": message}}]}]}]})


def _loki_body(message: str) -> bytes:
    return orjson.dumps({"streams": [{"stream": {"job": "web"}, "values": [["1700000000000000000", message]]}]})


def _es_body(message: str) -> bytes:
    return b'{"index": {"_index": "web"}}\n' + orjson.dumps({"message": message}) + b"\n"


# endpoint: (path, content type, body of one line, where its answers are documented)
ENDPOINTS = {
    "logs": ("/api/v1/logs", "application/json", lambda m: orjson.dumps([{"message": m}]),
             ("ingest.md", "## Answers", "## Which answers")),
    "otlp": ("/v1/logs", "application/json", _otlp_body, ("shippers.md", "## OpenTelemetry", "### Field mapping")),
    "loki": ("/loki/api/v1/push", "application/json", _loki_body, ("shippers.md", "## Loki push API",
                                                                   "### Field mapping")),
    "es": ("/es/_bulk", "application/x-ndjson", _es_body, ("shippers-bulk-syslog.md", "### Answers", "### Fluent Bit")),
    "syslog": ("/api/v1/syslog", "text/plain", lambda m: f"<14>1 2026-01-01T00:00:00Z host app - - - {m}\n".encode(),
               ("shippers-bulk-syslog.md", "### Over HTTP", "rsyslog's `omhttp`")),
}
SUCCESS = {"logs": 202, "otlp": 200, "loki": 204, "es": 200, "syslog": 202}
# situation: the status every endpoint must answer (the endpoint's own body shape aside)
SITUATIONS = {
    "accepted": None, "no key": 401, "key without ingest scope": 403, "body too large on the wire": 413,
    "inflates past the limit": 413, "broken gzip": 400, "unknown Content-Encoding": 415, "form body": 415,
    "over the tenant's rate": 429, "queue down": 503, "database down, key never seen": 503,
    "inflation budget full": 503,
}


class _BrokenQueue:
    def publish(self, key, values, lines):
        raise QueueUnavailable("disk full")


def _send(client, endpoint, situation, keys, settings, monkeypatch):
    path, content_type, body_of, _ = ENDPOINTS[endpoint]
    body, headers, key = body_of(f"{situation} at {endpoint}"), {}, keys["ingest"]
    if situation == "no key":
        key = None
    elif situation == "key without ingest scope":
        key = keys["read"]
    elif situation == "body too large on the wire":
        settings.DEVLOGS_MAX_BODY_BYTES = 1024
        body = body_of("x" * 2000)
    elif situation == "inflates past the limit":
        settings.DEVLOGS_MAX_DECOMPRESSED_BYTES = 1024
        body, headers["HTTP_CONTENT_ENCODING"] = gzip.compress(body_of("x" * 4000)), "gzip"
    elif situation == "broken gzip":
        body, headers["HTTP_CONTENT_ENCODING"] = gzip.compress(body)[:-12], "gzip"
    elif situation == "unknown Content-Encoding":
        headers["HTTP_CONTENT_ENCODING"] = "br"
    elif situation == "form body":
        content_type = "multipart/form-data; boundary=xyz"
    elif situation == "over the tenant's rate":
        Tenant.objects.filter(slug="acme").update(ingest_lines_per_second=1, ingest_bytes_per_day=None)
        for _ in range(3):  # run into debt
            client.generic("POST", path, body, content_type=content_type, HTTP_AUTHORIZATION=f"Bearer {key}")
    elif situation == "queue down":
        monkeypatch.setattr(queue_module, "_producer", _BrokenQueue())
    elif situation == "database down, key never seen":
        key = keys["unseen"]

        def down(*args, **kwargs):
            raise OperationalError("connection to server failed: Connection refused")

        monkeypatch.setattr(utils.CursorWrapper, "execute", down)
        monkeypatch.setattr(utils.CursorWrapper, "executemany", down)
    elif situation == "inflation budget full":
        from ingest import inflation

        settings.DEVLOGS_INFLATE_BUDGET_BYTES = 1024 * 1024
        older = inflation.budget.open()  # an older request holds the whole budget
        assert inflation.budget.take(older, 1024 * 1024)
        monkeypatch.setattr(inflation, "WAIT_SECONDS", 0.0)
        body, headers["HTTP_CONTENT_ENCODING"] = gzip.compress(body), "gzip"
        try:
            return client.generic("POST", path, body, content_type=content_type,
                                  HTTP_AUTHORIZATION=f"Bearer {key}", **headers)
        finally:
            inflation.budget.close(older)
    if key:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    return client.generic("POST", path, body, content_type=content_type, **headers)


@pytest.fixture
def keys(make_key):
    return {"ingest": make_key(), "read": make_key(app="reader", scopes=("read",)),
            "unseen": make_key(app="unseen")}


@pytest.mark.parametrize("situation", SITUATIONS)
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_each_endpoint_answers_each_refusal_as_documented(client, keys, queue, settings, monkeypatch, endpoint,
                                                          situation):
    from ingest import inflation

    response = _send(client, endpoint, situation, keys, settings, monkeypatch)
    monkeypatch.undo()
    status = response.status_code
    assert status == (SITUATIONS[situation] or SUCCESS[endpoint]), (endpoint, situation, response.content[:300])
    documented = documented_statuses(*ENDPOINTS[endpoint][3])
    assert status in documented, f"{endpoint} answers {status} for {situation!r}; its docs list {sorted(documented)}"
    if status in (429, 503):
        assert int(response["Retry-After"]) >= 1, (endpoint, situation)
    if status >= 400:  # the endpoint's own error shape: Loki plain text as Loki's; OTLP a Status, protobuf
        assert response.content, (endpoint, situation)  # unless the request was OTLP/JSON; the rest JSON
        if endpoint not in ("loki", "otlp") or "json" in response["Content-Type"]:
            assert "json" in response["Content-Type"] and orjson.loads(response.content), (endpoint, situation)
    assert inflation.budget.in_flight == 0


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_no_accept_header_turns_a_delivery_into_a_406(client, keys, queue, endpoint):
    """Shippers send Accept headers of their own (ES clients: application/vnd.elasticsearch+json;
    some: text/plain); every ingest endpoint answers in its own type regardless (one negotiation,
    ingest.views.RawBodyNegotiation)."""
    path, content_type, body_of, _ = ENDPOINTS[endpoint]
    for accept in ("text/plain", "application/vnd.elasticsearch+json; compatible-with=8", "image/png"):
        response = client.generic("POST", path, body_of("accept " + accept), content_type=content_type,
                                  HTTP_AUTHORIZATION=f"Bearer {keys['ingest']}", HTTP_ACCEPT=accept)
        assert response.status_code == SUCCESS[endpoint], (endpoint, accept, response.content[:200])
