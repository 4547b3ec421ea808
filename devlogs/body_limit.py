"""Refuse oversized request bodies before Django reads them.

Django's ASGI handler spools the whole body before a view runs; this stops a client
that declares (or streams) more than DEVLOGS_MAX_BODY_BYTES with a 413 straight away.
"""

import orjson
from django.conf import settings

from devlogs.errors import error_body


async def _refuse(send, limit: int, scope) -> None:
    # Shipper endpoints (OTLP, Loki, …) answer in their protocol's error shape.
    from shippers.refusals import too_large

    shaped = too_large(scope["path"], dict(scope.get("headers", [])), limit)
    if shaped is not None:
        content_type, body = shaped[0].encode("latin-1"), shaped[1]
    else:
        content_type = b"application/json"
        body = orjson.dumps(error_body(413, "body_too_large", f"The body exceeds {limit} bytes.", "body"))
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


class BodyLimitMiddleware:
    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.inner(scope, receive, send)
        limit = settings.DEVLOGS_MAX_BODY_BYTES
        headers = dict(scope.get("headers", []))
        declared = headers.get(b"content-length")
        if declared is not None:
            if declared.isdigit() and int(declared) > limit:
                return await _refuse(send, limit, scope)
            return await self.inner(scope, receive, send)
        if scope.get("method") not in ("POST", "PUT", "PATCH"):
            return await self.inner(scope, receive, send)
        # Chunked upload of unknown length: count while buffering, then replay.
        messages, size = [], 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > limit:
                return await _refuse(send, limit, scope)
            if not message.get("more_body"):
                break

        async def replay():
            return messages.pop(0) if messages else await receive()

        return await self.inner(scope, replay, send)
