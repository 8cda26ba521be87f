"""Contact, note and contact-history queries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.contacts.models import Contact, ContactNote
from app.conversations.models import Conversation, Message, Sender
from app.visitors.models import PageView, VisitorSession


async def get(session: AsyncSession, contact_id: int) -> Contact | None:
    """The contact with this id."""
    return await session.get(Contact, contact_id)


async def by_external_id(session: AsyncSession, site_id: int, external_id: str) -> Contact | None:
    """The site's contact with this (verified) user id."""
    return (
        await session.exec(
            select(Contact).where(Contact.site_id == site_id, Contact.external_id == external_id)
        )
    ).first()


def _escape_like(q: str) -> str:
    return q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def search(
    session: AsyncSession, q: str, site_id: int | None, limit: int, offset: int
) -> tuple[Sequence[Contact], int]:
    """Contacts whose name, email or user id contains ``q`` (case-insensitive), newest first."""
    stmt = select(Contact)
    count = select(func.count()).select_from(Contact)
    conditions = []
    if site_id is not None:
        conditions.append(col(Contact.site_id) == site_id)
    if q:
        pattern = f"%{_escape_like(q.lower())}%"
        conditions.append(
            or_(
                func.lower(col(Contact.name)).like(pattern, escape="\\"),
                func.lower(col(Contact.email)).like(pattern, escape="\\"),
                func.lower(col(Contact.external_id)).like(pattern, escape="\\"),
            )
        )
    for cond in conditions:
        stmt = stmt.where(cond)
        count = count.where(cond)
    rows = (
        await session.exec(
            stmt.order_by(col(Contact.updated_at).desc(), col(Contact.id).desc())
            .limit(limit)
            .offset(offset)
        )
    ).all()
    total = int((await session.exec(count)).one())
    return rows, total


async def conversation_counts(session: AsyncSession, ids: list[int]) -> dict[int, int]:
    """How many conversations each contact has."""
    if not ids:
        return {}
    rows = (
        await session.exec(
            select(Conversation.contact_id, func.count())
            .where(col(Conversation.contact_id).in_(ids))
            .group_by(col(Conversation.contact_id))
        )
    ).all()
    return {int(cid): int(n) for cid, n in rows if cid is not None}


async def last_seen(session: AsyncSession, ids: list[int]) -> dict[int, datetime]:
    """When each contact's visitor sessions were last active."""
    if not ids:
        return {}
    rows = (
        await session.exec(
            select(VisitorSession.contact_id, func.max(VisitorSession.last_seen_at))
            .where(col(VisitorSession.contact_id).in_(ids))
            .group_by(col(VisitorSession.contact_id))
        )
    ).all()
    return {int(cid): at for cid, at in rows if cid is not None and at is not None}


async def conversations(session: AsyncSession, contact_id: int) -> Sequence[Conversation]:
    """The contact's conversations, newest first."""
    return (
        await session.exec(
            select(Conversation)
            .where(Conversation.contact_id == contact_id)
            .order_by(col(Conversation.id).desc())
        )
    ).all()


async def sessions(session: AsyncSession, contact_id: int) -> Sequence[VisitorSession]:
    """The visitor sessions linked to the contact."""
    return (
        await session.exec(select(VisitorSession).where(VisitorSession.contact_id == contact_id))
    ).all()


async def page_views(
    session: AsyncSession, session_ids: list[str], limit: int = 200
) -> Sequence[PageView]:
    """The latest pages the sessions opened, newest first."""
    if not session_ids:
        return []
    return (
        await session.exec(
            select(PageView)
            .where(col(PageView.session_id).in_(session_ids))
            .order_by(col(PageView.id).desc())
            .limit(limit)
        )
    ).all()


async def first_visitor_messages(
    session: AsyncSession, conversation_ids: list[int]
) -> dict[int, str]:
    """The first thing the visitor wrote in each conversation."""
    if not conversation_ids:
        return {}
    first = (
        select(Message.conversation_id, func.min(Message.seq).label("seq"))
        .where(col(Message.conversation_id).in_(conversation_ids))
        .where(Message.sender == Sender.visitor)
        .group_by(col(Message.conversation_id))
        .subquery()
    )
    rows = (
        await session.exec(
            select(Message.conversation_id, Message.text).join(
                first,
                (col(Message.conversation_id) == first.c.conversation_id)
                & (col(Message.seq) == first.c.seq),
            )
        )
    ).all()
    return {int(cid): text for cid, text in rows}


async def notes(session: AsyncSession, contact_id: int) -> Sequence[ContactNote]:
    """The contact's notes, newest first."""
    return (
        await session.exec(
            select(ContactNote)
            .where(ContactNote.contact_id == contact_id)
            .order_by(col(ContactNote.id).desc())
        )
    ).all()
