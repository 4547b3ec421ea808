"""Access that ends, ends on open live tails too (WebSocket and SSE), within 5 seconds, through a real server.

Changes made through the server (its API, admin, logout) are announced to the tenant's live tails
at once (logs/access_watch.py); changes it is not told about (another process, the database
itself) are found by each tail's own recheck every 2 seconds.
"""

import asyncio
import http.client
import secrets
import time
import urllib.request

import orjson
import pytest
import websockets
from django.contrib.auth import get_user_model

from accounts.keys import api_key_revoke
from accounts.models import ApiKey, Membership, Tenant
from accounts.scoping import access_ended, caller_for_key, caller_for_user

pytestmark = pytest.mark.live
BOUND = 5.0  # seconds: the promise


def _post(server, key, lines):
    request = urllib.request.Request(f"http://{server}/api/v1/logs", data=orjson.dumps(lines), method="POST",
                                     headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 202


def _key(raw: str) -> ApiKey:
    return next(key for key in ApiKey.objects.select_related("app__tenant") if raw.startswith(key.prefix))


async def _until_closed(ws, *, sender=None) -> tuple[int, list[dict], float]:
    """Messages until the socket closes: (close code, messages, seconds taken)."""
    started, messages = time.monotonic(), []
    while True:
        try:
            raw = await asyncio.wait_for(ws.recv(), timeout=BOUND + 5 - (time.monotonic() - started))
        except websockets.ConnectionClosed as closed:
            return closed.rcvd.code, messages, time.monotonic() - started
        messages.append(orjson.loads(raw))


async def _first_entries(ws, server, key, message):
    await ws.send('{"type": "subscribe"}')
    assert orjson.loads(await ws.recv())["type"] == "subscribed"
    await asyncio.to_thread(_post, server, key, [{"message": message}])
    while True:
        got = orjson.loads(await asyncio.wait_for(ws.recv(), timeout=10))
        if got["type"] == "entries":
            return got["entries"]


def _session_cookie(client, user) -> str:
    client.force_login(user)
    return client.cookies["sessionid"].value


def test_a_key_revoked_through_the_api_closes_its_socket_before_any_later_line(server, make_key, client):
    reader, ingester = make_key(), make_key(scopes=("ingest",))
    owner = get_user_model().objects.create_user("owner", password="pw-for-tests-123")
    Membership.objects.create(user=owner, tenant=Tenant.objects.get(slug="acme"), role="owner")
    session, csrf = _session_cookie(client, owner), secrets.token_hex(16)
    key_id = _key(reader).pk

    async def scenario():
        async with websockets.connect(f"ws://{server}/ws/v1/tail",
                                      additional_headers={"Authorization": f"Bearer {reader}"}) as ws:
            assert [e["message"] for e in await _first_entries(ws, server, ingester, "before")] == ["before"]

            def revoke_then_send():
                conn = http.client.HTTPConnection(*server.split(":"), timeout=10)
                conn.request("POST", f"/api/v1/keys/{key_id}/revoke", headers={
                    "Cookie": f"sessionid={session}; csrftoken={csrf}", "X-CSRFToken": csrf})
                assert conn.getresponse().status == 200
                _post(server, ingester, [{"message": "after the revocation"}])

            await asyncio.to_thread(revoke_then_send)
            return await _until_closed(ws)

    code, messages, seconds = asyncio.run(scenario())
    assert code == 4401 and seconds < BOUND
    assert not [m for m in messages if m["type"] == "entries"]  # not even the line sent right after
    assert messages[-1]["type"] == "access_ended" and "revoked" in messages[-1]["message"]


def test_a_key_revoked_behind_the_servers_back_closes_its_socket_within_the_bound(server, make_key):
    reader = make_key()
    key = _key(reader)

    async def scenario():
        async with websockets.connect(f"ws://{server}/ws/v1/tail",
                                      additional_headers={"Authorization": f"Bearer {reader}"}) as ws:
            await _first_entries(ws, server, reader, "before")
            await asyncio.to_thread(api_key_revoke, key=key)  # in this process: no announcement
            return await _until_closed(ws)

    code, messages, seconds = asyncio.run(scenario())
    assert code == 4401 and seconds < BOUND and messages[-1]["type"] == "access_ended"


def test_a_person_removed_from_the_tenant_or_signed_out_loses_the_tail(server, make_key, client):
    ingester = make_key(scopes=("ingest",))
    viewer = get_user_model().objects.create_user("viewer", password="pw-for-tests-123")
    membership = Membership.objects.create(user=viewer, tenant=Tenant.objects.get(slug="acme"), role="viewer")

    async def tail_until_closed(cookie: str, end_access) -> tuple[int, list[dict], float]:
        async with websockets.connect(f"ws://{server}/ws/v1/tail", additional_headers={"Cookie": cookie}) as ws:
            await _first_entries(ws, server, ingester, "before")
            await asyncio.to_thread(end_access)
            return await _until_closed(ws)

    cookie = f"sessionid={_session_cookie(client, viewer)}"
    code, messages, seconds = asyncio.run(tail_until_closed(cookie, membership.delete))
    assert code == 4403 and seconds < BOUND and "No longer a member" in messages[-1]["message"]

    Membership.objects.create(user=viewer, tenant=Tenant.objects.get(slug="acme"), role="viewer")
    cookie = f"sessionid={_session_cookie(client, viewer)}"
    code, messages, seconds = asyncio.run(tail_until_closed(cookie, client.logout))
    assert code == 4401 and seconds < BOUND and messages[-1]["message"] == "Signed out."

    cookie = f"sessionid={_session_cookie(client, viewer)}"
    code, _, seconds = asyncio.run(tail_until_closed(
        cookie, lambda: get_user_model().objects.filter(pk=viewer.pk).update(is_active=False)))
    assert code == 4401 and seconds < BOUND


def test_an_sse_stream_ends_with_an_event_when_its_key_is_revoked(server, make_key):
    reader = make_key()
    conn = http.client.HTTPConnection(*server.split(":"), timeout=BOUND + 5)
    conn.request("GET", "/api/v1/logs/stream", headers={"Authorization": f"Bearer {reader}"})
    response = conn.getresponse()
    assert response.status == 200 and response.readline() == b"retry: 2000\n"
    api_key_revoke(key=_key(reader))
    started, events = time.monotonic(), []
    while (line := response.readline()):
        if line.startswith(b"event: "):
            events.append(line[7:].strip().decode())
        if line.startswith(b"data: ") and events[-1] == "access_ended":
            assert orjson.loads(line[6:]) == {"code": 401, "message": "The API key has been revoked."}
            break
    assert events == ["access_ended"] and time.monotonic() - started < BOUND
    assert response.read() == b"\n"  # the end of that event, and then the stream has ended
    conn.close()


# --- the rule itself ---------------------------------------------------------------------------------

@pytest.mark.django_db
def test_access_ended_for_keys_people_and_sessions(make_key, client):
    from datetime import timedelta

    from accounts.keys import api_key_rotate

    key = _key(make_key())
    assert access_ended(caller_for_key(key)) is None
    new, _ = api_key_rotate(key=key, grace=timedelta(hours=1))
    assert access_ended(caller_for_key(key)) is None  # in its grace period
    key.refresh_from_db()
    ApiKey.objects.filter(pk=key.pk).update(expires_at=key.expires_at - timedelta(hours=2))
    assert access_ended(caller_for_key(key)) == ("credentials", "The API key has expired.")
    ApiKey.objects.filter(pk=new.pk).update(scopes=["ingest"])
    assert access_ended(caller_for_key(new)) == ("permission", "The API key lacks the 'read' scope.")
    new.delete()
    assert access_ended(caller_for_key(new)) == ("credentials", "The API key no longer exists.")

    person = get_user_model().objects.create_user("person", password="pw-for-tests-123")
    Membership.objects.create(user=person, tenant=key.app.tenant, role="member")
    session = _session_cookie(client, person)
    caller = caller_for_user(person)
    assert access_ended(caller, session) is None
    person.set_password("a-new-password-456")  # sessions signed with the old password end
    person.save()
    assert access_ended(caller, session) == ("credentials", "Signed out.")
