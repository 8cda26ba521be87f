"""Team shapes for the console's settings."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.sites.hours import BusinessHours
from app.teams.models import AssignmentMode

_KEY = re.compile(r"^[a-z][a-z0-9_-]{0,49}$")


class TeamIn(BaseModel):
    """A team as a lead writes it."""

    model_config = ConfigDict(extra="forbid")

    key: str = Field(
        min_length=1,
        max_length=50,
        description="The department this team serves, as the bot names it (support, "
        "billing, sales...); routing rules and escalations use it.",
    )
    name: str = Field(min_length=1, max_length=100)
    business_hours: BusinessHours | None = Field(
        default=None, description="Same shape as a site's; null: the site's hours."
    )
    assignment: AssignmentMode = AssignmentMode.least_loaded
    answer_timeout_seconds: int = Field(
        default=300,
        ge=0,
        le=86400,
        description="An assigned agent who has not written within this time loses the "
        "conversation to the next agent (0: never).",
    )
    member_ids: list[int] = Field(default_factory=list, max_length=500)

    @field_validator("key")
    @classmethod
    def _key(cls, v: str) -> str:
        v = v.strip().lower()
        if not _KEY.match(v):
            raise ValueError(
                "a team key starts with a letter and has only lower-case letters, digits, "
                "- or _ (e.g. billing)"
            )
        return v

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        v = " ".join(v.split())
        if not v:
            raise ValueError("a team needs a name")
        return v


class TeamOut(BaseModel):
    """A team with its members and what it looks like right now."""

    id: int
    key: str
    name: str
    business_hours: dict[str, object] | None
    open_now: bool
    assignment: str
    answer_timeout_seconds: int
    member_ids: list[int]
    agents_online: int
    waiting: int
