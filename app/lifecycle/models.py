"""Per-site lifecycle settings: when quiet conversations close and how long they can reopen."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from app.db import UTCDateTime, utcnow


class SiteLifecycle(SQLModel, table=True):
    """A site's overrides of the lifecycle defaults in Settings (no row: the defaults)."""

    __tablename__ = "site_lifecycle"

    site_id: int = Field(foreign_key="site.id", primary_key=True, ondelete="CASCADE")
    # Close a conversation after this many minutes without a visitor or agent message
    # (0: never). Conversations waiting in a queue are never closed for being quiet.
    inactivity_minutes: int = 30
    # A visitor who writes again within this many hours of a close reopens the same
    # conversation (0: always start a new one).
    reopen_hours: int = 24
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
