"""Offline messages: what a visitor leaves out of business hours, to be answered later.

An offline conversation is an ordinary queued conversation whose handoff says
``"offline": true`` (see ``service.escalate``): it sits in the Unassigned view for
when the team is back, but nobody is promised to the visitor, whose widget shows the
offline form instead of "Waiting for a teammate". The form's message is stored as a
visitor message; the email goes on the conversation (``handoff["email"]`` and
``context["email"]``, flagged unverified) and never on a contact: a typed email
must not link to, or reveal, anyone's history (DESIGN §4).
"""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from app.conversations import repository as repo
from app.conversations import service
from app.conversations.models import Conversation, Message, Sender, Status
from app.db import utcnow
from app.errors import Conflict
from app.visitors.models import VisitorSession


async def leave_message(
    session: AsyncSession, vs: VisitorSession, client_message_id: str, email: str, text: str
) -> tuple[Message, Conversation, bool]:
    """Store an offline message once (by client id); returns (message, conversation, created)."""
    # Same serialisation as a chat message: a retried submit can never store two copies.
    await session.exec(
        update(VisitorSession).where(col(VisitorSession.id) == vs.id).values(last_seen_at=utcnow())
    )
    existing = await repo.message_by_client_id(session, vs.id, client_message_id)
    if existing is not None:
        c = await session.get(Conversation, existing.conversation_id)
        assert c is not None
        return existing, c, False
    c = await repo.open_for_session(session, vs.id)
    if c is None:
        c = await service.start(session, vs)
    if c.status == Status.assigned:
        raise Conflict("A teammate is in this conversation now: write to them in the chat.")
    if c.status == Status.bot:
        await service.escalate(session, c, reason="offline_message", offline=True)
    c.handoff = {
        **(c.handoff or {}),
        "offline": True,
        "email": email,
        "message_at": utcnow().isoformat(),
    }
    c.context = {**c.context, "email": email, "email_verified": False}
    session.add(c)
    m = await service.add_message(
        session, c, Sender.visitor, text, client_message_id=client_message_id
    )
    # The visitor's other tabs (and a reload) turn the form into its confirmation.
    await service._status_event(session, c)
    return m, c, True
