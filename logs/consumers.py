"""The live tail socket: /ws/v1/tail.

Joins its tenant's group; the processor broadcasts each stored batch there once and each
socket filters it for itself with the query language.

Client → server: {"type": "subscribe", "q": ..., "app": ..., "level": ...}, {"type": "ack"}
after handling each "entries" message, {"type": "pause"}, {"type": "resume"}, {"type": "ping"}.
Server → client: {"type": "subscribed"}, {"type": "entries", "entries": [...]},
{"type": "skipped", "count": N}, {"type": "heartbeat"}, {"type": "pong"}, {"type": "error"}.

Access is asked again every ACCESS_RECHECK_SECONDS and whenever keys or memberships of the tenant
change (logs/access_watch.py): when it has ended (key revoked, expired or deleted; person removed,
deactivated or signed out) the socket gets {"type": "access_ended", ...} and is closed with 4401
(credentials no longer valid) or 4403 (no longer allowed), before any further line.

Flow control is by credit: at most WINDOW "entries" messages go out ahead of the client's
acks, and a paused socket keeps at most PAUSE_BUFFER lines. Whatever does not fit is
counted and reported as "skipped", so a slow or stalled client costs bounded memory and is
told what it missed, and the server never queues without limit for it.
"""

import asyncio
from collections import deque
from urllib.parse import parse_qs

import orjson

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from rest_framework import exceptions

from accounts.scoping import ENDED_CREDENTIALS, access_ended, caller_for
from devlogs import metrics
from devlogs.errors import ApiError, error_body
from logs.live import remember_server_loop, tenant_group
from logs.querylang import matches
from logs.search import search_from_params

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
WINDOW = 8  # "entries" messages in flight before the client must ack
MAX_ENTRIES_PER_MESSAGE = 5000  # more matching lines in one batch are skipped (the newest are kept)
PAUSE_BUFFER = 1000
HEARTBEAT_SECONDS = 20.0
ACCESS_RECHECK_SECONDS = 2.0  # access that ends is noticed within this (and at once when announced)


@database_sync_to_async
def _caller_for_scope(scope):
    """accounts.scoping.caller_for the socket's user; None for nobody. A person in several tenants
    picks one with ?tenant=<slug> (browsers cannot set headers on a WebSocket)."""
    query = {name: values[0] for name, values in parse_qs(scope.get("query_string", b"").decode()).items()}
    try:
        return caller_for(scope.get("user"), params=query)
    except exceptions.NotAuthenticated:
        return None


