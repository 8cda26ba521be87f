"""Widget request and response shapes."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from app.conversations.schemas import MessageIn, MessageOut, VisitorConversationOut
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


class SentOut(BaseModel):
    """The stored message and the conversation it belongs to."""

    message: MessageOut
    conversation: VisitorConversationOut


def site_out(name: str, theme: dict[str, Any]) -> SiteOut:
    """The site's widget theme with defaults."""
    return SiteOut(
        name=name,
        greeting=theme.get("greeting", "Hi! Ask us anything — we usually answer right away."),
        color=theme.get("color", "#4f46e5"),
        position=theme.get("position", "right"),
        launcher_label=theme.get("launcher_label", "Chat with us"),
    )
