"""Webhook signatures: HMAC-SHA256 over "<timestamp>.<raw body>" with the channel's secret.

The timestamp is signed too, so a receiver that rejects old timestamps (verify's `tolerance`)
cannot be fed a captured request again later: changing the timestamp breaks the signature.
"""

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-Devlogs-Signature"
TIMESTAMP_HEADER = "X-Devlogs-Timestamp"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret: str, body: bytes, timestamp: str, signature: str, *, tolerance: int = 300,
           now: float | None = None) -> bool:
    """What a receiver does: the signature matches and the timestamp is recent."""
    try:
        sent = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs((time.time() if now is None else now) - sent) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, sent, body), signature or "")
