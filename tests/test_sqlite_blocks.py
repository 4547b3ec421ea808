"""The block index on SQLite (the embedded store): a word search reads only the id ranges of the
blocks holding its words, and still finds every line it should, each once, for its tenant only."""

from datetime import timedelta

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import App, Tenant
from logs import sqlite_blocks
from logs.models import LogEntry
from logs.querylang import parse
from logs.querylang.matcher import matches
from logs.search import Search
from logs.tokens import words
from logs.writer import write_envelopes
from logline.envelope import Envelope
from tests.test_token_blocks import NEEDLE, NOW, _found, _ns, store_two_tenants


@pytest.fixture
def stored(db):
    if not sqlite_blocks.enabled():
        pytest.skip("this block index is SQLite's (PostgreSQL's: tests/test_token_blocks.py)")
    return store_two_tenants()


def _line(event: int, message: str, *, minutes_ago: float = 5) -> dict:
    return {"id": f"01a229c6-0000-7000-8000-{event:012x}", "ts": _ns(NOW - timedelta(minutes=minutes_ago)),
            "level": 9, "message": message, "service": "api", "host": "", "trace_id": "", "span_id": "",
            "attributes": {}}


def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return " | ".join(row[-1] for row in cursor.fetchall())


def test_each_batch_gets_one_block_per_tenant_covering_its_lines(stored):
    with connection.cursor() as cursor:
        cursor.execute("SELECT tenant_id, count(*), sum(lines) FROM logs_tokenblock GROUP BY tenant_id ORDER BY 1")
        assert [row[1:] for row in cursor.fetchall()] == [(6, 300), (2, 100)]
        cursor.execute("SELECT tenant_id, first_id, last_id FROM logs_tokenblock")
        blocks = cursor.fetchall()
    for entry in LogEntry.objects.all():
        assert any(tenant == entry.tenant_id and first <= entry.id <= last for tenant, first, last in blocks)


def test_a_rare_word_reads_one_blocks_id_range_not_the_tenants_index(stored):
    ranges = sqlite_blocks.candidates(stored.id, words("needle-7f3a"), NOW - timedelta(hours=24), NOW)
    assert len(ranges) == 1 and ranges[0][1] - ranges[0][0] + 1 == 50
    assert _found(stored, "needle-7f3a") == [NEEDLE]
    assert _found(stored, "req-00020001") == ["GET /orders 201 request_id=req-00020001"]
    search = Search.for_tenant(stored, "needle-7f3a", since=NOW - timedelta(hours=24), until=NOW)
    plan = _plan(search.queryset().order_by("-time", "-id")[:100])
    assert "INTEGER PRIMARY KEY" in plan and "logentry_tenant" not in plan, plan


def test_common_absent_partial_and_wildcard_words(stored):
    assert len(_found(stored, "orders")) == 300
    assert _found(stored, "needle-7f3b") == []
    assert _found(stored, "needle") == [NEEDLE]
    assert _found(stored, "needl") == []
    assert _found(stored, "needl*") == [NEEDLE]
    assert _found(stored, '"needle-7f3a found"') == [NEEDLE]
    assert _found(stored, "NEEDLE attr.plan:Gold") == [NEEDLE]
    assert _found(stored, "needle OR req-00020001") == [NEEDLE, "GET /orders 201 request_id=req-00020001"]


def test_a_word_of_another_tenant_is_never_found(stored):
    other = Tenant.objects.get(slug="other")
    assert _found(other, "req-00040003") == []  # the stored tenant's needle line
    assert len(_found(other, "orders")) == 100


def test_two_tenants_in_one_batch_each_get_their_own_range(stored):
    other = Tenant.objects.get(slug="other")
    apps = {t.id: App.objects.get(tenant=t) for t in (stored, other)}
    envelopes = [Envelope(tenant_id=t, app_id=apps[t].id, received_ns=_ns(NOW),
                          lines=[_line(100 + 2 * i + (t == other.id), f"mixed-{t} {i}")])
                 for i in range(6) for t in (stored.id, other.id)]  # interleaved
    write_envelopes(envelopes)
    assert sorted(_found(stored, f"mixed-{stored.id}")) == [f"mixed-{stored.id} {i}" for i in range(6)]
    assert _found(stored, f"mixed-{other.id}") == []
    assert len(sqlite_blocks.candidates(other.id, ["mixed", str(other.id)], None, None)) == 1


def test_time_range_outside_the_blocks_finds_nothing(stored):
    assert sqlite_blocks.candidates(stored.id, words("needle"), NOW - timedelta(minutes=30), NOW) == []
    assert _found(stored, "needle", hours=0.5) == []


def test_a_redelivered_batch_stores_no_line_twice_and_is_found_once(stored):
    app = App.objects.get(tenant=stored)
    for _ in range(2):
        assert write_envelopes([Envelope(tenant_id=stored.id, app_id=app.id, received_ns=_ns(NOW),
                                         lines=[_line(1, "redelivered req-feedbeef")])]) == 1
    assert _found(stored, "req-feedbeef") == ["redelivered req-feedbeef"]
    assert LogEntry.objects.filter(message="redelivered req-feedbeef").count() == 1


