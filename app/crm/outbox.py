"""The durable outbox: delivery rows written in the transaction that records the events.

``on_recorded`` is registered with ``app.events.service.add_listener`` at start-up; it
runs just before every commit that recorded events, so a delivery exists exactly when
its event does. The worker (``app/crm/worker.py``) sends them.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from app.crm import repository as repo
from app.crm.events import TEST_EVENT, WebhookEvent, to_webhook_events
from app.crm.models import WebhookDelivery, WebhookSubscription
from app.db import utcnow
from app.events.service import RecordedEvent, after_commit


def new_delivery_id() -> str:
    """A webhook-id: unique, URL-safe, stable for the delivery's whole life."""
    return "msg_" + uuid.uuid4().hex


def envelope(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    """The JSON body receivers get (Standard Webhooks shape)."""
    return {"type": event_type, "timestamp": utcnow().isoformat(), "data": data}


def accepts(sub: WebhookSubscription, event_type: str) -> bool:
    """Whether the subscription's filter lets this event type through."""
    return not sub.events or event_type in sub.events


def _delivery(sub: WebhookSubscription, ev: WebhookEvent) -> WebhookDelivery:
    assert sub.id is not None
    return WebhookDelivery(
        delivery_id=new_delivery_id(),
        subscription_id=sub.id,
        site_id=ev.site_id,
        event_type=ev.type,
        ordering_key=ev.ordering_key,
        conversation_id=ev.conversation_id,
        contact_id=ev.contact_id,
        payload=envelope(ev.type, ev.data),
    )


async def on_recorded(session: AsyncSession, recorded: list[RecordedEvent]) -> None:
    """Write a delivery per event and matching subscription (same transaction)."""
    subs = await repo.active_subscriptions(session, {e.site_id for e in recorded})
    if not subs:
        return  # the common case costs one indexed query
    by_site: dict[int, list[WebhookSubscription]] = defaultdict(list)
    for s in subs:
        by_site[s.site_id].append(s)
    wanted = {t for s in subs for t in (s.events or ["*"])}
    events = await to_webhook_events(session, recorded)
    added = 0
    for ev in events:
        if "*" not in wanted and ev.type not in wanted:
            continue
        for sub in by_site.get(ev.site_id, []):
            # An update the CRM itself sent is not echoed back to it.
            if ev.source == f"crm:{sub.id}" or not accepts(sub, ev.type):
                continue
            session.add(_delivery(sub, ev))
            added += 1
    if added:
        await session.flush()
        from app.crm.worker import wake_webhooks

        after_commit(session, wake_webhooks)


async def enqueue_test(session: AsyncSession, sub: WebhookSubscription) -> WebhookDelivery:
    """A ``webhook.test`` delivery for one subscription, whatever its filter."""
    assert sub.id is not None
    ev = WebhookEvent(
        type=TEST_EVENT,
        site_id=sub.site_id,
        ordering_key=f"test:{sub.id}",
        data={"subscription_id": sub.id, "message": "Parley webhook test"},
    )
    d = _delivery(sub, ev)
    session.add(d)
    await session.flush()
    from app.crm.worker import wake_webhooks

    after_commit(session, wake_webhooks)
    return d
