"""Webhook subscriptions, the delivery log, replays and the CRM's inbound sync."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from app.contacts import service as contacts
from app.contacts.models import Contact
from app.crm import repository as repo
from app.crm import signing
from app.crm.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from app.crm.schemas import (
    AttemptOut,
    DeliveryDetail,
    DeliveryOut,
    InboundContactIn,
    SubscriptionIn,
    SubscriptionOut,
    SubscriptionPatch,
)
from app.db import utcnow
from app.errors import Conflict, NotFound, Unauthorized
from app.events.service import after_commit
from app.sites.models import Site


async def get(session: AsyncSession, subscription_id: int) -> WebhookSubscription:
    """The subscription, or NotFound."""
    sub = await session.get(WebhookSubscription, subscription_id)
    if sub is None:
        raise NotFound(f"Webhook subscription {subscription_id} not found.")
    return sub


async def out(session: AsyncSession, sub: WebhookSubscription) -> SubscriptionOut:
    """The subscription with its delivery counts."""
    assert sub.id is not None
    return SubscriptionOut.of(sub, await repo.delivery_counts(session, sub.id))


async def create(session: AsyncSession, body: SubscriptionIn) -> WebhookSubscription:
    """A new subscription with a fresh secret."""
    if await session.get(Site, body.site_id) is None:
        raise NotFound(f"Site {body.site_id} not found.")
    sub = WebhookSubscription(
        site_id=body.site_id,
        url=body.url,
        secret=signing.new_secret(),
        events=body.events,
        active=body.active,
        description=body.description,
    )
    session.add(sub)
    await session.flush()
    return sub


async def patch(
    session: AsyncSession, sub: WebhookSubscription, body: SubscriptionPatch
) -> WebhookSubscription:
    """Change URL, filter, description, or pause/resume."""
    for name in ("url", "events", "active", "description"):
        value = getattr(body, name)
        if name in body.model_fields_set and value is not None:
            setattr(sub, name, value)
    sub.updated_at = utcnow()
    session.add(sub)
    await session.flush()
    if sub.active:
        from app.crm.worker import wake_webhooks

        after_commit(session, wake_webhooks)
    return sub


async def rotate_secret(session: AsyncSession, sub: WebhookSubscription) -> WebhookSubscription:
    """A new secret: deliveries from now on are signed with it."""
    sub.secret = signing.new_secret()
    sub.updated_at = utcnow()
    session.add(sub)
    await session.flush()
    return sub


async def get_delivery(session: AsyncSession, delivery_pk: int) -> WebhookDelivery:
    """The delivery, or NotFound."""
    d = await session.get(WebhookDelivery, delivery_pk)
    if d is None:
        raise NotFound(f"Delivery {delivery_pk} not found.")
    return d


async def delivery_detail(session: AsyncSession, d: WebhookDelivery) -> DeliveryDetail:
    """The delivery with its payload and attempts."""
    assert d.id is not None
    attempts = [AttemptOut.of(a) for a in await repo.attempts(session, d.id)]
    return DeliveryDetail(**DeliveryOut.of(d).model_dump(), payload=d.payload, attempt_log=attempts)


async def replay(session: AsyncSession, d: WebhookDelivery) -> WebhookDelivery:
    """Send a dead (or delivered) delivery again, with the same webhook-id."""
    if d.status == DeliveryStatus.pending:
        raise Conflict("This delivery is still pending; it will be retried on its own.")
    d.status = DeliveryStatus.pending
    d.attempts = 0
    d.next_attempt_at = utcnow()
    d.delivered_at = None
    session.add(d)
    await session.flush()
    from app.crm.worker import wake_webhooks

    after_commit(session, wake_webhooks)
    return d


async def replay_dead(session: AsyncSession, sub: WebhookSubscription) -> int:
    """Queue every dead delivery of the subscription again."""
    result = await session.exec(
        update(WebhookDelivery)
        .where(col(WebhookDelivery.subscription_id) == sub.id)
        .where(col(WebhookDelivery.status) == DeliveryStatus.dead)
        .values(status=DeliveryStatus.pending, attempts=0, next_attempt_at=utcnow())
    )
    from app.crm.worker import wake_webhooks

    after_commit(session, wake_webhooks)
    return int(result.rowcount or 0)


async def inbound_contact(
    session: AsyncSession, subscription_id: int, headers: dict[str, str], raw: bytes
) -> tuple[Contact, WebhookSubscription, InboundContactIn]:
    """Authenticate a CRM's signed update (the subscription's secret) and apply it."""
    sub = await session.get(WebhookSubscription, subscription_id)
    if sub is None or not sub.active:
        raise Unauthorized("Unknown or paused subscription.")
    try:
        text = raw.decode()
    except UnicodeDecodeError as exc:
        raise Unauthorized("The body must be UTF-8 JSON.") from exc
    signing.verify(sub.secret, headers, text)
    body = InboundContactIn.model_validate_json(text)
    assert sub.id is not None
    source = f"crm:{sub.id}"
    if body.external_id is not None:
        contact, _ = await contacts.upsert_verified(
            session,
            sub.site_id,
            body.external_id,
            name=body.name,
            email=body.email,
            attributes=body.attributes,
            source=source,
        )
    else:
        found = await session.get(Contact, body.contact_id)
        if found is None or found.site_id != sub.site_id:
            raise NotFound(f"Contact {body.contact_id} not found on this site.")
        contact = found
        if contacts._apply(contact, name=body.name, email=body.email, attributes=body.attributes):
            session.add(contact)
            await session.flush()
            contacts._changed(session, contact, "contact.updated", source)
    return contact, sub, body
