"""Subscription and delivery queries, including the worker's claim."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, exists, func
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.crm.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookSubscription


async def active_subscriptions(
    session: AsyncSession, site_ids: set[int]
) -> Sequence[WebhookSubscription]:
    """The sites' active subscriptions."""
    if not site_ids:
        return []
    return (
        await session.exec(
            select(WebhookSubscription)
            .where(col(WebhookSubscription.site_id).in_(site_ids))
            .where(col(WebhookSubscription.active).is_(True))
            .order_by(col(WebhookSubscription.id))
        )
    ).all()


async def subscriptions(
    session: AsyncSession, site_id: int | None
) -> Sequence[WebhookSubscription]:
    """Subscriptions (of one site, or all), oldest first."""
    stmt = select(WebhookSubscription).order_by(col(WebhookSubscription.id))
    if site_id is not None:
        stmt = stmt.where(WebhookSubscription.site_id == site_id)
    return (await session.exec(stmt)).all()


async def delivery_counts(session: AsyncSession, subscription_id: int) -> dict[str, int]:
    """How many deliveries of the subscription are in each status."""
    rows = (
        await session.exec(
            select(WebhookDelivery.status, func.count())
            .where(WebhookDelivery.subscription_id == subscription_id)
            .group_by(col(WebhookDelivery.status))
        )
    ).all()
    counts = {s.value: 0 for s in DeliveryStatus}
    counts.update({str(status): int(n) for status, n in rows})
    return counts


async def deliveries(
    session: AsyncSession,
    *,
    subscription_id: int | None,
    status: str | None,
    conversation_id: int | None,
    limit: int,
    offset: int,
) -> tuple[Sequence[WebhookDelivery], int]:
    """A page of the delivery log, newest first, and the total."""
    stmt = select(WebhookDelivery)
    count = select(func.count()).select_from(WebhookDelivery)
    conds = []
    if subscription_id is not None:
        conds.append(col(WebhookDelivery.subscription_id) == subscription_id)
    if status:
        conds.append(col(WebhookDelivery.status) == status)
    if conversation_id is not None:
        conds.append(col(WebhookDelivery.conversation_id) == conversation_id)
    for cond in conds:
        stmt = stmt.where(cond)
        count = count.where(cond)
    rows = (
        await session.exec(
            stmt.order_by(col(WebhookDelivery.id).desc()).limit(limit).offset(offset)
        )
    ).all()
    return rows, int((await session.exec(count)).one())


async def attempts(session: AsyncSession, delivery_pk: int) -> Sequence[WebhookAttempt]:
    """A delivery's attempts, oldest first."""
    return (
        await session.exec(
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_pk == delivery_pk)
            .order_by(col(WebhookAttempt.id))
        )
    ).all()


async def claim_due(
    session: AsyncSession, now: datetime, limit: int, *, lock: bool
) -> Sequence[WebhookDelivery]:
    """Due pending deliveries that no earlier pending delivery of the same subscription
    and ordering key is waiting before (per-conversation order).

    ``lock`` (PostgreSQL): ``FOR UPDATE SKIP LOCKED``, so several workers and app
    instances never claim the same row.
    """
    earlier = aliased(WebhookDelivery)
    blocked = exists().where(
        and_(
            col(earlier.subscription_id) == col(WebhookDelivery.subscription_id),
            col(earlier.ordering_key) == col(WebhookDelivery.ordering_key),
            col(earlier.status) == DeliveryStatus.pending,
            col(earlier.id) < col(WebhookDelivery.id),
        )
    )
    active = exists().where(
        and_(
            col(WebhookSubscription.id) == col(WebhookDelivery.subscription_id),
            col(WebhookSubscription.active).is_(True),
        )
    )
    stmt = (
        select(WebhookDelivery)
        .where(col(WebhookDelivery.status) == DeliveryStatus.pending)
        .where(active)  # a paused subscription keeps its deliveries for later
        .where(col(WebhookDelivery.next_attempt_at) <= now)
        .where(~blocked)
        .order_by(col(WebhookDelivery.next_attempt_at), col(WebhookDelivery.id))
        .limit(limit)
    )
    if lock:
        stmt = stmt.with_for_update(skip_locked=True, of=WebhookDelivery)  # type: ignore[arg-type]
    return (await session.exec(stmt)).all()
