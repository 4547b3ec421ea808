"""Generated lines and bodies thrown at the ingest endpoints: never a 5xx, and every line an
endpoint accepted is stored, once — whatever the store (this runs on SQLite and on PostgreSQL)."""

import gzip

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from logs.models import LogEntry

pytestmark = pytest.mark.django_db

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
                         st.floats(allow_nan=False), st.text(max_size=40))
json_values = st.recursive(json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)), max_leaves=20)
timestamps = st.one_of(
    st.integers(min_value=-(2**65), max_value=2**65), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30), st.sampled_from(["2026-12-01T00:00:00Z", "2300-01-01T00:00:00Z", "1900-01-01T00:00:00Z",
                                           "1733000000", "1733000000123", "9999-12-31T23:59:59Z", ""]))
fields = st.fixed_dictionaries({}, optional={
    "message": st.one_of(st.text(max_size=80), json_values),
    "timestamp": timestamps,
    "level": st.one_of(st.sampled_from(["info", "ERROR", "warning", "loud", "", "7"]), json_scalars),
    "service": st.one_of(st.text(max_size=20), json_scalars),
    "host": st.text(max_size=300),
    "trace_id": st.one_of(st.text(alphabet="0123456789abcdefABCDEF-", max_size=40), json_scalars),
    "span_id": st.text(max_size=70),
    "attributes": json_values,
    "user_id": json_values,
})
lines = st.lists(st.one_of(fields, json_values), min_size=1, max_size=8)


def _encodable(value) -> bool:
    try:
        orjson.dumps(value)
        return True
    except (TypeError, orjson.JSONEncodeError):
        return False


def _post(client, key, body: bytes, content_type: str, *, compressed: bool):
    extra = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    if compressed:
        body = gzip.compress(body)
        extra["HTTP_CONTENT_ENCODING"] = "gzip"
    return client.generic("POST", "/api/v1/logs", body, content_type=content_type, **extra)


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(batch=lines, ndjson=st.booleans(), compressed=st.booleans())
def test_generated_lines_never_cost_a_5xx_and_what_is_accepted_is_stored(client, key, queue, drain, batch, ndjson,
                                                                          compressed):
    before = LogEntry.objects.count()
    if ndjson:
        body, content_type = b"\n".join(orjson.dumps(line, option=orjson.OPT_PASSTHROUGH_DATACLASS)
                                        if _encodable(line) else b"{" for line in batch), "application/x-ndjson"
    else:
        if not _encodable(batch):
            return
        body, content_type = orjson.dumps(batch), "application/json"
    response = _post(client, key, body, content_type, compressed=compressed)
    assert response.status_code < 500, response.content
    answer = response.json()
    if response.status_code == 202:
        assert answer["accepted"] + answer["rejected_count"] == len(batch)
        drain()
        assert LogEntry.objects.count() - before == answer["accepted"]
    else:
        assert response.status_code in (400, 413) and answer["error"]["code"]


@settings(max_examples=100, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(body=st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode)),
       content_type=st.sampled_from(["application/json", "application/x-ndjson", "text/plain", "application/xml",
                                     "multipart/form-data", ""]),
       compressed=st.booleans())
def test_any_body_gets_a_clear_answer(client, key, queue, body, content_type, compressed):
    response = _post(client, key, body, content_type, compressed=compressed)
    assert response.status_code < 500, response.content
    if response.status_code != 202:
        error = response.json()["error"]
        assert error["status"] == response.status_code and error["code"] and error["message"]




@settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(path=st.sampled_from(["/v1/logs", "/loki/api/v1/push", "/es/_bulk", "/api/v1/syslog"]),
       body=st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode),
                      json_values.filter(_encodable).map(orjson.dumps),
                      st.lists(json_values.filter(_encodable), max_size=5).map(
                          lambda items: b"\n".join(orjson.dumps(item) for item in items))),
       content_type=st.sampled_from(["application/json", "application/x-protobuf", "application/x-ndjson",
                                     "text/plain", "multipart/form-data"]))
def test_every_protocol_answers_any_body_without_a_5xx(client, key, queue, path, body, content_type):
    response = client.generic("POST", path, body, content_type=content_type, HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code < 500, (path, response.status_code, response.content[:300])