def test_a_large_batch_gets_blocks_of_block_lines_and_a_rare_word_reads_one(stored, monkeypatch):
    monkeypatch.setattr(sqlite_blocks, "BLOCK_LINES", 40)
    app = App.objects.get(tenant=stored)
    lines = [_line(500 + i, f"bulk line bulk-{i}" + (" rare-c0ffee" if i == 97 else "")) for i in range(100)]
    write_envelopes([Envelope(tenant_id=stored.id, app_id=app.id, received_ns=_ns(NOW), lines=lines)])

    with connection.cursor() as cursor:
        cursor.execute("SELECT lines, last_id - first_id + 1 FROM logs_tokenblock WHERE logs_tokenblock MATCH 'bulk' "
                       "ORDER BY first_id")
        assert cursor.fetchall() == [(40, 40), (40, 40), (20, 20)]
    (first, last), = sqlite_blocks.candidates(stored.id, words("rare-c0ffee"), NOW - timedelta(hours=1), NOW)
    assert last - first + 1 == 20
    assert _found(stored, "rare-c0ffee") == ["bulk line bulk-97 rare-c0ffee"]
    assert len(_found(stored, "bulk")) == 100


def test_a_batch_holding_one_stored_line_stores_the_others_once_and_indexes_them(stored):
    app = App.objects.get(tenant=stored)
    old = LogEntry.objects.filter(tenant=stored).order_by("time").first()
    again = {"id": str(old.event_id), "ts": _ns(old.time), "level": old.level, "message": old.message,
             "service": old.service, "host": old.host, "trace_id": "", "span_id": "", "attributes": old.attributes}
    new = [_line(200 + i, f"fresh line late-{i}") for i in range(10)]
    before = LogEntry.objects.filter(tenant=stored).count()
    write_envelopes([Envelope(tenant_id=stored.id, app_id=app.id, received_ns=_ns(NOW), lines=[again, *new])])
    assert LogEntry.objects.filter(tenant=stored).count() == before + 10
    assert _found(stored, "late-7") == ["fresh line late-7"]
    assert _found(stored, old.message.split()[-1]) == [old.message]


def test_words_beyond_ascii_and_what_lower_case_folds_into_ascii(stored):
    app = App.objects.get(tenant=stored)
    write_envelopes([Envelope(tenant_id=stored.id, app_id=app.id, received_ns=_ns(NOW), lines=[
        _line(300, "Zahlung failé für Straße"), _line(301, "API\u212a timeout"), _line(302, "日本 ok-9")])])
    assert _found(stored, "fail") == ["Zahlung failé für Straße"]
    assert _found(stored, "straße") == ["Zahlung failé für Straße"]
    assert _found(stored, "apik") == ["API\u212a timeout"]
    assert _found(stored, "日本") == ["日本 ok-9"]
    assert _found(stored, "ok-9") == ["日本 ok-9"]


def test_blocks_of_lines_past_retention_are_dropped(stored):
    assert sqlite_blocks.delete_older_than(NOW - timedelta(hours=1), tenant_id=stored.id) == 6
    assert sqlite_blocks.candidates(stored.id, words("orders"), None, None) == []


def test_lines_stored_before_the_index_get_blocks(stored):
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM logs_tokenblock")
    assert _found(stored, "needle-7f3a") == []  # no block holds it: the index is what search reads
    assert sqlite_blocks.backfill(block_lines=120) == 400
    assert _found(stored, "needle-7f3a") == [NEEDLE]
    assert len(_found(stored, "orders")) == 300
    with connection.cursor() as cursor:
        cursor.execute("SELECT tenant_id, count(*) FROM logs_tokenblock GROUP BY tenant_id ORDER BY 1")
        assert [row[1] for row in cursor.fetchall()] == [3, 1]  # 300 lines in 120s; 100 in one


def test_more_candidate_blocks_than_pay_scans_the_range(stored, monkeypatch):
    monkeypatch.setattr(sqlite_blocks, "MAX_CANDIDATES", 3)
    assert sqlite_blocks.candidates(stored.id, words("orders"), None, None) is None
    assert len(_found(stored, "orders")) == 300
    assert len(sqlite_blocks.candidates(stored.id, words("needle"), None, None)) == 1


WORDS = st.sampled_from(["alpha", "beta", "Gamma", "req-1", "req-2", "x_y", "42", "é", "ok.", "/p/q"])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=st.lists(st.lists(st.lists(WORDS, min_size=1, max_size=4).map(" ".join), min_size=1, max_size=6),
                        min_size=1, max_size=4),
       query=st.lists(WORDS, min_size=1, max_size=2).map(" ".join) | WORDS.map(lambda w: f'"{w} alpha"'))
def test_a_narrowed_search_finds_exactly_what_the_matcher_finds(db, batches, query):
    if not sqlite_blocks.enabled():
        pytest.skip("this block index is SQLite's")
    tenant = Tenant.objects.create(slug=f"p{Tenant.objects.count()}", name="p")
    app = App.objects.create(tenant=tenant, slug="web", name="web")
    sent, event = [], 0
    for batch in batches:
        lines = []
        for message in batch:
            event += 1
            lines.append(_line(event + 1000 * tenant.id, message))
            sent.append(message)
        write_envelopes([Envelope(tenant_id=tenant.id, app_id=app.id, received_ns=_ns(NOW), lines=lines)])
    expected = sorted(m for m in sent if matches(parse(query), {"message": m, "level": 9, "attributes": {}}))
    assert sorted(_found(tenant, query)) == expected
