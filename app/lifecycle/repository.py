"""Lifecycle queries: quiet conversations, the last close, per-site settings."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import exists
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.conversations.models import Conversation, ConversationEvent, Message, Sender, Status
from app.lifecycle.models import SiteLifecycle
from app.sites.models import Site

# Quiet conversations the sweep may close: the bot's and an agent's. Queued ones wait
# for a person (the visitor did nothing wrong by waiting), offline messages included.
SWEPT = (Status.bot, Status.assigned)
ACTIVE_SENDERS = (Sender.visitor, Sender.agent)


def _spoke_since(cutoff: datetime):  # type: ignore[no-untyped-def]
    return exists().where(
        col(Message.conversation_id) == col(Conversation.id),
        col(Message.sender).in_(ACTIVE_SENDERS),
        col(Message.created_at) >= cutoff,
    )


async def site_ids(session: AsyncSession) -> Sequence[int]:
    """Every site's id."""
    return [i for i in (await session.exec(select(Site.id))).all() if i is not None]


async def overrides(session: AsyncSession, site_id: int) -> SiteLifecycle | None:
    """The site's own settings, if it has any."""
    return await session.get(SiteLifecycle, site_id)


async def inactive(
    session: AsyncSession, site_id: int, cutoff: datetime, limit: int = 500
) -> Sequence[int]:
    """Open conversations of the site with no visitor or agent message since ``cutoff``."""
    return (
        await session.exec(
            select(Conversation.id)
            .where(Conversation.site_id == site_id)
            .where(col(Conversation.status).in_(SWEPT))
            .where(col(Conversation.created_at) < cutoff)
            .where(~_spoke_since(cutoff))
            .order_by(col(Conversation.id))
            .limit(limit)
        )
    ).all()  # type: ignore[return-value]


async def still_inactive(session: AsyncSession, conversation_id: int, cutoff: datetime) -> bool:
    """Re-check one conversation (under the visitor's lock) before closing it."""
    row = (
        await session.exec(
            select(Conversation.id)
            .where(Conversation.id == conversation_id)
            .where(col(Conversation.status).in_(SWEPT))
            .where(col(Conversation.created_at) < cutoff)
            .where(~_spoke_since(cutoff))
        )
    ).first()
    return row is not None


async def last_close(session: AsyncSession, conversation_id: int) -> ConversationEvent | None:
    """The conversation's latest ``conversation.closed`` event."""
    return (
        await session.exec(
            select(ConversationEvent)
            .where(ConversationEvent.conversation_id == conversation_id)
            .where(ConversationEvent.type == "conversation.closed")
            .order_by(col(ConversationEvent.seq).desc())
        )
    ).first()
