"""Teams and their members."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, ForeignKey, Integer, String
from sqlmodel import Field, SQLModel

from app.db import JSONType, UTCDateTime, utcnow


class AssignmentMode(StrEnum):
    """How a team shares out new conversations among its online agents."""

    least_loaded = "least_loaded"  # fewest open chats; ties: longest since last assignment
    round_robin = "round_robin"  # in turn, skipping agents who are full or not online


class Team(SQLModel, table=True):
    """A department: ``key`` matches the bot's departments (support, billing, sales...)."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(index=True, unique=True, max_length=50)
    name: str = Field(max_length=100)
    # Same shape as site.business_hours (app/sites/hours.py); None: the site's hours.
    business_hours: dict[str, Any] | None = Field(
        default=None, sa_column=Column(JSONType, nullable=True)
    )
    assignment: AssignmentMode = Field(
        default=AssignmentMode.least_loaded, sa_column=Column(String(20), nullable=False)
    )
    # An assigned agent who has not written within this time loses the conversation
    # to the queue (0: never).
    answer_timeout_seconds: int = 300
    # Round-robin's place: the agent who got the last conversation.
    rr_last_agent_id: int | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class TeamMember(SQLModel, table=True):
    """An agent's membership of a team."""

    __tablename__ = "team_member"

    team_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("team.id", ondelete="CASCADE"), primary_key=True, nullable=False
        )
    )
    agent_id: int = Field(
        sa_column=Column(
            Integer,
            ForeignKey("agent.id", ondelete="CASCADE"),
            primary_key=True,
            index=True,
            nullable=False,
        )
    )
