"""Request and response shapes of canned responses (see docs/api.md)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.canned.placeholders import problems
from app.conversations.schemas import MAX_TEXT, AgentRef

SHORTCUT = re.compile(r"^[a-z0-9-]{1,32}$")
Scope = Literal["shared", "team", "personal"]


def clean_shortcut(v: str) -> str:
    """``refund`` (a typed leading slash is dropped); 1–32 of a-z, 0-9 and -."""
    v = v.strip().removeprefix("/")
    if not SHORTCUT.match(v):
        raise ValueError(
            "A shortcut is 1 to 32 lower-case letters, digits or hyphens (like refund-policy)."
        )
    return v


def clean_title(v: str) -> str:
    """A title without surrounding blanks; not empty."""
    v = " ".join(v.replace("\x00", "").split())
    if not v:
        raise ValueError("The title is empty.")
    return v


def clean_body(v: str) -> str:
    """Markdown text with known placeholders only; not empty."""
    v = v.replace("\x00", "").strip()
    if not v:
        raise ValueError("The text is empty.")
    wrong = problems(v)
    if wrong:
        raise ValueError(" ".join(wrong))
    return v


class CannedIn(BaseModel):
    """A new canned response. ``scope``: shared (leads, admins), team (its members; leads,
    admins), personal (the agent who writes it)."""

    model_config = ConfigDict(extra="forbid")

    site_id: int
    shortcut: str = Field(max_length=40)
    title: str = Field(max_length=120)
    body: str = Field(max_length=MAX_TEXT)
    scope: Scope = "personal"
    team: str | None = Field(default=None, max_length=50)  # the team's key, for scope team

    _shortcut = field_validator("shortcut")(clean_shortcut)
    _title = field_validator("title")(clean_title)
    _body = field_validator("body")(clean_body)

    @model_validator(mode="after")
    def _team_for_team_scope(self) -> CannedIn:
        if self.scope == "team" and not self.team:
            raise ValueError("A team response needs its team's key.")
        if self.scope != "team" and self.team:
            raise ValueError("Only a team response names a team (scope: team).")
        return self


class CannedPatch(BaseModel):
    """Fields to change; the response as a whole is checked again."""

    model_config = ConfigDict(extra="forbid")

    shortcut: str | None = Field(default=None, max_length=40)
    title: str | None = Field(default=None, max_length=120)
    body: str | None = Field(default=None, max_length=MAX_TEXT)
    scope: Scope | None = None
    team: str | None = Field(default=None, max_length=50)

    @field_validator("shortcut")
    @classmethod
    def _shortcut(cls, v: str | None) -> str | None:
        return None if v is None else clean_shortcut(v)

    @field_validator("title")
    @classmethod
    def _title(cls, v: str | None) -> str | None:
        return None if v is None else clean_title(v)

    @field_validator("body")
    @classmethod
    def _body(cls, v: str | None) -> str | None:
        return None if v is None else clean_body(v)


class TeamRef(BaseModel):
    """The team a team response belongs to."""

    id: int
    key: str
    name: str


class CannedOut(BaseModel):
    """A canned response, with what the asking agent may do with it."""

    id: int
    site_id: int
    shortcut: str
    title: str
    body: str
    scope: Scope
    team: TeamRef | None
    owner: AgentRef | None
    created_by: AgentRef | None
    updated_by: AgentRef | None
    created_at: datetime
    updated_at: datetime
    # usable: offered in this agent's composer (shared, their teams', their own);
    # can_edit: this agent may change or delete it.
    usable: bool
    can_edit: bool


class RenderOut(BaseModel):
    """A canned response's body with the placeholders filled for one conversation."""

    text: str
    missing: list[str]  # placeholders that had no value and got their fallback
