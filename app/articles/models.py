"""Knowledge-base articles (the source of truth the vector index is built from)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from app.db import JSONType, UTCDateTime, utcnow


class Article(SQLModel, table=True):
    """A help-centre article; published ones answer visitors."""

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(index=True, unique=True, max_length=200)
    title: str = Field(max_length=300)
    body: str = Field(sa_column=Column(Text, nullable=False))
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    lang: str = Field(default="en", max_length=10)
    status: str = Field(default="published", max_length=20)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
