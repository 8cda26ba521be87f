"""Canned responses: saved replies an agent inserts with a ``/shortcut``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.db import UTCDateTime, utcnow


class CannedResponse(SQLModel, table=True):
    """A saved reply of a site: shared, for one team, or one agent's own.

    ``scope`` is derived from the owner and team ("shared", "team:<id>", "agent:<id>")
    and stored so the database itself keeps a shortcut unique within its scope.
    """

    __tablename__ = "canned_response"
    __table_args__ = (
        UniqueConstraint("site_id", "scope", "shortcut", name="uq_canned_response_shortcut"),
    )

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("site.id", ondelete="CASCADE"), index=True, nullable=False
        )
    )
    shortcut: str = Field(max_length=32)
    title: str = Field(max_length=120)
    body: str = Field(sa_column=Column(Text, nullable=False))  # Markdown
    # Team scope (its members get it) or a personal owner (only they get it); neither:
    # shared with every agent of the site.
    team_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("team.id", ondelete="CASCADE"), nullable=True),
    )
    owner_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("agent.id", ondelete="CASCADE"), index=True, nullable=True
        ),
    )
    scope: str = Field(sa_column=Column(String(40), nullable=False))
    created_by: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("agent.id", ondelete="SET NULL"), nullable=True),
    )
    updated_by: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("agent.id", ondelete="SET NULL"), nullable=True),
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
