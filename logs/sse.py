"""GET /api/v1/logs/stream: the live tail as Server-Sent Events, for clients and proxies without
WebSockets. Same authentication, query language and tenant scoping as /ws/v1/tail.

SSE has no way for the client to acknowledge, so each stream is capped instead: at most
SSE_MAX_LINES_PER_SECOND lines a second (the rest are reported in a "skipped" event) and
SSE_MAX_SECONDS per connection (EventSource reconnects by itself). A WebSocket with acks is
the better choice for a firehose.

Like the socket, a stream asks again whether its caller may still read, every
ACCESS_RECHECK_SECONDS and when told that access changed: when not, it sends an `access_ended`
event ({"code": 401 or 403, "message"}) and ends, before any further line.
"""

import asyncio
import time

import orjson
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.http import StreamingHttpResponse
from rest_framework import exceptions

from accounts.authentication import KeyPrincipal, raw_key_from_headers
from accounts.keys import InvalidKey, authenticate_key
from accounts.scoping import ENDED_CREDENTIALS, access_ended, caller_for
from devlogs import metrics
from devlogs.errors import ApiError, json_error
from logs.access_watch import MESSAGE_TYPE as ACCESS_CHANGED
from logs.consumers import ACCESS_RECHECK_SECONDS
from logs.live import remember_server_loop, tenant_group
from logs.querylang import matches
from logs.search import search_from_params

SSE_MAX_LINES_PER_SECOND = 500
SSE_MAX_SECONDS = 600
HEARTBEAT_SECONDS = 15.0


async def _caller(request):
    """accounts.scoping.caller_for whoever this plain Django view was sent by (an API key, or the
    signed-in person of the session)."""
    try:
        raw = raw_key_from_headers(request.headers.get("Authorization"), request.headers.get("X-API-Key"))
        principal = (KeyPrincipal(await database_sync_to_async(authenticate_key)(raw)) if raw is not None
                     else await request.auser())
    except InvalidKey as exc:
        raise ApiError(401, "authentication_failed", exc.message) from None
    try:
        return await database_sync_to_async(caller_for)(principal, headers=request.headers, params=request.GET)
    except exceptions.NotAuthenticated:
        raise ApiError(401, "not_authenticated", "Sign in or send an API key with the read scope.") from None


async def stream_view(request):
    if request.method != "GET":
        return json_error(405, "method_not_allowed", "Use GET.")
    try:
        caller = await _caller(request)
        if not caller.can("read"):
            raise ApiError(403, "permission_denied", "This API key lacks the 'read' scope.")
        search = await database_sync_to_async(search_from_params)(request.GET, caller)
    except ApiError as exc:
        return json_error(exc.status_code, exc.code, exc.message, exc.field)
    except Exception as exc:  # PermissionDenied from caller_for
        return json_error(403, "permission_denied", str(getattr(exc, "detail", exc)))
    session_key = request.session.session_key if caller.key is None else None
    response = StreamingHttpResponse(_events(search, tenant_group(caller.tenant.id), caller, session_key),
                                     content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: do not buffer the stream
    return response


def _event(kind: str, data) -> bytes:
    return b"event: " + kind.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


async def _events(search, group: str, caller, session_key: str | None):
    layer = get_channel_layer()
    remember_server_loop()
    channel = await layer.new_channel()
    await layer.group_add(group, channel)
    started = time.monotonic()
    window_start, sent_in_window, skipped = started, 0, 0
    checked_at, beat_at = started, started
    metrics.LIVE_CLIENTS.labels("sse").inc()
    try:
        yield b"retry: 2000\n: connected\n\n"
        while time.monotonic() - started < SSE_MAX_SECONDS:
            try:
                message = await asyncio.wait_for(layer.receive(channel), timeout=ACCESS_RECHECK_SECONDS)
            except asyncio.TimeoutError:
                message = None
            now = time.monotonic()
            if message is None or message.get("type") == ACCESS_CHANGED or now - checked_at >= ACCESS_RECHECK_SECONDS:
                checked_at = now
                ended = await database_sync_to_async(access_ended)(caller, session_key)
                if ended is not None:
                    code = 401 if ended[0] == ENDED_CREDENTIALS else 403
                    yield _event("access_ended", {"code": code, "message": ended[1]})
                    return
            if message is None:
                if now - beat_at >= HEARTBEAT_SECONDS:
                    beat_at = now
                    yield b": heartbeat\n\n"
                continue
            entries = [e for e in message.get("entries", ()) if matches(search.node, e) and matches(search.extra, e)]
            if not entries:
                continue
            now = time.monotonic()
            if now - window_start >= 1:
                window_start, sent_in_window = now, 0
            room = SSE_MAX_LINES_PER_SECOND - sent_in_window
            if room < len(entries):
                skipped += len(entries) - max(room, 0)
                entries = entries[-room:] if room > 0 else []
            if skipped and room > 0:
                metrics.LIVE_SKIPPED.inc(skipped)
                yield _event("skipped", {"count": skipped})
                skipped = 0
            if entries:
                sent_in_window += len(entries)
                yield _event("entries", entries)
    finally:
        metrics.LIVE_CLIENTS.labels("sse").dec()
        metrics.LIVE_SKIPPED.inc(skipped)
        await layer.group_discard(group, channel)
