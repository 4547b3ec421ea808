"""Webhook signatures, two of them on every delivery.

Our own (`X-Devlogs-Signature`, kept for receivers written against it): HMAC-SHA256 over
"<timestamp>.<raw body>" with the channel's secret. The Standard Webhooks one (`webhook-id`,
`webhook-timestamp`, `webhook-signature: v1,<base64>`): HMAC-SHA256 over "<id>.<timestamp>.<raw
body>", keyed with the secret's UTF-8 bytes, so its libraries verify it given the secret as bytes
(or as "whsec_" + base64 of them). Either way the timestamp is signed too, so a receiver that
rejects old timestamps cannot be fed a captured request again later.
"""

import base64
import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-Devlogs-Signature"
TIMESTAMP_HEADER = "X-Devlogs-Timestamp"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def standard_headers(secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = base64.b64encode(hmac.new(secret.encode(), signed, hashlib.sha256).digest()).decode()
    return {"webhook-id": message_id, "webhook-timestamp": str(timestamp), "webhook-signature": f"v1,{digest}"}


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
