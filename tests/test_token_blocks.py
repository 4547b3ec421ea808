"""Words and the block index: a word search narrows to the blocks that can hold the words and
still finds every line it should, on the row store and in the columnstore."""

from datetime import datetime, timedelta, timezone

import pytest
from django.db import connection
from hypothesis import given, settings
from hypothesis import strategies as st

from accounts.models import App, Tenant
from logs import token_blocks
from logs.querylang import parse
from logs.search import Search
from logs.timescale import compress_chunks_older_than, is_hypertable
from logs.querylang.matcher import matches
from logs.tokens import attribute_tokens, contains_term, postgres_pattern, word_bytes, words
from logs.writer import write_envelopes
from logline.envelope import Envelope

NOW = datetime.now(timezone.utc).replace(microsecond=0)
TEXT = st.text(alphabet=st.sampled_from("aAbB_09 -./=:\"'é\n"), max_size=30)


# --- words (no database) ---------------------------------------------------------------------------

def test_words_keep_ids_numbers_and_paths_findable():
    assert words("GET /api/v1/users 503 request_id=req-8F3a user_id=42 from 10.0.0.1") == [
        "get", "api", "v1", "users", "503", "request_id", "req", "8f3a", "user_id", "42", "from", "10", "0", "0", "1"]


@pytest.mark.parametrize("text, term, found", [
    ("payment failed", "fail", False),
    ("payment failed", "FAILED", True),
    ("payment failed.", "failed", True),
    ("id=req-8f3a9b end", "req-8f3a9b", True),
    ("id=req-8f3a9bc end", "req-8f3a9b", False),
    ("GET /api/pay 503", "/api/pay", True),
    ("GET /api/payments", "/api/pay", False),
    ("GET /api/pay", "api/", True),  # a term's non-word edge needs no boundary
    ("user_id missing", "user", False),
    ("line one\nline two", "one line", False),
    ("line one\nline two", "one\nline", True),
])
def test_a_term_matches_on_word_boundaries_in_any_case(text, term, found):
    assert contains_term(text, term) is found


@settings(max_examples=400, deadline=None)
@given(text=TEXT, term=TEXT.filter(lambda t: t.strip() != ""))
def test_a_matching_line_holds_every_word_of_the_term(text, term):
    """What makes the block index safe: a line that matches holds all of the term's words."""
    if contains_term(text, term):
        assert set(words(term)) <= set(words(text))


@settings(max_examples=400, deadline=None)
@given(text=st.text(max_size=40) | TEXT)
def test_the_writers_words_are_the_query_languages(text):
    assert word_bytes(text) == [word.encode("utf-8", "surrogatepass") for word in words(text)]
    assert word_bytes("GET /API\u212a x") == [b"get", b"apik", b"x"]  # the Kelvin sign folds to k


def test_postgres_pattern_escapes_every_non_alphanumeric_character():
    assert postgres_pattern("a.b*(c)") == r"(^|[^A-Za-z0-9_])a\.b\*\(c\)"
    assert postgres_pattern("/x") == r"\/x([^A-Za-z0-9_]|$)"


def test_required_words_only_from_words_anded_at_the_top():
    assert token_blocks.required_words(parse('req-1 "payment failed" level:error')) == [
        "req", "1", "payment", "failed"]
    assert token_blocks.required_words(parse("a OR b")) == []
    assert token_blocks.required_words(parse("-a")) == []
    assert token_blocks.required_words(parse("time*out")) == []


SCALARS = st.one_of(st.integers(-3, 3), st.sampled_from([0.0, 1.0, -1.0, 2.5, 100.0, 1e2, 1e-05]),
                    st.sampled_from(["42", "42.0", "4.2e1", "0042", "100", "1e2", "Gold", "gold", "true", "null", "",
                                     "a b"]),
                    st.booleans(), st.none(), st.lists(st.integers(0, 2), max_size=2))
