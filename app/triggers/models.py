"""Triggers (per site) and what visitors did with them (shows, opens, dismissals)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, ForeignKey, Integer, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.db import JSONType, UTCDateTime, utcnow


class TriggerKind(StrEnum):
    """What makes the widget show a trigger's message."""

    time_on_page = "time_on_page"  # params.seconds on the page
    scroll_depth = "scroll_depth"  # params.percent of the page scrolled
    nth_visit = "nth_visit"  # from the params.visit-th visit on
    exit_intent = "exit_intent"  # the pointer leaves the window at the top
    idle = "idle"  # params.seconds without any activity on the page
    form_abandonment = "form_abandonment"  # typed into a page form, then params.seconds idle
    custom_event = "custom_event"  # Parley('track', params.event)


class StatKind(StrEnum):
    """What a visitor did with a shown trigger."""

    show = "show"
    open = "open"
    dismiss = "dismiss"


class Trigger(SQLModel, table=True):
    """A proactive message, when it shows, on which pages, and how often at most."""

    __tablename__ = "proactive_trigger"

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("site.id", ondelete="CASCADE"), index=True, nullable=False
        )
    )
    name: str = Field(max_length=120)
    enabled: bool = True
    # Plain strings, not a database enum: a new kind needs no ALTER TYPE.
    kind: TriggerKind = Field(sa_column=Column(String(32), nullable=False))
    # The kind's one setting: {"seconds": 30} | {"percent": 50} | {"visit": 3} | {"event": "x"}.
    params: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    # Allowed pages: [{"match": "contains"|"glob", "value": "/pricing"}]; empty = every page.
    pages: list[dict[str, str]] = Field(
        default_factory=list, sa_column=Column(JSONType, nullable=False)
    )
    message: str = Field(max_length=500)
    # Guardrails, enforced by the widget with the visitor's own storage.
    cap_count: int = 1  # shows per visitor ...
    cap_days: int = 7  # ... per this many days
    cooldown_minutes: int = 30  # since any proactive message was shown
    session_max: int = 1  # shows per visit
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class TriggerStat(SQLModel, table=True):
    """One show, open or dismissal, at most once per (trigger, session, kind, visit)."""

    __tablename__ = "trigger_stat"
    __table_args__ = (
        UniqueConstraint("trigger_id", "session_id", "kind", "visit", name="uq_trigger_stat_once"),
    )

    id: int | None = Field(default=None, primary_key=True)
    trigger_id: int = Field(
        sa_column=Column(
            Integer,
            ForeignKey("proactive_trigger.id", ondelete="CASCADE"),
            nullable=False,  # the unique constraint below indexes it
        )
    )
    session_id: str = Field(
        sa_column=Column(
            String(36), ForeignKey("visitor_session.id", ondelete="CASCADE"), nullable=False
        )
    )
    kind: StatKind = Field(sa_column=Column(String(10), nullable=False))
    # The visitor's visit number (the widget counts them): a re-show on a later visit counts.
    visit: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
