"""CSAT: after a close the widget asks the visitor for a rating, stored once per conversation.

One answer per conversation, not changeable: a second submit is refused (409), so the
figure in reports and the ``csat.submitted`` event the CRM webhooks forward are final.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from app.conversations.models import Conversation, Status
from app.conversations.schemas import CsatOut, csat_of
from app.csat.schemas import CsatIn
from app.db import utcnow
from app.errors import Conflict, NotFound
from app.events.service import record_event
from app.visitors.models import VisitorSession


async def submit(session: AsyncSession, vs: VisitorSession, body: CsatIn) -> CsatOut:
    """Store the visitor's rating of their own closed conversation, once."""
    c = await session.get(Conversation, body.conversation_id)
    # Someone else's conversation looks exactly like a missing one.
    if c is None or c.session_id != vs.id:
        raise NotFound("No such conversation.")
    if c.status != Status.closed:
        raise Conflict("The conversation is still open: rate it once it has ended.")
    now = utcnow()
    # Conditional update: of two racing submits exactly one stores its answer.
    result: Any = await session.exec(
        update(Conversation)
        .where(col(Conversation.id) == c.id, col(Conversation.csat_rating).is_(None))
        .values(csat_rating=body.rating, csat_comment=body.comment, csat_at=now)
    )
    if result.rowcount != 1:
        raise Conflict("This conversation has already been rated.")
    await session.refresh(c)
    out = csat_of(c)
    assert out is not None
    # Visible to the visitor's other tabs (they stop asking) and to agents and webhooks.
    await record_event(session, c, "csat.submitted", out.model_dump(mode="json"))
    return out
