"""Conversations, their messages and their ordered event log."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.db import JSONType, UTCDateTime, utcnow


class Status(StrEnum):
    """Lifecycle: the bot answers, then a human queue, an assignee, and the end."""

    bot = "bot"
    queued = "queued"
    assigned = "assigned"
    closed = "closed"


class Sender(StrEnum):
    """Who wrote a message."""

    visitor = "visitor"
    bot = "bot"
    agent = "agent"
    system = "system"


class Conversation(SQLModel, table=True):
    """One chat between a visitor and the bot and/or agents."""

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    session_id: str = Field(foreign_key="visitor_session.id", index=True, max_length=36)
    contact_id: int | None = Field(default=None, foreign_key="contact.id", index=True)
    status: Status = Field(default=Status.bot, index=True, max_length=20)
    assignee_id: int | None = Field(default=None, foreign_key="agent.id", index=True)
    team: str | None = Field(default=None, max_length=100)
    priority: int = 0
    context: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSONType, nullable=False)
    )
    intent: str | None = Field(default=None, max_length=100)
    confidence: float | None = None
    lang: str | None = Field(default=None, max_length=10)
    handoff: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONType, nullable=True))
    last_message: dict[str, Any] | None = Field(
        default=None, sa_column=Column(JSONType, nullable=True)
    )
    # Routing: labels added by rules or agents; when it joined the queue (a reassignment
    # keeps its place) and when the current assignee got it (answer time-outs count from it).
    labels: list[str] = Field(
        default_factory=list, sa_column=Column(JSONType, nullable=False, server_default="[]")
    )
    queued_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    assigned_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Bumped in the same transaction as every event: the per-conversation sequence.
    last_seq: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The visitor's satisfaction answer after a close: one per conversation (app/csat).
    csat_rating: int | None = None
    csat_comment: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    csat_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Read receipts (app/receipts): the highest sequence number the visitor has read
    # (agents see "Seen") and the highest one an agent has read (the widget shows "Read").
    visitor_read_seq: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    agent_read_seq: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class Message(SQLModel, table=True):
    """A message in a conversation."""

    __table_args__ = (UniqueConstraint("conversation_id", "client_message_id"),)

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id", index=True)
    seq: int
    sender: Sender = Field(max_length=20)
    author_id: int | None = Field(default=None, foreign_key="agent.id")
    author_name: str | None = Field(default=None, max_length=200)
    text: str = Field(sa_column=Column(Text, nullable=False))
    sources: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSONType, nullable=False)
    )
    # Buttons offered under a bot message; a click sends the label as the visitor's reply.
    quick_replies: list[str] = Field(
        default_factory=list, sa_column=Column(JSONType, nullable=False, server_default="[]")
    )
    # The files sent with it (app/files): id, name, type, size, pixel size, thumbnail.
    attachments: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSONType, nullable=False, server_default="[]")
    )
    client_message_id: str | None = Field(default=None, max_length=64)
    stream_id: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ConversationEvent(SQLModel, table=True):
    """A durable, ordered event: the source of truth SSE streams replay from."""

    __tablename__ = "conversation_event"
    __table_args__ = (UniqueConstraint("conversation_id", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id", index=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    seq: int
    type: str = Field(max_length=50)
    # Events meant only for agents (e.g. internal context) are not replayed to visitors.
    visitor_visible: bool = True
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
