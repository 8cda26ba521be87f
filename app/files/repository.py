"""Attachment queries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.conversations.models import ConversationEvent, Message
from app.files.models import Attachment


async def by_ids(session: AsyncSession, ids: Sequence[int]) -> Sequence[Attachment]:
    """The attachments with these ids (missing ones are simply absent)."""
    if not ids:
        return []
    return (await session.exec(select(Attachment).where(col(Attachment.id).in_(list(ids))))).all()


async def unsent_count(session: AsyncSession, session_id: str) -> int:
    """How many of a visitor session's uploads wait to be sent."""
    return int(
        (
            await session.exec(
                select(func.count())
                .select_from(Attachment)
                .where(Attachment.session_id == session_id)
                .where(col(Attachment.message_id).is_(None))
            )
        ).one()
    )


async def stale_unsent(session: AsyncSession, before: datetime, limit: int) -> Sequence[Attachment]:
    """Uploads never sent, older than ``before``."""
    return (
        await session.exec(
            select(Attachment)
            .where(col(Attachment.message_id).is_(None))
            .where(col(Attachment.created_at) < before)
            .order_by(col(Attachment.id))
            .limit(limit)
        )
    ).all()


async def of(
    session: AsyncSession, conversation_ids: Sequence[int], session_ids: Sequence[str] = ()
) -> Sequence[Attachment]:
    """Every attachment of these conversations, and the uploads of these visitor sessions."""
    conditions = []
    if conversation_ids:
        conditions.append(col(Attachment.conversation_id).in_(list(conversation_ids)))
    if session_ids:
        conditions.append(col(Attachment.session_id).in_(list(session_ids)))
    if not conditions:
        return []
    return (
        await session.exec(select(Attachment).where(or_(*conditions)).order_by(col(Attachment.id)))
    ).all()


async def visitor_visible(session: AsyncSession, message_id: int) -> bool:
    """Whether the message was shown to the visitor (private notes are not)."""
    m = await session.get(Message, message_id)
    if m is None:
        return False
    ev = (
        await session.exec(
            select(ConversationEvent)
            .where(ConversationEvent.conversation_id == m.conversation_id)
            .where(ConversationEvent.seq == m.seq)
        )
    ).first()
    return bool(ev is not None and ev.visitor_visible)
