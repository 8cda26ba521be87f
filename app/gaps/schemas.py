"""Bodies of the gap-report API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class GapExample(BaseModel):
    """One visitor question of a group."""

    text: str
    conversation_id: int
    at: datetime
    score: float | None = Field(description="Best retrieval score when it was asked.")


class Coverage(BaseModel):
    """A live article that now answers the group's question (above the answer threshold)."""

    slug: str
    title: str
    score: float


class GapGroup(BaseModel):
    """Similar unanswered questions."""

    id: str
    label: str = Field(description="The most typical question of the group.")
    count: int
    conversations: int
    last_at: datetime
    examples: list[GapExample]
    covered_by: Coverage | None


class GapReport(BaseModel):
    """Groups, largest first."""

    days: int
    total: int
    groups: list[GapGroup]
    threshold: float
    similarity: float


class GapDraftIn(BaseModel):
    """Start a draft article from a group."""

    title: str = Field(min_length=1, max_length=300)
    questions: list[str] = Field(default_factory=list, max_length=50)
