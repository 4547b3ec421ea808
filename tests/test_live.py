"""The whole platform in one real server process: HTTP ingest → embedded processor → WebSocket.

A real daphne server (embedded mode, processor inside) and real HTTP and WebSocket
clients; nothing in between is replaced.
"""

import asyncio
import time
import urllib.error
import urllib.request

import orjson
import pytest
import websockets

from logs.models import LogEntry
from tests.conftest import wait_for

pytestmark = pytest.mark.live


def _post(server, key, lines):
    request = urllib.request.Request(f"http://{server}/api/v1/logs", data=orjson.dumps(lines), method="POST",
                                     headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, orjson.loads(response.read())


def _get(server, key, query=""):
    request = urllib.request.Request(f"http://{server}/api/v1/logs{query}", headers={"X-API-Key": key})
    with urllib.request.urlopen(request, timeout=10) as response:
        return orjson.loads(response.read())


async def _receive_entries(ws, want: int, timeout: float = 10) -> list[dict]:
    entries = []
    deadline = time.monotonic() + timeout
    while len(entries) < want:
        message = orjson.loads(await asyncio.wait_for(ws.recv(), timeout=max(deadline - time.monotonic(), 0.01)))
        if message["type"] == "entries":
            entries += message["entries"]
    return entries


async def _quiet_for(ws, seconds: float) -> list[dict]:
    """Everything that arrives within `seconds` (expected: nothing)."""
    got = []
    try:
        while True:
            got.append(orjson.loads(await asyncio.wait_for(ws.recv(), timeout=seconds)))
    except asyncio.TimeoutError:
        return got


def test_ingest_is_stored_and_queryable_through_the_real_server(server, make_key):
    key = make_key()
    status, body = _post(server, key, [{"message": f"hello {i}", "level": "info"} for i in range(50)])
    assert (status, body["accepted"]) == (202, 50)

    wait_for(lambda: LogEntry.objects.count() >= 50, timeout=20, what="the 50 lines stored")
    assert LogEntry.objects.count() == 50
    assert len(_get(server, key, "?limit=100")["results"]) == 50


def test_live_feed_streams_only_the_callers_tenant_and_filters(server, make_key):
    key_a = make_key(tenant="alpha", app="web")
    key_b = make_key(tenant="bravo", app="web")
    ingest_only = make_key(tenant="alpha", app="web", scopes=["ingest"])

    async def scenario():
        url = f"ws://{server}/ws/v1/tail"
        async with websockets.connect(url, additional_headers={"Authorization": f"Bearer {key_a}"}) as ws_a, \
                websockets.connect(url, additional_headers={"X-API-Key": key_b}) as ws_b, \
                websockets.connect(url, additional_headers={"Authorization": f"Bearer {key_a}"}) as ws_err:
            await ws_err.send(orjson.dumps({"type": "subscribe", "level": "error"}).decode())
            assert orjson.loads(await ws_err.recv())["type"] == "subscribed"

            await asyncio.to_thread(_post, server, key_a, [
                {"message": "alpha info", "level": "info"}, {"message": "alpha boom", "level": "error"}])
            got_a = await _receive_entries(ws_a, 2)
            got_err = await _receive_entries(ws_err, 1)
            assert sorted(e["message"] for e in got_a) == ["alpha boom", "alpha info"]
            assert [e["message"] for e in got_err] == ["alpha boom"]
            assert got_a[0]["app"] == "web" and got_a[0]["id"]
            assert await _quiet_for(ws_b, 1.0) == []  # B never hears A
            assert await _quiet_for(ws_err, 0.3) == []

            await asyncio.to_thread(_post, server, key_b, [{"message": "bravo only"}])
            assert [e["message"] for e in await _receive_entries(ws_b, 1)] == ["bravo only"]
            assert await _quiet_for(ws_a, 1.0) == []

    asyncio.run(asyncio.wait_for(scenario(), timeout=60))

    async def refused(headers):
        async with websockets.connect(f"ws://{server}/ws/v1/tail", additional_headers=headers) as ws:
            with pytest.raises(websockets.ConnectionClosed) as info:
                await asyncio.wait_for(ws.recv(), timeout=5)
            return info.value.rcvd.code

    assert asyncio.run(refused({})) == 4401
    assert asyncio.run(refused({"Authorization": "Bearer dl_full_" + "x" * 44})) == 4401
    assert asyncio.run(refused({"Authorization": f"Bearer {ingest_only}"})) == 4403


def test_foreign_browser_origin_is_refused(server, make_key):
    key = make_key()

    async def connect():
        async with websockets.connect(f"ws://{server}/ws/v1/tail", origin="https://evil.example",
                                      additional_headers={"Authorization": f"Bearer {key}"}):
            pass

    with pytest.raises(websockets.InvalidStatus) as info:
        asyncio.run(asyncio.wait_for(connect(), timeout=10))
    assert info.value.response.status_code == 403


def test_bad_request_to_the_real_server_gets_json_and_the_server_keeps_serving(server, make_key):
    key = make_key()
    request = urllib.request.Request(f"http://{server}/api/v1/logs", data=b"x" * (6 * 1024 * 1024), method="POST",
                                     headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request, timeout=30)
    assert info.value.code == 413
    assert orjson.loads(info.value.read())["error"]["code"] == "body_too_large"
    assert _post(server, key, [{"message": "after"}])[0] == 202


def test_export_streams_in_bounded_memory(server, make_key):
    """Exporting 20× more rows must not cost the server 20× the memory: it streams."""
    from accounts.models import ApiKey
    from logs.writer import write_envelopes
    from logline.envelope import Envelope

    key = make_key()
    app = ApiKey.objects.get().app
    filler = "x" * 200
    base = 1_700_000_000 * 10**9

    def seed(start, count):
        lines = [{"id": f"01a229c6-0000-7000-8000-{i:012x}", "ts": base + i * 10**6, "level": 9,
                  "message": f"line {i} {filler}", "service": "", "host": "", "trace_id": "", "span_id": "",
                  "attributes": {"i": i}} for i in range(start, start + count)]
        for chunk in range(0, count, 5000):
            write_envelopes([Envelope(tenant_id=app.tenant_id, app_id=app.id, received_ns=base,
                                      lines=lines[chunk:chunk + 5000])])

    def peak_mb() -> float:
        with open(f"/proc/{server.pid}/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:")) / 1024

    def export_bytes() -> int:
        request = urllib.request.Request(f"http://{server}/api/v1/logs/export?order=oldest",
                                         headers={"Authorization": f"Bearer {key}"})
        total = 0
        with urllib.request.urlopen(request, timeout=120) as response:
            while chunk := response.read(1 << 16):
                total += len(chunk)
        return total

    seed(0, 5_000)
    small = export_bytes()
    after_small = peak_mb()
    seed(5_000, 95_000)
    large = export_bytes()
    after_large = peak_mb()
    print(f"export: {small} B -> peak {after_small:.0f} MB; {large} B -> peak {after_large:.0f} MB")
    assert large > 19 * small  # 20× the rows went out...
    assert after_large - after_small < 40, (after_small, after_large, large)  # ...without 20× the memory


