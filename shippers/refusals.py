"""The 413 that devlogs.body_limit sends before Django runs, in each shipper protocol's shape.

The body-size guard refuses oversized bodies at the ASGI layer, before any view exists; a shipper
only understands its own protocol's errors, so it asks here first (by request path) and falls back
to our JSON error shape for every other endpoint.
"""

from shippers import otlp


def _otlp(headers: dict[bytes, bytes], message: str) -> tuple[str, bytes]:
    encoding = otlp.answer_encoding(headers.get(b"content-type", b"").decode("latin-1"))
    body = otlp.status_body(http_status=413, code="body_too_large", message=message, encoding=encoding)
    return otlp.MEDIA_TYPES[encoding], body


def _loki(headers: dict[bytes, bytes], message: str) -> tuple[str, bytes]:
    return "text/plain; charset=utf-8", (message + "\n").encode()


_BY_PATH = {"/v1/logs": _otlp, "/otlp/v1/logs": _otlp, "/loki/api/v1/push": _loki}


def too_large(path: str, headers: dict[bytes, bytes], limit: int) -> tuple[str, bytes] | None:
    """(content type, body) of the protocol's 413 for `path`, or None when it is not a shipper's."""
    shape = _BY_PATH.get(path.rstrip("/") or path)
    return None if shape is None else shape(headers, f"The body exceeds {limit} bytes.")
