"""Widget request and response shapes."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, field_validator

from app.config import get_settings
from app.conversations.schemas import (
    MAX_TEXT,
    MessageIn,
    MessageOut,
    VisitorConversationOut,
    _clean_text,
)
from app.prechat.schemas import WidgetPrechat
from app.sites.theme import effective as effective_theme
from app.triggers.schemas import WidgetTrigger
from app.visitors.context import ContextIn


class SessionIn(BaseModel):
    """Start or resume a widget session."""

    site_key: str = Field(min_length=1, max_length=64)
    context: ContextIn = Field(default_factory=ContextIn)


class SiteOut(BaseModel):
    """What the widget needs to render the site's theme."""

    name: str
    greeting: str
    color: str
    position: str
    launcher_label: str
    # The theme (app/sites/theme.py): the bot's name and picture, and the widget strings
    # the site rewords (only the overrides; the widget has the defaults).
    bot_name: str = "Parley bot"
    avatar_url: str | None = None
    strings: dict[str, str] = Field(default_factory=dict)
    # The pre-chat form's questions for this visitor; null: no form (off, answered, or a
    # verified visitor).
    prechat: WidgetPrechat | None = None
    # Business hours: whether the team is in, and when it is back (null when open or
    # when no opening is ahead). Out of hours the bot still answers; a handoff leads to
    # the offline form.
    open_now: bool = True
    next_opening: datetime | None = None
    # The site's enabled proactive triggers (what, where, how often); public.
    triggers: list[WidgetTrigger] = Field(default_factory=list)
    # Attachments larger than this are refused (the widget says so before uploading).
    max_file_bytes: int = Field(default_factory=lambda: get_settings().file_max_bytes)


class SessionOut(BaseModel):
    """A visitor session with its conversation so far."""

    token: str
    session_id: str
    conversation: VisitorConversationOut | None
    messages: list[MessageOut]
    site: SiteOut


class ConversationOut(BaseModel):
    """The visitor's conversation and its messages."""

    conversation: VisitorConversationOut | None
    messages: list[MessageOut]


class PageIn(BaseModel):
    """A page the visitor is on."""

    url: str = Field(max_length=2048)
    title: str = Field(default="", max_length=500)


class VisitorMessageIn(MessageIn):
    """A visitor message, with the page it was sent from."""

    page: PageIn | None = None


# Pragmatic, not RFC 5322: one @, no spaces or list/quote characters, a dotted domain.
_LOCAL = r"[^\x00-\x1f\x7f\s@<>()\[\],;:\\\"]"  # a character of the part before the @
_LABEL = r"[^\x00-\x1f\x7f\s@<>()\[\],;:\\\".]"  # a character of a domain label
_EMAIL = re.compile(rf"^{_LOCAL}+@{_LABEL}+(?:\.{_LABEL}+)+$")


class OfflineMessageIn(BaseModel):
    """The offline form: an email to reply to and a message."""

    client_message_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
    email: str = Field(max_length=254)
    text: str = Field(max_length=MAX_TEXT)

    _text = field_validator("text")(_clean_text)

    @field_validator("email")
    @classmethod
    def _valid_email(cls, v: str) -> str:
        v = v.strip()
        if not v:
            raise ValueError("Enter an email address so the team can reply.")
        if not _EMAIL.match(v):
            raise ValueError("That email address does not look right (name@example.com).")
        return v


class SentOut(BaseModel):
    """The stored message and the conversation it belongs to."""

    message: MessageOut
    conversation: VisitorConversationOut


def site_out(
    name: str,
    theme: dict[str, Any],
    *,
    open_now: bool = True,
    next_opening: datetime | None = None,
) -> SiteOut:
    """The site's widget theme with defaults, and whether the team is in."""
    t = effective_theme(theme)
    return SiteOut(
        open_now=open_now,
        next_opening=next_opening,
        name=name,
        greeting=t.greeting,
        color=t.color,
        position=t.position,
        launcher_label=t.launcher_label,
        bot_name=t.bot_name,
        avatar_url=t.avatar_url,
        strings=t.strings,
    )
