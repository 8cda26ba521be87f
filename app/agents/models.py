"""Agents: the people who work in the console."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from app.db import UTCDateTime, utcnow


class Role(StrEnum):
    """What an agent may do: agents answer, leads curate, admins configure."""

    agent = "agent"
    lead = "lead"
    admin = "admin"


class Agent(SQLModel, table=True):
    """A console user."""

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(index=True, unique=True, max_length=320)
    name: str = Field(max_length=200)
    password_hash: str = Field(max_length=500)
    role: Role = Field(default=Role.agent, max_length=20)
    is_active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
