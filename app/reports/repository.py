"""Report queries: one row of facts per conversation, read from its events and messages.

Nothing is counted twice or kept aside for reports: when a conversation was escalated
and assigned comes from its ``conversation.updated`` events (the status each carries),
who closed it from ``conversation.closed``, replies from messages, the rating from the
conversation. The service aggregates the rows (medians and per-day buckets in the
viewer's time zone are simpler and portable in Python than in SQLite and PostgreSQL SQL).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.agents.models import Agent
from app.conversations.models import Conversation, ConversationEvent, Message, Sender


@dataclass(frozen=True)
class Facts:
    """What reports need to know about one conversation."""

    id: int
    site_id: int
    created_at: datetime
    status: str
    closed_at: datetime | None
    team: str | None
    rating: int | None
    escalated_at: datetime | None  # first time it went to the human queue
    reason: str | None  # why, as the first escalation said
    assigned_at: datetime | None  # first time a person had it
    agent_id: int | None  # the last person who had it
    waiting_since: datetime | None  # the visitor's last message before the escalation
    first_reply_at: datetime | None  # the first agent message after the escalation
    closed_by: str | None  # agent | visitor | inactivity (the last close)


def _json(e: Any) -> Any:
    """The event's JSON column, indexable by path in SQL (the model types it as a dict)."""
    return e.data


def _status_events(status: str):  # type: ignore[no-untyped-def]
    e = aliased(ConversationEvent)
    return e, (
        (col(e.conversation_id) == col(Conversation.id))
        & (col(e.type) == "conversation.updated")
        & (_json(e)[("conversation", "status")].as_string() == status)
    )


async def facts(
    session: AsyncSession, start: datetime, end: datetime, site_id: int | None = None
) -> list[Facts]:
    """One row per conversation created in [start, end)."""
    # Explicit correlation: waiting_since and first_reply_at nest escalated_at two levels
    # deep, where automatic correlation would lose the outer conversation.
    q, queued = _status_events("queued")
    escalated_at = (
        select(func.min(q.created_at)).where(queued).correlate(Conversation).scalar_subquery()
    )
    r, queued_r = _status_events("queued")
    reason = (
        select(_json(r)[("agent", "handoff_reason")].as_string())
        .where(queued_r)
        .order_by(col(r.seq))
        .limit(1)
        .correlate(Conversation)
        .scalar_subquery()
    )
    a, assigned = _status_events("assigned")
    assigned_at = (
        select(func.min(a.created_at)).where(assigned).correlate(Conversation).scalar_subquery()
    )
    b, assigned_b = _status_events("assigned")
    agent_id = (
        select(_json(b)[("agent", "assignee", "id")].as_integer())
        .where(assigned_b)
        .order_by(col(b.seq).desc())
        .limit(1)
        .correlate(Conversation)
        .scalar_subquery()
    )
    v = aliased(Message)
    waiting_since = (
        select(func.max(v.created_at))
        .where(
            col(v.conversation_id) == col(Conversation.id),
            col(v.sender) == Sender.visitor,
            col(v.created_at) <= escalated_at,
        )
        .correlate(Conversation)
        .scalar_subquery()
    )
    m = aliased(Message)
    first_reply_at = (
        select(func.min(m.created_at))
        .where(
            col(m.conversation_id) == col(Conversation.id),
            col(m.sender) == Sender.agent,
            col(m.created_at) >= escalated_at,
        )
        .correlate(Conversation)
        .scalar_subquery()
    )
    k = aliased(ConversationEvent)
    closed_by = (
        select(_json(k)["by"].as_string())
        .where(col(k.conversation_id) == col(Conversation.id), col(k.type) == "conversation.closed")
        .order_by(col(k.seq).desc())
        .limit(1)
        .correlate(Conversation)
        .scalar_subquery()
    )
    # SQLAlchemy's select: sqlmodel's typed overloads stop at four columns.
    columns: list[Any] = [
        Conversation.id,
        Conversation.site_id,
        Conversation.created_at,
        Conversation.status,
        Conversation.closed_at,
        Conversation.team,
        Conversation.csat_rating,
        escalated_at,
        reason,
        assigned_at,
        agent_id,
        waiting_since,
        first_reply_at,
        closed_by,
    ]
    stmt: Any = (
        sa_select(*columns)
        .where(col(Conversation.created_at) >= start, col(Conversation.created_at) < end)
        .order_by(col(Conversation.created_at))
    )
    if site_id is not None:
        stmt = stmt.where(Conversation.site_id == site_id)
    rows = (await session.exec(stmt)).all()
    return [
        Facts(
            id=row[0],
            site_id=row[1],
            created_at=row[2],
            status=row[3].value if hasattr(row[3], "value") else str(row[3]),
            closed_at=row[4],
            team=row[5],
            rating=row[6],
            escalated_at=_aware(row[7]),
            reason=row[8],
            assigned_at=_aware(row[9]),
            agent_id=int(row[10]) if row[10] is not None else None,
            waiting_since=_aware(row[11]),
            first_reply_at=_aware(row[12]),
            closed_by=row[13],
        )
        for row in rows
    ]


def _aware(value: Any) -> datetime | None:
    """Aggregates of a UTC column come back as text or naive datetimes on SQLite."""
    from datetime import UTC

    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value  # type: ignore[no-any-return]


async def agent_names(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    """Names of the given agents."""
    if not ids:
        return {}
    rows = (await session.exec(select(Agent).where(col(Agent.id).in_(ids)))).all()
    return {x.id: x.name for x in rows if x.id is not None}
