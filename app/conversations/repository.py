"""Conversation, message and page-view queries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, cast, func, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.agents.models import Agent
from app.conversations.models import Conversation, ConversationEvent, Message, Status
from app.visitors.models import PageView


async def open_for_session(session: AsyncSession, session_id: str) -> Conversation | None:
    """The visitor session's latest conversation that is not closed."""
    return (
        await session.exec(
            select(Conversation)
            .where(Conversation.session_id == session_id)
            .where(Conversation.status != Status.closed)
            .order_by(col(Conversation.id).desc())
        )
    ).first()


async def latest_for_session(session: AsyncSession, session_id: str) -> Conversation | None:
    """The visitor session's latest conversation, closed or not."""
    return (
        await session.exec(
            select(Conversation)
            .where(Conversation.session_id == session_id)
            .order_by(col(Conversation.id).desc())
        )
    ).first()


async def messages(session: AsyncSession, conversation_id: int) -> Sequence[Message]:
    """A conversation's messages in order."""
    return (
        await session.exec(
            select(Message)
            .where(Message.conversation_id == conversation_id)
            .order_by(col(Message.seq))
        )
    ).all()


async def message_by_client_id(
    session: AsyncSession, session_id: str, client_message_id: str
) -> Message | None:
    """A message this visitor session already sent with that client id (idempotency)."""
    return (
        await session.exec(
            select(Message)
            .join(Conversation, col(Conversation.id) == Message.conversation_id)
            .where(Conversation.session_id == session_id)
            .where(Message.client_message_id == client_message_id)
        )
    ).first()


async def agent_message_by_client_id(
    session: AsyncSession, conversation_id: int, client_message_id: str
) -> Message | None:
    """A message already stored in the conversation with that client id."""
    return (
        await session.exec(
            select(Message)
            .where(Message.conversation_id == conversation_id)
            .where(Message.client_message_id == client_message_id)
        )
    ).first()


async def page_views(session: AsyncSession, session_id: str, limit: int = 50) -> Sequence[PageView]:
    """The session's page trail, oldest first (the last ``limit`` pages)."""
    rows = (
        await session.exec(
            select(PageView)
            .where(PageView.session_id == session_id)
            .order_by(col(PageView.id).desc())
            .limit(limit)
        )
    ).all()
    return list(reversed(rows))


def _view_filter(view: str, agent_id: int, team_keys: Sequence[str] = ()):  # type: ignore[no-untyped-def]
    if view == "unassigned":
        return col(Conversation.status) == Status.queued
    if view == "mine":
        return (col(Conversation.assignee_id) == agent_id) & (
            col(Conversation.status) != Status.closed
        )
    if view == "team":
        # The agent's teams' open conversations (none when the agent is in no team).
        return col(Conversation.team).in_(list(team_keys)) & (
            col(Conversation.status) != Status.closed
        )
    if view == "closed":
        return col(Conversation.status) == Status.closed
    return col(Conversation.status) != Status.closed


VIEWS = ("all", "unassigned", "mine", "team", "closed")


@dataclass(frozen=True)
class InboxFilters:
    """Narrowing an inbox view: by team key, status, label, language (all optional)."""

    team: str | None = None
    status: str | None = None
    label: str | None = None
    language: str | None = None


async def inbox(
    session: AsyncSession,
    view: str,
    agent_id: int,
    limit: int = 200,
    *,
    team_keys: Sequence[str] = (),
    filters: InboxFilters | None = None,
) -> Sequence[Conversation]:
    """Conversations of an inbox view: the queue by priority then wait, others most
    recently active first."""
    q = select(Conversation).where(_view_filter(view, agent_id, team_keys))
    f = filters or InboxFilters()
    if f.team:
        q = q.where(col(Conversation.team) == f.team)
    if f.status:
        q = q.where(col(Conversation.status) == f.status)
    if f.label:
        # Labels are a JSON list of plain words; its text holds each one in quotes.
        q = q.where(cast(col(Conversation.labels), String).like(f'%"{f.label}"%'))
    if f.language:
        q = q.where(
            or_(
                col(Conversation.lang) == f.language, col(Conversation.lang).like(f"{f.language}-%")
            )
        )
    if view == "unassigned":
        q = q.order_by(
            col(Conversation.priority).desc(),
            func.coalesce(col(Conversation.queued_at), col(Conversation.created_at)),
            col(Conversation.id),
        )
    else:
        q = q.order_by(col(Conversation.updated_at).desc())
    return (await session.exec(q.limit(limit))).all()


async def inbox_counts(
    session: AsyncSession, agent_id: int, team_keys: Sequence[str] = ()
) -> dict[str, int]:
    """How many conversations each view holds."""
    counts: dict[str, int] = {}
    for view in VIEWS:
        counts[view] = int(
            (
                await session.exec(
                    select(func.count())
                    .select_from(Conversation)
                    .where(_view_filter(view, agent_id, team_keys))
                )
            ).one()
        )
    return counts


async def routing_activity(session: AsyncSession, conversation_id: int) -> list[dict[str, Any]]:
    """The conversation's agent-only notes: routing events (decisions, assignments,
    transfer notes) and agents' private notes (``note.created``)."""
    rows = await session.exec(
        select(ConversationEvent)
        .where(ConversationEvent.conversation_id == conversation_id)
        .where(
            or_(
                col(ConversationEvent.type).like("routing.%"),
                col(ConversationEvent.type) == "note.created",
            )
        )
        .order_by(col(ConversationEvent.seq))
    )
    return [
        {**e.data, "seq": e.seq, "type": e.type, "at": e.created_at.isoformat()} for e in rows.all()
    ]


async def agent_names(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    """Names of the given agents."""
    if not ids:
        return {}
    rows = (await session.exec(select(Agent).where(col(Agent.id).in_(ids)))).all()
    return {a.id: a.name for a in rows if a.id is not None}


async def earlier_for_contact(
    session: AsyncSession, contact_id: int, before_id: int, limit: int = 3
) -> Sequence[Conversation]:
    """The contact's conversations before this one, newest first (the bot's memory)."""
    return (
        await session.exec(
            select(Conversation)
            .where(Conversation.contact_id == contact_id)
            .where(col(Conversation.id) < before_id)
            .order_by(col(Conversation.id).desc())
            .limit(limit)
        )
    ).all()


async def first_visitor_message(session: AsyncSession, conversation_id: int) -> Message | None:
    """The first thing the visitor wrote in a conversation."""
    return (
        await session.exec(
            select(Message)
            .where(Message.conversation_id == conversation_id)
            .where(Message.sender == "visitor")
            .order_by(col(Message.seq))
        )
    ).first()


async def lock(session: AsyncSession, conversation_id: int) -> Conversation | None:
    """The conversation, freshly read, with its write lock held until the transaction ends.

    A no-op UPDATE takes SQLite's write lock and PostgreSQL's row lock, so a decision made
    on the status read here (the bot answering or escalating) cannot be overtaken by an
    agent closing the conversation in between.
    """
    await session.exec(
        update(Conversation)
        .where(col(Conversation.id) == conversation_id)
        .values(last_seq=Conversation.last_seq)
    )
    return await session.get(Conversation, conversation_id, populate_existing=True)
