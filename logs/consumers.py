"""The live tail socket: /ws/v1/tail.

Joins its tenant's group; the processor broadcasts each stored batch there once and
each socket filters it for itself. Client → server: {"type": "subscribe", "app": ...,
"level": ..., "q": ...}. Server → client: {"type": "entries", "entries": [...]}.
"""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from rest_framework import exceptions

from accounts.authentication import KeyPrincipal
from accounts.scoping import caller_for_key, caller_for_user
from devlogs.errors import error_body
from devlogs.errors import ApiError
from logs.live import remember_server_loop, tenant_group
from logs.querylang import matches
from logs.search import search_from_params

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403


@database_sync_to_async
def _caller_for_scope(scope):
    user = scope.get("user")
    if isinstance(user, KeyPrincipal):
        return caller_for_key(user.key)
    if user is not None and user.is_authenticated:
        session = scope.get("session")
        return caller_for_user(user, session.get("devlogs_tenant") if session else None)
    return None


class TailConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        refusal = await self._refusal()
        if refusal is not None:
            # Accept, then close with a code and reason: a refused handshake tells a browser nothing.
            await self.accept()
            await self.close(code=refusal[0], reason=refusal[1][:120])
            return
        caller = self.caller
        self.search = None  # everything, until the client subscribes with a query
        self.group = tenant_group(caller.tenant.id)
        remember_server_loop()
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

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
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        if not isinstance(content, dict) or content.get("type") != "subscribe":
            await self.send_json({"type": "error", **error_body(400, "unknown_message",
                                                                 "Send {\"type\": \"subscribe\", ...}.", "type")})
            return
        params = {k: v for k, v in content.items() if k in ("app", "level", "q") and v not in (None, "")}
        if not all(isinstance(v, str) for v in params.values()):
            await self.send_json({"type": "error", **error_body(400, "invalid_subscription",
                                                                 "q, app and level must be strings.")})
            return
        try:
            self.search = search_from_params(params, self.caller)
        except ApiError as exc:
            await self.send_json({"type": "error", **error_body(400, exc.code, exc.message, exc.field, **exc.extra)})
            return
        await self.send_json({"type": "subscribed", "filters": params})

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        try:
            await super().receive(text_data=text_data, bytes_data=bytes_data, **kwargs)
        except ValueError:
            await self.send_json({"type": "error", **error_body(400, "malformed_json", "Messages must be JSON.")})

    async def logs_batch(self, event):
        search = self.search
        entries = event["entries"] if search is None else [
            entry for entry in event["entries"] if matches(search.node, entry) and matches(search.extra, entry)]
        if entries:
            await self.send_json({"type": "entries", "entries": entries})
