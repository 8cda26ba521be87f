"""Read receipts, stored as two sequence numbers on the conversation.

``visitor_read_seq``: the visitor has seen everything up to it (the console shows "Seen"
under the agent's last message); ``agent_read_seq``: an agent has (the widget shows "Read"
under the visitor's last message). Marks only move forward; a move records a
``conversation.read`` event (``{by, seq}``) so both sides learn it live over SSE and a
reconnecting stream replays it. The event leaves ``updated_at`` alone: reading is not
activity, so the inbox order and the inactivity close do not change.
"""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from app.conversations.models import Conversation
from app.errors import InvalidInput
from app.events.service import record_event
from app.receipts.schemas import ReadOut

Reader = Literal["visitor", "agent"]


async def mark_read(
    session: AsyncSession,
    c: Conversation,
    by: Reader,
    seq: int,
    *,
    agent_id: int | None = None,
) -> ReadOut:
    """Move ``by``'s read mark up to ``seq`` (never back); 422 past the conversation's end."""
    assert c.id is not None
    if seq > c.last_seq:
        raise InvalidInput(f"seq {seq} is beyond the conversation's last event ({c.last_seq}).")
    column = Conversation.visitor_read_seq if by == "visitor" else Conversation.agent_read_seq
    # Conditional: of racing calls only a real move forward records an event.
    result: Any = await session.exec(
        update(Conversation)
        .where(col(Conversation.id) == c.id, col(column) < seq)
        .values({column: seq})
    )
    if result.rowcount == 1:
        await record_event(
            session,
            c,
            "conversation.read",
            {"conversation_id": c.id, "by": by, "seq": seq, "agent_id": agent_id},
            touch=False,
        )
    await session.refresh(c, ["visitor_read_seq", "agent_read_seq"])
    return ReadOut(
        conversation_id=c.id,
        visitor_read_seq=c.visitor_read_seq,
        agent_read_seq=c.agent_read_seq,
    )
