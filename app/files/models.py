"""An uploaded file: stored under the data directory by a random key, never by its name."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, String
from sqlmodel import Field, SQLModel

from app.db import UTCDateTime, utcnow


class Uploader(StrEnum):
    """Who uploaded a file."""

    visitor = "visitor"
    agent = "agent"


class Attachment(SQLModel, table=True):
    """A file uploaded into a conversation; ``message_id`` is set when it is sent.

    A visitor's upload names their session and gets its conversation when it is sent (a
    first message may be a screenshot, before any conversation exists); an agent's upload
    names the conversation it was made in from the start.
    """

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int | None = Field(default=None, foreign_key="conversation.id", index=True)
    message_id: int | None = Field(default=None, foreign_key="message.id", index=True)
    uploader: Uploader = Field(sa_column=Column(String(10), nullable=False))
    session_id: str | None = Field(
        default=None, foreign_key="visitor_session.id", index=True, max_length=36
    )
    agent_id: int | None = Field(default=None, foreign_key="agent.id")
    # Sanitised for display and downloads only; the disk never sees it.
    name: str = Field(max_length=255)
    # Decided from the bytes, never from the client's Content-Type or the name.
    content_type: str = Field(max_length=100)
    size: int
    sha256: str = Field(max_length=64)
    storage_key: str = Field(max_length=64, unique=True)
    width: int | None = None
    height: int | None = None
    has_thumb: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
