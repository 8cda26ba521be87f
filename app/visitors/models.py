"""Visitor sessions and the pages they view."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from app.db import JSONType, UTCDateTime, utcnow


class VisitorSession(SQLModel, table=True):
    """One browser's session on one site; its token is bound to both."""

    __tablename__ = "visitor_session"

    id: str = Field(default_factory=lambda: str(uuid.uuid4()), primary_key=True, max_length=36)
    site_id: int = Field(foreign_key="site.id", index=True)
    contact_id: int | None = Field(default=None, foreign_key="contact.id", index=True)
    context: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSONType, nullable=False)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PageView(SQLModel, table=True):
    """A page the visitor opened, in order: the page trail agents see."""

    __tablename__ = "page_view"

    id: int | None = Field(default=None, primary_key=True)
    session_id: str = Field(foreign_key="visitor_session.id", index=True, max_length=36)
    url: str = Field(max_length=2048)
    title: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
