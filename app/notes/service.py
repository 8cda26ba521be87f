"""Private notes: agents write on a conversation what the visitor must never see.

A note is not a message. It is an agent-only conversation event (``note.created``,
``visitor_visible=False``), recorded like the routing notes a transfer leaves
(``app.events.service.record_private``), so everything that keeps those from visitors
keeps notes from them too: the visitor's stream and replay skip it, the widget's
history and the bot read messages only, and the visitor's transcript leaves out
agent-only events. Agents get it live on their stream and in the detail's ``activity``.
Services only flush.
"""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.agents.models import Agent
from app.conversations.models import Conversation, ConversationEvent
from app.errors import InvalidInput
from app.events.service import record_private
from app.notes.schemas import NoteIn, NoteOut

NOTE_EVENT = "note.created"


async def notes(session: AsyncSession, conversation_id: int) -> list[ConversationEvent]:
    """The conversation's notes, oldest first."""
    rows = await session.exec(
        select(ConversationEvent)
        .where(ConversationEvent.conversation_id == conversation_id)
        .where(ConversationEvent.type == NOTE_EVENT)
        .order_by(col(ConversationEvent.seq))
    )
    return list(rows.all())


async def _mentioned(session: AsyncSession, ids: list[int]) -> list[dict[str, object]]:
    if not ids:
        return []
    rows = (await session.exec(select(Agent).where(col(Agent.id).in_(ids)))).all()
    found = {a.id: a for a in rows if a.is_active}
    missing = [i for i in ids if i not in found]
    if missing:
        raise InvalidInput(f"No active agent with id {', '.join(map(str, missing))} to mention.")
    return [{"id": i, "name": found[i].name} for i in ids]


async def add(session: AsyncSession, c: Conversation, agent: Agent, body: NoteIn) -> NoteOut:
    """Write a private note on the conversation (once per ``client_note_id``).

    Closed conversations take notes too: what happened after the chat (a refund made, a
    call-back promised) belongs with it. A note never assigns or reopens anything.
    """
    assert c.id is not None
    if body.client_note_id:
        for ev in await notes(session, c.id):
            if (ev.data or {}).get("client_note_id") == body.client_note_id:
                return NoteOut.of(ev)
    event = await record_private(
        session,
        c,
        NOTE_EVENT,
        {
            "conversation_id": c.id,
            "kind": "note",
            "private": True,
            "text": body.text,
            "author": {"id": agent.id, "name": agent.name},
            "mentions": await _mentioned(session, body.mentions),
            "client_note_id": body.client_note_id,
        },
    )
    return NoteOut.of(event)
