"""The visitor's satisfaction answer."""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator

MAX_COMMENT = 1000


class CsatIn(BaseModel):
    """A rating of 1 (bad) to 5 (great) with an optional comment."""

    conversation_id: int = Field(ge=1)
    rating: int = Field(ge=1, le=5)
    comment: str | None = Field(default=None, max_length=MAX_COMMENT)

    @field_validator("comment")
    @classmethod
    def _clean(cls, v: str | None) -> str | None:
        if v is None:
            return None
        v = v.replace("\x00", "").strip()
        return v or None