ATTRIBUTES = st.recursive(st.dictionaries(st.sampled_from("abc"), SCALARS, max_size=3),
                          lambda inner: st.dictionaries(st.sampled_from("abc"), inner | SCALARS, max_size=3),
                          max_leaves=8)
QUERY_VALUES = st.sampled_from(["0", "1", "-1", "3", "1.0", "2.5", "2.50", "100", "1e2", "1e-05", "0.00001", "42",
                                '"42"', "4.2e1", "0042", '"0042"', "Gold", "gold", '"Gold"', "true", "false", "null",
                                '"true"', '"a b"', '""'])


@settings(max_examples=600, deadline=None)
@given(attributes=ATTRIBUTES, path=st.sampled_from(["a", "b", "c", "a.b", "a.c", "b.a", "a.b.c"]), value=QUERY_VALUES)
def test_a_line_matching_an_attribute_equality_holds_its_token(attributes, path, value):
    """What makes the block index safe for attributes: a line the query language's equality
    matches (the in-process matcher, which the SQL mirrors) holds the query's token."""
    node = parse(f"attr.{path}:{value}")
    if matches(node, {"attributes": attributes, "message": "", "level": 9}):
        assert set(token_blocks.required_words(node)) <= set(attribute_tokens(attributes))


def test_one_token_for_equal_numbers_and_none_inside_arrays():
    assert attribute_tokens({"n": 100}) == attribute_tokens({"n": 100.0}) == attribute_tokens({"n": "1e2"})
    assert attribute_tokens({"tags": ["a"], "x": {"y": True}}) == ["\x1ex.y=true"]
    assert token_blocks.required_words(parse("attr.user_id:42 payment")) == ["\x1euser_id=42", "payment"]
    assert token_blocks.required_words(parse("attr.user_id:>42")) == []
    assert token_blocks.required_words(parse("attr.plan:Go*")) == []


# --- the block index (PostgreSQL) -------------------------------------------------------------------

def _ns(moment: datetime) -> int:
    return int(moment.timestamp() * 1e9)


NEEDLE_ATTRIBUTES = {"plan": "Gold", "amount": 12.5, "code": "0042", "vip": True}


def _write_batches(tenant, app, batches: int, per_batch: int, needle_batch: int, *, hours_ago: float):
    from ingest.event_ids import uuid7_strings

    for b in range(batches):
        ids = uuid7_strings(per_batch)
        base = NOW - timedelta(hours=hours_ago) + timedelta(seconds=b)
        lines = [{"id": ids[i], "ts": _ns(base + timedelta(milliseconds=i)), "level": 9,
                  "message": f"GET /orders {200 + i % 3} request_id=req-{b:04x}{i:04x}"
                             + (" needle-7f3a found" if (b, i) == (needle_batch, 3) else ""),
                  "service": "api", "host": "web-1", "trace_id": "", "span_id": "",
                  "attributes": {"user_id": b * 1000 + i, "http": {"status": 200 + i % 3}, "tags": ["x"],
                                 **(NEEDLE_ATTRIBUTES if (b, i) == (needle_batch, 3) else {})}}
                 for i in range(per_batch)]
        write_envelopes([Envelope(tenant_id=tenant.id, app_id=app.id, received_ns=_ns(base), lines=lines)])


def store_two_tenants():
    """Six 50-line batches of one tenant (the needle in the fifth), two of another: the tenant."""
    tenant = Tenant.objects.create(slug="blocks", name="Blocks")
    other = Tenant.objects.create(slug="other", name="Other")
    app = App.objects.create(tenant=tenant, slug="web", name="web")
    other_app = App.objects.create(tenant=other, slug="web", name="web")
    _write_batches(tenant, app, batches=6, per_batch=50, needle_batch=4, hours_ago=2)
    _write_batches(other, other_app, batches=2, per_batch=50, needle_batch=1, hours_ago=2)
    return tenant


@pytest.fixture
def stored(db):
    if not token_blocks.enabled():
        pytest.skip("the block index is PostgreSQL's")
    return store_two_tenants()