class TailConsumer(AsyncJsonWebsocketConsumer):
    heartbeat_seconds = HEARTBEAT_SECONDS

    @classmethod
    async def encode_json(cls, content) -> str:
        # Every socket encodes every batch it is sent: orjson keeps 100 sockets at 10,000 lines/s affordable.
        return orjson.dumps(content).decode()

    @classmethod
    async def decode_json(cls, text_data):
        return orjson.loads(text_data)

    async def connect(self):
        refusal = await self._refusal()
        if refusal is not None:
            # Accept, then close with a code and reason: a refused handshake tells a browser nothing.
            await self.accept()
            await self.close(code=refusal[0], reason=refusal[1][:120])
            return
        self.search = None  # everything, until the client subscribes with a query
        self.credit = WINDOW
        self.skipped = 0
        self.paused = False
        self.held: deque[dict] = deque()
        self.group = tenant_group(self.caller.tenant.id)
        remember_server_loop()
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        metrics.LIVE_CLIENTS.labels("websocket").inc()
        self.heartbeat = asyncio.create_task(self._beat())
        self.access_timer = asyncio.create_task(self._recheck_every())
        self.ended = False

    async def _refusal(self) -> tuple[int, str] | None:
        auth_error = self.scope.get("devlogs_auth_error")
        if auth_error:
            return CLOSE_UNAUTHENTICATED, auth_error
        try:
            caller = await _caller_for_scope(self.scope)
        except exceptions.PermissionDenied as exc:
            return CLOSE_FORBIDDEN, str(exc.detail)
        if caller is None:
            return CLOSE_UNAUTHENTICATED, "Sign in or send an API key with the read scope."
        if not caller.can("read"):
            return CLOSE_FORBIDDEN, "This API key lacks the 'read' scope."
        self.caller = caller
        return None

    async def disconnect(self, code):
        if hasattr(self, "group"):
            metrics.LIVE_CLIENTS.labels("websocket").dec()
            metrics.LIVE_SKIPPED.inc(self.skipped)  # never reported to this client
            await self.channel_layer.group_discard(self.group, self.channel_name)
        if hasattr(self, "heartbeat"):
            self.heartbeat.cancel()
        if hasattr(self, "access_timer"):
            self.access_timer.cancel()

    # --- access that ends --------------------------------------------------------------------------
    async def _recheck_every(self):
        while not self.ended:
            await asyncio.sleep(ACCESS_RECHECK_SECONDS)
            await self._recheck()

    async def access_changed(self, event):
        await self._recheck()

    async def _recheck(self) -> bool:
        """False (and the socket closing) when access has ended."""
        if self.ended:
            return False
        session = self.scope.get("session")
        session_key = getattr(session, "session_key", None) if self.caller.key is None else None
        ended = await database_sync_to_async(access_ended)(self.caller, session_key)
        if ended is None:
            return True
        if self.ended:  # the timer and an announcement both found it
            return False
        self.ended = True
        kind, reason = ended
        code = CLOSE_UNAUTHENTICATED if kind == ENDED_CREDENTIALS else CLOSE_FORBIDDEN
        await self.send_json({"type": "access_ended", "code": code, "message": reason})
        await self.close(code=code, reason=reason[:120])
        return False

    async def _beat(self):
        # Keeps proxies from closing an idle socket, and lets clients notice a dead one.
        while True:
            await asyncio.sleep(self.heartbeat_seconds)
            await self.send_json({"type": "heartbeat"})

    # --- client messages ---------------------------------------------------------------------
    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        try:
            await super().receive(text_data=text_data, bytes_data=bytes_data, **kwargs)
        except (ValueError, orjson.JSONDecodeError):
            await self._error("malformed_json", "Messages must be JSON.")

    async def receive_json(self, content, **kwargs):
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "subscribe":
            await self._subscribe(content)
        elif kind == "ack":
            self.credit = WINDOW
            await self._report_skipped()
        elif kind == "pause":
            self.paused = True
        elif kind == "resume":
            self.paused = False
            held, self.held = list(self.held), deque()
            if held:
                await self._deliver(held)
            await self._report_skipped()
        elif kind == "ping":
            await self.send_json({"type": "pong"})
        else:
            await self._error("unknown_message", "Send subscribe, ack, pause, resume or ping.", field="type")

    async def _subscribe(self, content: dict):
        params = {k: v for k, v in content.items() if k in ("app", "level", "q") and v not in (None, "")}
        if not all(isinstance(v, str) for v in params.values()):
            await self._error("invalid_subscription", "q, app and level must be strings.")
            return
        try:
            self.search = await database_sync_to_async(search_from_params)(params, self.caller)
        except ApiError as exc:
            await self.send_json({"type": "error", **error_body(400, exc.code, exc.message, exc.field, **exc.extra)})
            return
        await self.send_json({"type": "subscribed", "filters": params, "window": WINDOW})

    async def _error(self, code: str, message: str, field: str | None = None):
        await self.send_json({"type": "error", **error_body(400, code, message, field)})

    # --- lines from the processors -----------------------------------------------------------------
    async def logs_batch(self, event):
        if self.ended:
            return
        search = self.search
        entries = event["entries"] if search is None else [
            entry for entry in event["entries"] if matches(search.node, entry) and matches(search.extra, entry)]
        if not entries:
            return
        if self.paused:
            room = PAUSE_BUFFER - len(self.held)
            self.held.extend(entries[-room:] if room > 0 else [])
            self.skipped += len(entries) - max(min(room, len(entries)), 0)
            return
        await self._deliver(entries)

    async def _deliver(self, entries: list[dict]):
        if self.ended:
            return
        if self.credit <= 0:
            self.skipped += len(entries)
            return
        if len(entries) > MAX_ENTRIES_PER_MESSAGE:
            self.skipped += len(entries) - MAX_ENTRIES_PER_MESSAGE
            entries = entries[-MAX_ENTRIES_PER_MESSAGE:]
        self.credit -= 1
        await self.send_json({"type": "entries", "entries": entries})

    async def _report_skipped(self):
        if self.skipped and self.credit > 0:
            count, self.skipped = self.skipped, 0
            metrics.LIVE_SKIPPED.inc(count)
            await self.send_json({"type": "skipped", "count": count})
