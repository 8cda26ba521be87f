"""The connector interface, and the built-in signed-webhook connector.

A connector delivers one outgoing event and says how it went; the worker owns retries,
ordering and the delivery log. A CRM-specific connector (HubSpot, Salesforce…) only has
to implement ``deliver``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import httpx

from app.crm import signing
from app.crm.models import WebhookSubscription


@dataclass(frozen=True)
class OutgoingEvent:
    """One event to deliver: its delivery id (stable across retries), type and payload."""

    delivery_id: str
    type: str
    payload: dict[str, Any]
    attempt: int
    created_at: datetime


@dataclass(frozen=True)
class DeliveryResult:
    """How an attempt went: ok, the receiver's status code, or what failed."""

    ok: bool
    status_code: int | None = None
    error: str | None = None
    duration_ms: int = 0


class Connector(Protocol):
    """Something that delivers events to a CRM."""

    async def deliver(self, event: OutgoingEvent) -> DeliveryResult:
        """Try once; never raise for the receiver's failures, report them."""
        ...


def body_of(payload: dict[str, Any]) -> str:
    """The exact JSON text that is sent and signed."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False, default=str)


class WebhookConnector:
    """POSTs the event as JSON with Standard Webhooks headers; any 2xx is a success."""

    def __init__(self, url: str, secret: str, client: httpx.AsyncClient) -> None:
        self.url = url
        self.secret = secret
        self.client = client

    async def deliver(self, event: OutgoingEvent) -> DeliveryResult:
        """Sign with a fresh timestamp and POST; time-outs and refusals are failures."""
        body = body_of(event.payload)
        timestamp = int(time.time())
        headers = {
            **signing.headers(self.secret, event.delivery_id, timestamp, body),
            "content-type": "application/json",
            "user-agent": "Parley-Webhooks/1",
        }
        started = time.perf_counter()
        try:
            r = await self.client.post(self.url, content=body.encode(), headers=headers)
        except httpx.TimeoutException:
            return DeliveryResult(False, None, "timed out", _ms(started))
        except httpx.HTTPError as exc:
            return DeliveryResult(False, None, f"{type(exc).__name__}: {exc}"[:500], _ms(started))
        ms = _ms(started)
        if 200 <= r.status_code < 300:
            return DeliveryResult(True, r.status_code, None, ms)
        snippet = r.text[:200].replace("\n", " ") if r.content else ""
        return DeliveryResult(False, r.status_code, f"HTTP {r.status_code} {snippet}".strip(), ms)


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


def connector_for(sub: WebhookSubscription, client: httpx.AsyncClient) -> Connector:
    """The connector a subscription uses."""
    if sub.kind == "webhook":
        return WebhookConnector(sub.url, sub.secret, client)
    raise ValueError(f"unknown connector kind {sub.kind!r}")