def _found(tenant, query, hours=24):
    search = Search.for_tenant(tenant, query, since=NOW - timedelta(hours=hours), until=NOW + timedelta(minutes=1))
    return list(search.queryset().order_by("-time").values_list("message", flat=True))


def test_each_batch_gets_one_block_per_tenant(stored):
    with connection.cursor() as cursor:
        cursor.execute("SELECT tenant_id, count(*), sum(lines) FROM logs_tokenblock GROUP BY tenant_id ORDER BY 1")
        assert [row[1:] for row in cursor.fetchall()] == [(6, 300), (2, 100)]


def test_a_word_search_reads_only_the_blocks_holding_its_words(stored):
    blocks = token_blocks.candidates(stored.id, words("needle-7f3a"), NOW - timedelta(hours=24), NOW)
    assert len(blocks) == 1
    assert _found(stored, "needle-7f3a") == ["GET /orders 200 request_id=req-00040003 needle-7f3a found"]
    assert _found(stored, "req-00020001") == ["GET /orders 201 request_id=req-00020001"]


def test_words_in_every_block_and_absent_words(stored):
    assert len(_found(stored, "orders")) == 300
    assert _found(stored, "needle-7f3b") == []
    assert _found(stored, "needle") == ["GET /orders 200 request_id=req-00040003 needle-7f3a found"]
    assert _found(stored, "needl") == []
    assert _found(stored, "needl*") == ["GET /orders 200 request_id=req-00040003 needle-7f3a found"]


NEEDLE = "GET /orders 200 request_id=req-00040003 needle-7f3a found"


@pytest.mark.parametrize("query", ["attr.user_id:4003", "attr.user_id:4003.0", "attr.plan:Gold", "attr.amount:12.5",
                                   "attr.amount:1.25e1", 'attr.code:"0042"', "attr.vip:true",
                                   "attr.plan:Gold attr.http.status:200", "attr.user_id:4003 needle"])
def test_an_attribute_equality_reads_only_the_blocks_holding_its_token(stored, query):
    required = token_blocks.required_words(parse(query))
    assert len(token_blocks.candidates(stored.id, required, NOW - timedelta(hours=24), NOW)) == 1
    assert _found(stored, query) == [NEEDLE]


def test_attribute_values_in_every_block_and_absent_ones(stored):
    assert len(_found(stored, "attr.http.status:201")) == 6 * 17  # i % 3 == 1 for 17 of 50
    assert _found(stored, "attr.user_id:4003 attr.plan:Silver") == []
    assert _found(stored, "attr.user_id:999999") == []
    assert _found(stored, "attr.tags:x") == []  # equality never looks into an array


def test_time_range_outside_the_blocks_finds_nothing(stored):
    assert token_blocks.candidates(stored.id, words("needle"), NOW - timedelta(minutes=30), NOW) == []
    assert _found(stored, "needle", hours=0.5) == []


def test_a_redelivered_batch_stores_no_line_twice_and_search_still_finds_it_once(stored):
    app = App.objects.get(tenant=stored)
    lines = [{"id": "01a229c6-0000-7000-8000-00000000abcd", "ts": _ns(NOW - timedelta(minutes=5)), "level": 17,
              "message": "redelivered req-feedbeef", "service": "", "host": "", "trace_id": "", "span_id": "",
              "attributes": {}}]
    for _ in range(2):
        write_envelopes([Envelope(tenant_id=stored.id, app_id=app.id, received_ns=_ns(NOW), lines=lines)])
    assert _found(stored, "req-feedbeef") == ["redelivered req-feedbeef"]


