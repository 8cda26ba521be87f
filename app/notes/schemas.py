"""Request and response shapes of private notes (see docs/api.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.conversations.models import ConversationEvent
from app.conversations.schemas import MAX_TEXT, AgentRef

MAX_MENTIONS = 20


class NoteIn(BaseModel):
    """A private note: Markdown text, optionally @mentioning teammates."""

    model_config = ConfigDict(extra="forbid")

    # Makes a retried send harmless: the same id from the same conversation is one note.
    client_note_id: str | None = Field(
        default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$"
    )
    text: str = Field(max_length=MAX_TEXT)
    mentions: list[int] = Field(default_factory=list, max_length=MAX_MENTIONS)

    @field_validator("text")
    @classmethod
    def _text(cls, v: str) -> str:
        v = v.replace("\x00", "").strip()
        if not v:
            raise ValueError("The note is empty.")
        return v

    @field_validator("mentions")
    @classmethod
    def _mentions(cls, v: list[int]) -> list[int]:
        return list(dict.fromkeys(v))  # once each, in the order given


class NoteOut(BaseModel):
    """A private note as agents see it (the detail's ``activity`` and the agent stream)."""

    id: int  # the event's id
    conversation_id: int
    seq: int
    type: Literal["note.created"] = "note.created"
    kind: Literal["note"] = "note"
    private: Literal[True] = True
    text: str
    author: AgentRef | None
    mentions: list[AgentRef]
    client_note_id: str | None
    at: datetime

    @classmethod
    def of(cls, ev: ConversationEvent) -> NoteOut:
        """Build from the stored ``note.created`` event."""
        assert ev.id is not None
        d: dict[str, Any] = ev.data or {}
        return cls(
            id=ev.id,
            conversation_id=ev.conversation_id,
            seq=ev.seq,
            text=str(d.get("text", "")),
            author=AgentRef(**d["author"]) if d.get("author") else None,
            mentions=[AgentRef(**m) for m in d.get("mentions") or []],
            client_note_id=d.get("client_note_id"),
            at=ev.created_at,
        )
