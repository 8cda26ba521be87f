"""Sites: one per website that embeds the widget."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from app.db import JSONType, UTCDateTime, utcnow


class Site(SQLModel, table=True):
    """A website with a public widget key and the origins allowed to use it."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(index=True, unique=True, max_length=64)
    name: str = Field(max_length=200)
    allowed_origins: list[str] = Field(
        default_factory=list, sa_column=Column(JSONType, nullable=False)
    )
    theme: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    # None: always open. {"timezone", "days": {"mon": [["09:00", "17:30"]], ...}, "holidays"}.
    business_hours: dict[str, Any] | None = Field(
        default=None, sa_column=Column(JSONType, nullable=True)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
