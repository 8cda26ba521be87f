"""Knowledge-base articles and their versions (the source of truth of the vector index)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, ForeignKey, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.db import JSONType, UTCDateTime, utcnow


class ArticleStatus(StrEnum):
    """Published articles answer visitors; drafts are only seen in the console."""

    draft = "draft"
    published = "published"


class Article(SQLModel, table=True):
    """A help-centre article: its working copy (the head version) and which version is live.

    ``title``/``body``/``tags``/``lang`` mirror the head version (what the editor shows);
    visitors and the bot only ever see ``published_version``.
    """

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(index=True, unique=True, max_length=200)
    title: str = Field(max_length=300)
    body: str = Field(sa_column=Column(Text, nullable=False))
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    lang: str = Field(default="en", max_length=10)
    status: str = Field(default=ArticleStatus.draft, max_length=20, index=True)
    # Where it came from: "console", a file name, or the URL it was imported from.
    source: str = Field(default="console", max_length=2000)
    version: int = 1  # number of the head version
    published_version: int | None = None  # number of the live version (None: not live)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ArticleVersion(SQLModel, table=True):
    """One saved state of an article: every save, import and restore adds one."""

    __tablename__ = "article_version"
    __table_args__ = (UniqueConstraint("article_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("article.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    number: int
    title: str = Field(max_length=300)
    body: str = Field(sa_column=Column(Text, nullable=False))
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    lang: str = Field(default="en", max_length=10)
    author_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("agent.id", ondelete="SET NULL"), nullable=True),
    )
    author_name: str | None = Field(default=None, max_length=200)
    # What made this version: "created", "edited", "imported from faq.csv", "restored v2".
    note: str = Field(default="", max_length=300)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
