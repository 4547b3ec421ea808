"""Elasticsearch `_bulk` at /es/: documents sent are the lines stored, answers in Elasticsearch's shapes."""

import base64
import contextlib
import gzip
import urllib.request

import orjson
import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from logline.levels import ERROR, INFO, WARN
from logs.models import LogEntry
from tests.conftest import wait_for

pytestmark = pytest.mark.django_db


def ndjson(*values) -> bytes:
    return b"".join(orjson.dumps(v) + b"\n" for v in values)


def post_bulk(client, key, body: bytes, *, path="/es/_bulk", auth="bearer", encoding=None,
              content_type="application/x-ndjson"):
    headers = {}
    if auth == "bearer":
        headers["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    elif auth == "basic":
        headers["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(f"fluent-bit:{key}".encode()).decode()
    elif auth == "apikey":
        headers["HTTP_AUTHORIZATION"] = "ApiKey " + base64.b64encode(f"logstash:{key}".encode()).decode()
    if encoding == "gzip":
        body = gzip.compress(body)
        headers["HTTP_CONTENT_ENCODING"] = "gzip"
    return client.generic("POST", path, body, content_type=content_type, **headers)


def assert_es_error(response, status, error_type=None):
    assert response.status_code == status, response.content
    assert response["X-Elastic-Product"] == "Elasticsearch"
    body = response.json()
    assert body["status"] == status
    assert body["error"]["reason"] and body["error"]["type"]
    assert body["error"]["root_cause"] == [{"type": body["error"]["type"], "reason": body["error"]["reason"]}]
    if error_type is not None:
        assert body["error"]["type"] == error_type, body
    return body


# --- documents in, lines out ----------------------------------------------------------------------

def test_index_and_create_documents_are_stored_with_fields_mapped(client, key, queue, drain):
    body = ndjson(
        {"index": {"_index": "web-logs"}},
        {"@timestamp": "2026-11-29T10:00:00.123Z", "message": "GET /pay 500", "level": "error",
         "host": {"name": "web-7", "ip": "10.0.0.7"}, "service": {"name": "billing"},
         "trace": {"id": "4bf92f3577b34da6a3ce929d0e0e4736"}, "span.id": "00f067aa0ba902b7",
         "http.status": 500, "user": {"id": 42}},
        {"create": {"_index": "fluent-bit"}},
        {"log": "disk almost full", "log.level": "warning", "hostname": "db-1", "kubernetes": {"pod": "db-0"}},
        {"index": {}},
        {"msg": "plain", "severity": "INFO", "host": "box"},
    )
    response = post_bulk(client, key, body)

    assert response.status_code == 200, response.content
    assert response["X-Elastic-Product"] == "Elasticsearch"
    answer = response.json()
    assert answer["errors"] is False
    assert b'"errors":false,"items":[' in response.content  # what Fluent Bit looks for in a cut-off answer
    assert isinstance(answer["took"], int)
    assert [next(iter(item)) for item in answer["items"]] == ["index", "create", "index"]
    first = answer["items"][0]["index"]
    assert first["_index"] == "web-logs" and first["_id"]
    assert {k: first[k] for k in ("_version", "result", "status", "_shards", "_primary_term")} == {
        "_version": 1, "result": "created", "status": 201, "_shards": {"total": 1, "successful": 1, "failed": 0},
        "_primary_term": 1}
    assert [item[next(iter(item))]["_seq_no"] for item in answer["items"]] == [0, 1, 2]

    assert drain() == 3
    web = LogEntry.objects.get(message="GET /pay 500")
    assert web.time.isoformat() == "2026-11-29T10:00:00.123000+00:00"
    assert (web.level, web.host, web.service) == (ERROR, "web-7", "billing")
    assert (web.trace_id, web.span_id) == ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7")
    assert web.attributes == {"es_index": "web-logs", "host": {"ip": "10.0.0.7"}, "http": {"status": 500},
                              "user": {"id": 42}}
    disk = LogEntry.objects.get(message="disk almost full")
    assert (disk.level, disk.host) == (WARN, "db-1")
    assert disk.attributes == {"es_index": "fluent-bit", "kubernetes": {"pod": "db-0"}}
    plain = LogEntry.objects.get(message="plain")
    assert (plain.level, plain.host, plain.attributes) == (INFO, "box", {})


def test_index_in_the_path_is_the_default_and_the_action_can_override_it(client, key, queue, drain):
    body = ndjson({"index": {}}, {"message": "a"}, {"index": {"_index": "other"}}, {"message": "b"})
    response = post_bulk(client, key, body, path="/es/app-logs/_bulk")

    assert [item["index"]["_index"] for item in response.json()["items"]] == ["app-logs", "other"]
    drain()
    assert dict(LogEntry.objects.values_list("message", "attributes__es_index")) == {"a": "app-logs", "b": "other"}


def test_gzip_basic_auth_and_type_names_from_older_shippers(client, key, queue, drain):
    body = ndjson({"index": {"_index": "fb", "_type": "_doc"}}, {"log": "one"},
                  {"create": {"_index": "fb", "_type": "flb_type"}}, {"log": "two"})
    response = post_bulk(client, key, body, auth="basic", encoding="gzip", content_type="application/json")

    assert response.status_code == 200 and response.json()["errors"] is False
    drain()
    assert sorted(LogEntry.objects.values_list("message", flat=True)) == ["one", "two"]


def test_api_key_scheme_carries_our_key(client, key, queue, drain):
    response = post_bulk(client, key, ndjson({"index": {}}, {"message": "via ApiKey"}), auth="apikey")
    assert response.status_code == 200, response.content
    drain()
    assert LogEntry.objects.get().message == "via ApiKey"


def test_retrying_documents_with_ids_stores_them_once(client, key, queue, drain):
    body = ndjson(*[v for i in range(5) for v in ({"create": {"_index": "x", "_id": f"doc-{i}"}},
                                                  {"@timestamp": f"2026-11-29T10:00:0{i}Z", "message": f"m{i}"})])
    first = post_bulk(client, key, body).json()
    again = post_bulk(client, key, body).json()

    assert [item["create"]["_id"] for item in first["items"]] == [f"doc-{i}" for i in range(5)]
    assert first["errors"] is again["errors"] is False
    drain()
    assert sorted(LogEntry.objects.values_list("message", flat=True)) == [f"m{i}" for i in range(5)]


def test_documents_are_isolated_by_tenant(client, make_key, queue, drain):
    acme, globex = make_key(tenant="acme"), make_key(tenant="globex", app="api")
    post_bulk(client, acme, ndjson({"index": {}}, {"message": "acme line"}))
    post_bulk(client, globex, ndjson({"index": {}}, {"message": "globex line"}))
    drain()
    assert dict(LogEntry.objects.values_list("message", "tenant__slug")) == {"acme line": "acme",
                                                                             "globex line": "globex"}


# --- per-item failures -----------------------------------------------------------------------------

def test_bad_documents_fail_alone_with_per_item_errors(client, key, queue, drain):
    body = b"".join([
        ndjson({"index": {"_index": "i", "_id": "no-message"}}, {"level": "info"}),
        ndjson({"index": {"_index": "i"}}), b"{not json\n",
        ndjson({"index": {"_index": "i"}}, ["an", "array"]),
        ndjson({"index": {"_index": "i"}}, {"message": "bad time", "@timestamp": "yesterday"}),
        ndjson({"delete": {"_index": "i", "_id": "1"}}),
        ndjson({"update": {"_index": "i", "_id": "2"}}, {"doc": {"message": "x"}}),
        ndjson({"create": {"_index": "i"}}, {"message": "the good one"}),
    ])
    response = post_bulk(client, key, body)

    assert response.status_code == 200, response.content
    answer = response.json()
    assert answer["errors"] is True
    statuses = [(next(iter(item)), item[next(iter(item))]["status"]) for item in answer["items"]]
    assert statuses == [("index", 400)] * 4 + [("delete", 400), ("update", 400), ("create", 201)]
    errors = [item[next(iter(item))].get("error") for item in answer["items"]]
    assert [e["type"] for e in errors[:4]] == ["mapper_parsing_exception"] * 4
    assert "message" in errors[0]["reason"] and "timestamp" in errors[3]["reason"]
    assert errors[4]["type"] == errors[5]["type"] == "illegal_argument_exception"
    assert answer["items"][0]["index"]["_id"] == "no-message"
    drain()
    assert list(LogEntry.objects.values_list("message", flat=True)) == ["the good one"]


def test_all_documents_failing_is_still_a_200_with_errors(client, key, queue, drain):
    response = post_bulk(client, key, ndjson({"index": {}}, {"no": "message"}))
    assert response.status_code == 200
    assert response.json()["errors"] is True
    assert drain() == 0


# --- whole-request failures, in Elasticsearch's shape ----------------------------------------------

@pytest.mark.parametrize("body, status, error_type", [
    (b"", 400, "action_request_validation_exception"),
    (b"\n\n", 400, "action_request_validation_exception"),
    (b"{oops\n{\"message\": \"x\"}\n", 400, "x_content_parse_exception"),
    (b"{\"frobnicate\": {}}\n{\"message\": \"x\"}\n", 400, "illegal_argument_exception"),
    (b"{\"index\": {}, \"create\": {}}\n{\"message\": \"x\"}\n", 400, "illegal_argument_exception"),
    (b"{\"index\": \"web\"}\n{\"message\": \"x\"}\n", 400, "illegal_argument_exception"),
    (b"{\"index\": {}}\n", 400, "illegal_argument_exception"),
    (b"[1, 2]\n", 400, "illegal_argument_exception"),
])
def test_malformed_bulk_bodies_get_an_elasticsearch_error_and_store_nothing(client, key, queue, drain, body, status,
                                                                             error_type):
    assert_es_error(post_bulk(client, key, body), status, error_type)
    assert drain() == 0


def test_broken_gzip_is_an_elasticsearch_400(client, key, queue):
    response = client.generic("POST", "/es/_bulk", b"\x1f\x8b\x08garbage", content_type="application/x-ndjson",
                              HTTP_AUTHORIZATION=f"Bearer {key}", HTTP_CONTENT_ENCODING="gzip")
    assert_es_error(response, 400)


def test_too_many_actions_is_a_413(client, key, queue, settings):
    settings.DEVLOGS_MAX_LINES_PER_REQUEST = 3
    body = ndjson(*[v for i in range(4) for v in ({"index": {}}, {"message": f"m{i}"})])
    assert_es_error(post_bulk(client, key, body), 413)


@pytest.mark.parametrize("auth_header, status", [
    (None, 401),
    ("Bearer dl_ingest_nope", 401),
    ("ApiKey " + base64.b64encode(b"id:dl_ingest_AAAAAAAAAAAAbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb").decode(), 401),
    ("ApiKey %%%", 401),
])
def test_missing_or_wrong_key_is_an_elasticsearch_401(client, queue, auth_header, status):
    headers = {"HTTP_AUTHORIZATION": auth_header} if auth_header else {}
    response = client.generic("POST", "/es/_bulk", ndjson({"index": {}}, {"message": "x"}),
                              content_type="application/x-ndjson", **headers)
    assert_es_error(response, status, "security_exception")
    assert response["WWW-Authenticate"]


def test_read_only_key_is_an_elasticsearch_403(client, make_key, queue):
    response = post_bulk(client, make_key(scopes=["read"]), ndjson({"index": {}}, {"message": "x"}))
    assert_es_error(response, 403, "security_exception")


def test_queue_outage_is_an_elasticsearch_503_with_retry_after(client, key, queue, monkeypatch):
    from processing import queue as queue_module
    from processing.queue import Producer, QueueUnavailable

    class BrokenQueue(Producer):
        def publish(self, key, values, lines):
            raise QueueUnavailable("disk full")

    monkeypatch.setattr(queue_module, "_producer", BrokenQueue())
    response = post_bulk(client, key, ndjson({"index": {}}, {"message": "lost?"}))
    assert_es_error(response, 503)
    assert response["Retry-After"] == "5"


# --- the probes clients make before sending ----------------------------------------------------------

@pytest.mark.parametrize("path", ["/es", "/es/"])
def test_cluster_info_says_elasticsearch_8(client, key, path):
    response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {key}",
                          HTTP_ACCEPT="application/vnd.elasticsearch+json; compatible-with=8")
    assert response.status_code == 200
    assert response["X-Elastic-Product"] == "Elasticsearch"
    info = response.json()
    assert info["version"]["number"].startswith("8.")
    assert info["version"]["build_flavor"] == "default"
    assert info["tagline"] == "You Know, for Search"


def test_head_of_the_root_is_a_bodyless_200(client, key):
    response = client.head("/es/", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200 and response["X-Elastic-Product"] == "Elasticsearch"
    assert response.content == b""


def test_license_and_health_answer_like_a_healthy_cluster(client, key):
    license_ = client.get("/es/_license", HTTP_AUTHORIZATION=f"Bearer {key}")
    health = client.get("/es/_cluster/health", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert license_.json()["license"]["status"] == "active"
    assert health.status_code == 200 and health.json()["status"] == "green"


def test_other_endpoints_are_an_elasticsearch_404(client, key):
    response = client.put("/es/_index_template/logstash", b"{}", content_type="application/json",
                          HTTP_AUTHORIZATION=f"Bearer {key}")
    body = assert_es_error(response, 404)
    assert "_bulk" in body["error"]["reason"]


def test_probes_need_a_key(client):
    assert_es_error(client.get("/es/"), 401)


# --- a real Elasticsearch client against a real server ------------------------------------------------

@pytest.mark.live
def test_official_python_client_bulk_helper_stores_every_document(server, make_key):
    from elasticsearch import Elasticsearch, helpers

    key = make_key()
    es = Elasticsearch(f"http://{server}/es", api_key=("devlogs", key), http_compress=True, request_timeout=30)
    assert es.info()["version"]["number"].startswith("8.")
    head = urllib.request.Request(f"http://{server}/es/", method="HEAD", headers={"Authorization": f"Bearer {key}"})
    with urllib.request.urlopen(head, timeout=30) as response:  # Logstash's health check
        assert response.status == 200 and response.headers["X-Elastic-Product"] == "Elasticsearch"
        assert response.read() == b""

    docs = [{"_index": "py-client", "_id": f"d{i}", "_source": {
        "@timestamp": f"2026-11-29T10:00:{i % 60:02d}Z", "message": f"doc {i}", "log.level": "warn",
        "service.name": "pyapp", "n": i}} for i in range(250)]
    ok, errors = helpers.bulk(es, docs, chunk_size=100)
    assert (ok, errors) == (250, [])
    again = es.bulk(operations=[{"create": {"_index": "py-client", "_id": "d0"}},
                                {"@timestamp": "2026-11-29T10:00:00Z", "message": "doc 0"}])
    assert again["errors"] is False

    wait_for(lambda: LogEntry.objects.count() >= 250, what="documents stored", timeout=60)
    assert LogEntry.objects.count() == 250
    assert sorted(LogEntry.objects.values_list("attributes__n", flat=True)) == list(range(250))
    assert set(LogEntry.objects.values_list("level", "service")) == {(WARN, "pyapp")}


@pytest.mark.live
def test_official_python_client_sees_per_item_errors(server, make_key):
    from elasticsearch import Elasticsearch, helpers

    es = Elasticsearch(f"http://{server}/es", basic_auth=("vector", make_key()), request_timeout=30)
    ok, errors = helpers.bulk(es, [{"_index": "x", "_source": {"message": "fine"}},
                                   {"_index": "x", "_source": {"no_message": True}}], raise_on_error=False)
    assert ok == 1
    [error] = errors
    assert error["index"]["status"] == 400 and error["index"]["error"]["type"] == "mapper_parsing_exception"


# --- no body makes the parser fail in an unplanned way -------------------------------------------------

@given(st.lists(st.one_of(st.binary(max_size=60), st.sampled_from([
    b'{"index": {}}', b'{"create": {"_index": "x", "_id": 5}}', b'{"delete": {}}', b'{"update": {}}',
    b'{"message": "m"}', b'{"log": {"level": 3}}', b'[]', b'null', b'{"index": {"_index": {"a": 1}}}',
    b'{"message": "x", "@timestamp": -1, "attributes": 7}'])), max_size=12))
@hypothesis_settings(max_examples=300, deadline=None)
def test_any_body_is_items_or_an_elasticsearch_error(lines):
    from ingest.parsing import Limits, LineError, normalise_line
    from shippers.es_bulk import BulkRequestError, parse_bulk, record_from_document

    try:
        items = parse_bulk(b"\n".join(lines), default_index=None, max_items=100)
    except BulkRequestError as exc:
        assert exc.status in (400, 413) and exc.reason
        return
    for item in items:
        if item.source is not None:
            with contextlib.suppress(LineError):
                normalise_line(record_from_document(item.source, index=item.index), received_ns=1, limits=Limits())


def test_the_official_client_retries_exactly_the_answers_we_mean_as_retry_later():
    """The pinned Elasticsearch client's own classification (its transport's retry_on_status): our
    429 and 503 answers are retried, our final answers are not."""
    from elasticsearch import Elasticsearch

    retry_on = set(Elasticsearch("http://127.0.0.1:9/es", api_key="unused").transport.retry_on_status)
    retry_later = {429: "es_rejected_execution_exception", 503: "unavailable_shards_exception"}
    final = (400, 401, 403, 413, 414, 415, 422, 431)
    assert set(retry_later) <= retry_on
    assert not retry_on & set(final)
