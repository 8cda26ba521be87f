"""Private notes on a conversation: agents only (see service.py for why visitors never
see them)."""

from __future__ import annotations

from fastapi import APIRouter, status

from app.conversations import service as conversations
from app.db import SessionDep
from app.deps import CurrentAgent
from app.notes import service
from app.notes.schemas import NoteIn, NoteOut

router = APIRouter(prefix="/api/v1/conversations", tags=["notes"])


@router.get("/{conversation_id}/notes", response_model=list[NoteOut])
async def list_notes(
    conversation_id: int, agent: CurrentAgent, session: SessionDep
) -> list[NoteOut]:
    """The conversation's private notes, oldest first."""
    c = await conversations.get_for_agent(session, conversation_id)
    assert c.id is not None
    return [NoteOut.of(ev) for ev in await service.notes(session, c.id)]


@router.post(
    "/{conversation_id}/notes", response_model=NoteOut, status_code=status.HTTP_201_CREATED
)
async def add_note(
    conversation_id: int, body: NoteIn, agent: CurrentAgent, session: SessionDep
) -> NoteOut:
    """Write a private note (agents only; the visitor never sees it)."""
    c = await conversations.get_for_agent(session, conversation_id)
    return await service.add(session, c, agent, body)
