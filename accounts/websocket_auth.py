"""WebSocket handshakes: API-key authentication and an origin check."""

from urllib.parse import urlparse

from channels.db import database_sync_to_async
from django.conf import settings
from django.http.request import validate_host

from accounts.authentication import KeyPrincipal, raw_key_from_headers
from accounts.keys import InvalidKey, authenticate_key


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


class ApiKeyWebsocketMiddleware:
    """Sets scope["user"] to the key's principal when the handshake carries a key header.

    Keys travel in headers only (`Authorization: Bearer` or `X-API-Key`), never in URLs,
    which end up in proxy logs. Without a key header the session user stands.
    """

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket":
            try:
                raw = raw_key_from_headers(_header(scope, b"authorization"), _header(scope, b"x-api-key"))
                if raw is not None:
                    key = await database_sync_to_async(authenticate_key)(raw)
                    scope = {**scope, "user": KeyPrincipal(key)}
            except InvalidKey as exc:
                scope = {**scope, "devlogs_auth_error": exc.message}
        return await self.inner(scope, receive, send)


class BrowserOriginValidator:
    """Refuses a handshake whose Origin is not one of ALLOWED_HOSTS.

    Browsers always send Origin, so a cross-site page cannot ride a user's session;
    scripts and shippers send none and authenticate with a key.
    """

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        origin = _header(scope, b"origin")
        if scope["type"] == "websocket" and origin is not None:
            host = urlparse(origin).hostname or ""
            if not validate_host(host, settings.ALLOWED_HOSTS):
                await receive()  # websocket.connect; closing now refuses the handshake (HTTP 403)
                await send({"type": "websocket.close", "code": 4403})
                return
        return await self.inner(scope, receive, send)
