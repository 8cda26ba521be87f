"""Agents: the people who work in the console."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, String
from sqlmodel import Field, SQLModel

from app.db import UTCDateTime, utcnow


class Role(StrEnum):
    """What an agent may do: agents answer, leads curate, admins configure."""

    agent = "agent"
    lead = "lead"
    admin = "admin"


class Availability(StrEnum):
    """Whether routing may give the agent new conversations (only when online)."""

    online = "online"
    away = "away"
    offline = "offline"


class Agent(SQLModel, table=True):
    """A console user."""

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(index=True, unique=True, max_length=320)
    name: str = Field(max_length=200)
    password_hash: str = Field(max_length=500)
    role: Role = Field(default=Role.agent, max_length=20)
    is_active: bool = True
    # Routing: set by hand in the console; the sweeper moves an idle agent to away and a
    # disconnected one to offline (availability_auto then says it may come back by itself).
    availability: Availability = Field(
        default=Availability.offline, sa_column=Column(String(10), nullable=False)
    )
    availability_auto: bool = False
    capacity: int = 3  # open conversations at most, assigned by routing
    last_seen_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # console open
    last_active_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # input seen
    last_assigned_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