def test_server_sent_events_fallback_streams_filtered_lines_of_the_tenant(server, make_key):
    import http.client

    key = make_key(tenant="alpha")
    other = make_key(tenant="bravo")
    conn = http.client.HTTPConnection(*server.split(":"), timeout=20)
    conn.request("GET", "/api/v1/logs/stream?q=level:error", headers={"Authorization": f"Bearer {key}"})
    response = conn.getresponse()
    assert response.status == 200 and response.getheader("Content-Type") == "text/event-stream"
    # The stream is subscribed before its first byte (logs/sse.py joins the group, then answers).
    assert response.readline() == b"retry: 2000\n"
    _post(server, other, [{"message": "bravo error", "level": "error"}])
    _post(server, key, [{"message": "alpha info", "level": "info"}, {"message": "alpha error", "level": "error"}])
    events = []
    while not events:
        line = response.readline()
        if line.startswith(b"data: "):
            events += orjson.loads(line[6:])
    assert [e["message"] for e in events] == ["alpha error"]
    conn.close()
    unauthenticated = http.client.HTTPConnection(*server.split(":"), timeout=10)
    unauthenticated.request("GET", "/api/v1/logs/stream")
    assert unauthenticated.getresponse().status == 401


def test_a_person_in_two_tenants_tails_the_one_asked_for(server, make_key, client):
    from django.contrib.auth import get_user_model

    from accounts.models import Membership, Tenant

    key_a, key_b = make_key(tenant="alpha"), make_key(tenant="bravo")
    user = get_user_model().objects.create_user("both", password="pw-for-tests-123")
    for slug in ("alpha", "bravo"):
        Membership.objects.create(user=user, tenant=Tenant.objects.get(slug=slug), role="viewer")
    client.force_login(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}"

    async def first_message(tenant_query: str) -> list[str]:
        async with websockets.connect(f"ws://{server}/ws/v1/tail{tenant_query}",
                                      additional_headers={"Cookie": cookie}) as ws:
            await ws.send('{"type": "subscribe"}')
            await asyncio.to_thread(_post, server, key_a, [{"message": "in alpha"}])
            await asyncio.to_thread(_post, server, key_b, [{"message": "in bravo"}])
            return [e["message"] for e in await _receive_entries(ws, 1)]

    assert asyncio.run(first_message("?tenant=bravo")) == ["in bravo"]
    assert asyncio.run(first_message("")) == ["in alpha"]  # the first tenant by slug

    async def refused() -> int:
        outsider = "?tenant=nowhere"
        async with websockets.connect(f"ws://{server}/ws/v1/tail{outsider}",
                                      additional_headers={"Cookie": cookie}) as ws:
            with pytest.raises(websockets.ConnectionClosed) as info:
                await asyncio.wait_for(ws.recv(), timeout=5)
            return info.value.rcvd.code

    assert asyncio.run(refused()) == 4403