def test_a_batch_holding_one_stored_line_stores_the_others_once_and_indexes_them(stored):
    """The writer COPYs straight into the table; a line stored already makes it write the batch
    again the idempotent way (staging + ON CONFLICT), with the words of the new lines indexed."""
    from logs.models import LogEntry

    app = App.objects.get(tenant=stored)
    old = LogEntry.objects.filter(tenant=stored).order_by("time").first()
    again = {"id": str(old.event_id), "ts": _ns(old.time), "level": old.level, "message": old.message,
             "service": old.service, "host": old.host, "trace_id": "", "span_id": "", "attributes": old.attributes}
    new = [{**again, "id": f"01a229c6-0000-7000-8000-0000000000{i:02x}", "message": f"fresh line late-{i}",
            "attributes": {"batch": "late"}} for i in range(10)]
    before = LogEntry.objects.filter(tenant=stored).count()
    assert write_envelopes([Envelope(tenant_id=stored.id, app_id=app.id, received_ns=_ns(NOW), lines=[again, *new])]) == 11
    assert LogEntry.objects.filter(tenant=stored).count() == before + 10
    assert _found(stored, "late-7") == ["fresh line late-7"]
    assert len(_found(stored, "attr.batch:late")) == 10


def test_the_columnstore_is_searched_through_the_blocks_too(stored):
    if not is_hypertable(connection):
        pytest.skip("the columnstore is TimescaleDB's")
    assert compress_chunks_older_than(connection, "-1 day") >= 1
    assert _found(stored, "needle-7f3a") == ["GET /orders 200 request_id=req-00040003 needle-7f3a found"]
    assert len(_found(stored, "orders")) == 300
    assert _found(stored, "req-00050031") == ["GET /orders 201 request_id=req-00050031"]
    assert _found(stored, "attr.user_id:4003") == [NEEDLE]
    assert len(_found(stored, "attr.http.status:202")) == 6 * 16


def test_blocks_of_lines_past_retention_are_dropped(stored):
    assert token_blocks.delete_older_than(NOW - timedelta(hours=1), tenant_id=stored.id) == 6
    assert token_blocks.candidates(stored.id, words("orders"), None, None) == []


def test_lines_stored_before_the_index_get_blocks(stored):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE logs_logentry SET block_id = NULL WHERE tenant_id = %s", [stored.id])
        cursor.execute("DELETE FROM logs_tokenblock WHERE tenant_id = %s", [stored.id])
    assert _found(stored, "needle-7f3a") == []  # no block holds it: the index is what search reads
    assert token_blocks.backfill() == 300
    assert _found(stored, "needle-7f3a") == [NEEDLE]
    assert _found(stored, "attr.plan:Gold") == [NEEDLE]


def test_ranges_with_many_blocks_ask_the_word_index_first(stored, monkeypatch):
    monkeypatch.setattr(token_blocks, "FEW_BLOCKS", 0)
    assert len(token_blocks.candidates(stored.id, words("needle-7f3a"), NOW - timedelta(hours=24), NOW)) == 1
    assert _found(stored, "needle-7f3a") == ["GET /orders 200 request_id=req-00040003 needle-7f3a found"]
    # a word in every block: narrowing would rule out nothing, so the range is scanned
    assert token_blocks.candidates(stored.id, words("orders"), NOW - timedelta(hours=24), NOW) is None
    assert len(_found(stored, "orders")) == 300


@pytest.mark.django_db(transaction=True)
def test_maintenance_moves_closed_chunks_to_the_columnstore_and_search_still_finds_them(settings):
    from logs.retention import apply_retention

    if not is_hypertable(connection):
        pytest.skip("the columnstore is TimescaleDB's")
    tenant = Tenant.objects.create(slug="upkeep", name="Upkeep")
    app = App.objects.create(tenant=tenant, slug="web", name="web")
    _write_batches(tenant, app, batches=2, per_batch=20, needle_batch=1, hours_ago=30)
    settings.DEVLOGS_TIMESCALE_COMPRESS_AFTER = "1 hour"
    apply_retention()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM timescaledb_information.chunks "
                       "WHERE hypertable_name = 'logs_logentry' AND is_compressed")
        assert cursor.fetchone()[0] >= 1
    assert _found(tenant, "needle-7f3a", hours=48) == ["GET /orders 200 request_id=req-00010003 needle-7f3a found"]
    apply_retention()  # idempotent
