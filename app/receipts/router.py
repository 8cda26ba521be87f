"""Read-receipt endpoints: the widget's and the console's."""

from __future__ import annotations

from fastapi import APIRouter

from app.conversations.models import Conversation
from app.conversations.service import get_for_agent
from app.db import SessionDep
from app.deps import CurrentAgent, CurrentVisitor
from app.errors import NotFound
from app.receipts import service
from app.receipts.schemas import AgentReadIn, ReadOut, VisitorReadIn

widget_router = APIRouter(prefix="/api/v1/widget", tags=["widget"])
router = APIRouter(prefix="/api/v1/conversations", tags=["conversations"])


@widget_router.post("/read", response_model=ReadOut)
async def visitor_read(
    body: VisitorReadIn, visitor: CurrentVisitor, session: SessionDep
) -> ReadOut:
    """The visitor saw their conversation up to ``seq`` (panel open, page visible)."""
    c = await session.get(Conversation, body.conversation_id)
    # Someone else's conversation looks exactly like a missing one.
    if c is None or c.session_id != visitor.session.id:
        raise NotFound("No such conversation.")
    return await service.mark_read(session, c, "visitor", body.seq)


@router.post("/{conversation_id}/read", response_model=ReadOut)
async def agent_read(
    conversation_id: int, body: AgentReadIn, agent: CurrentAgent, session: SessionDep
) -> ReadOut:
    """An agent has the conversation open and visible, up to ``seq``."""
    c = await get_for_agent(session, conversation_id)
    return await service.mark_read(session, c, "agent", body.seq, agent_id=agent.id)
