"""Durable bot jobs: an accepted visitor message is answered even across a restart."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from app.db import UTCDateTime, utcnow


class BotJob(SQLModel, table=True):
    """One bot turn to run, written in the same transaction as the visitor's message."""

    __tablename__ = "bot_job"

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id", index=True)
    message_id: int = Field(foreign_key="message.id", unique=True)
    status: str = Field(default="pending", index=True, max_length=20)
    attempts: int = 0
    error: str | None = Field(default=None, max_length=2000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
