"""Routing rules, evaluated in order; the default rule (no conditions) comes last."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, ForeignKey, Integer
from sqlmodel import Field, SQLModel

from app.db import JSONType, UTCDateTime, utcnow


class RoutingRule(SQLModel, table=True):
    """When every condition holds, the actions apply; the first matching rule wins."""

    __tablename__ = "routing_rule"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    enabled: bool = True
    position: int = Field(default=0, index=True)
    # The fallback when no rule matches: exactly one, no conditions, always last.
    is_default: bool = False
    # [{"field": "intent", "op": "in", "value": ["billing_dispute"]}, ...] (see schemas.py)
    conditions: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSONType, nullable=False)
    )
    # {"team": "billing", "priority": 2, "agent_id": 3, "labels": ["vip"]}
    actions: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSONType, nullable=False)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Assignment(SQLModel, table=True):
    """Every time a person took a conversation, and how long it had waited in the queue.

    The wait estimate shown to visitors is the rolling median of recent waits per team.
    """

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(
        sa_column=Column(
            Integer,
            ForeignKey("conversation.id", ondelete="CASCADE"),
            index=True,
            nullable=False,
        )
    )
    agent_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("agent.id", ondelete="SET NULL"), nullable=True),
    )
    team: str | None = Field(default=None, max_length=50, index=True)
    # None: it was not waiting in the queue (an agent took a bot conversation, a transfer).
    waited_seconds: float | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
