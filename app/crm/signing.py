"""Standard Webhooks signatures: ``v1,`` + base64(HMAC-SHA256(key, f"{id}.{timestamp}.{body}")).

The secret is ``whsec_`` + base64 of the key, so receivers can use any Standard Webhooks
library as well as the few lines in docs/webhooks.md.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping

from app.errors import Unauthorized

PREFIX = "whsec_"
# Receivers (and our inbound endpoint) refuse messages older or newer than this.
TOLERANCE_SECONDS = 5 * 60


def new_secret() -> str:
    """A fresh subscription secret (32 random bytes)."""
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _key(secret: str) -> bytes:
    raw = secret[len(PREFIX) :] if secret.startswith(PREFIX) else secret
    return base64.b64decode(raw)


def sign(secret: str, msg_id: str, timestamp: int, body: str) -> str:
    """The ``webhook-signature`` header value for one message."""
    mac = hmac.new(_key(secret), f"{msg_id}.{timestamp}.{body}".encode(), hashlib.sha256)
    return "v1," + base64.b64encode(mac.digest()).decode()


def headers(secret: str, msg_id: str, timestamp: int, body: str) -> dict[str, str]:
    """The three Standard Webhooks headers."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, msg_id, timestamp, body),
    }


def verify(
    secret: str, request_headers: Mapping[str, str], body: str, now: float | None = None
) -> str:
    """Check a signed request (inbound sync); returns its webhook-id or raises Unauthorized."""
    msg_id = request_headers.get("webhook-id", "")
    ts = request_headers.get("webhook-timestamp", "")
    signatures = request_headers.get("webhook-signature", "")
    if not msg_id or not ts or not signatures:
        raise Unauthorized("Sign the request: webhook-id, webhook-timestamp, webhook-signature.")
    try:
        timestamp = int(ts)
    except ValueError as exc:
        raise Unauthorized("webhook-timestamp must be Unix seconds.") from exc
    if abs((now or time.time()) - timestamp) > TOLERANCE_SECONDS:
        raise Unauthorized("webhook-timestamp is too old or in the future (5 minutes at most).")
    expected = sign(secret, msg_id, timestamp, body).encode()
    # The header may carry several space-separated signatures (during a secret rotation).
    for candidate in signatures.split():
        if hmac.compare_digest(expected, candidate.encode()):
            return msg_id
    raise Unauthorized("The webhook signature does not match.")
