"""Sites: one per website that embeds the widget."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from app.db import JSONType, UTCDateTime, utcnow


def new_identity_secret() -> str:
    """A random secret the site's backend signs visitor identities with (HMAC or JWT)."""
    import secrets

    return "ids_" + secrets.token_urlsafe(32)


class Site(SQLModel, table=True):
    """A website with a public widget key and the origins allowed to use it."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(index=True, unique=True, max_length=64)
    name: str = Field(max_length=200)
    allowed_origins: list[str] = Field(
        default_factory=list, sa_column=Column(JSONType, nullable=False)
    )
    # The widget's look and words (app/sites/theme.py: colour, position, greeting, bot name,
    # avatar, string overrides); only what the site sets, the defaults fill in the rest.
    theme: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    # The pre-chat form (app/prechat/schemas.py PrechatConfig); None: no form.
    prechat: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONType, nullable=True))
    # None: always open. {"timezone", "days": {"mon": [["09:00", "17:30"]], ...}, "holidays"}.
    business_hours: dict[str, Any] | None = Field(
        default=None, sa_column=Column(JSONType, nullable=True)
    )
    # Signs Parley('identify') calls on the site's backend (see widget/README.md); admins
    # view and rotate it in the console. Never sent to the widget.
    identity_secret: str = Field(default_factory=new_identity_secret, max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
