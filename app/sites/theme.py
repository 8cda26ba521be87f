"""A site's widget theme: what leads edit in the console and the widget renders. Pure.

Stored in ``Site.theme`` (JSON). Every field has a default, so a site stores only what
it sets and the widget always gets a complete theme. ``Theme`` validates what the
console sends (unknown keys refused); ``effective`` reads what is stored leniently, so a
value edited by hand in the database falls back to its default instead of breaking the
widget.
"""

from __future__ import annotations

import re
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

DEFAULT_COLOR = "#4f46e5"
DEFAULT_GREETING = "Hi! Ask us anything — we usually answer right away."
DEFAULT_LAUNCHER_LABEL = "Chat with us"
DEFAULT_BOT_NAME = "Parley bot"

# The widget's visible strings a site may reword (or translate): key → default. The
# widget keeps the same defaults, so only overrides travel with the session.
STRINGS: dict[str, str] = {
    "composer_placeholder": "Write a message…",
    "talk_to_human": "Talk to a human",
    "status_bot": "Bot · answers instantly",
    "status_waiting": "Waiting for a teammate…",
    "prechat_title": "Before we start",
    "prechat_intro": "Tell us a little about you so the right person can help.",
    "prechat_submit": "Start chat",
}
MAX_STRING = 160
MAX_URL = 2048

_HEX = re.compile(r"^#(?:[0-9a-f]{3}|[0-9a-f]{6})$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def one_line(value: str, what: str) -> str:
    """Trimmed text without line breaks or control characters."""
    value = value.strip()
    if _CONTROL.search(value):
        raise ValueError(f"{what} must be one line of text (no line breaks or control characters)")
    return value


def https_url(value: str | None, what: str = "The URL") -> str | None:
    """An absolute https URL without credentials, or None for an empty one."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if _CONTROL.search(value) or " " in value:
        raise ValueError(f"{what} must not contain spaces or control characters")
    try:
        parts = urlsplit(value)
    except ValueError as exc:
        raise ValueError(f"{what} is not a valid URL") from exc
    if parts.scheme.lower() != "https" or not parts.hostname:
        raise ValueError(f"{what} must be an https:// address (https only)")
    if parts.username is not None or parts.password is not None:
        raise ValueError(f"{what} must not contain a user name or password")
    return value


class Theme(BaseModel):
    """The widget's look and words for one site."""

    model_config = ConfigDict(extra="forbid")

    color: str = Field(
        default=DEFAULT_COLOR, description="Brand colour, a CSS hex colour (#rgb or #rrggbb)."
    )
    position: Literal["left", "right"] = Field(
        default="right", description="The corner the launcher and panel use."
    )
    greeting: str = Field(
        default=DEFAULT_GREETING,
        max_length=500,
        description="The first message visitors see (markdown: links, bold, lists).",
    )
    launcher_label: str = Field(
        default=DEFAULT_LAUNCHER_LABEL,
        max_length=40,
        description="Text on the launcher button; empty for a round icon button.",
    )
    bot_name: str = Field(
        default=DEFAULT_BOT_NAME, max_length=40, description="The name the bot's messages carry."
    )
    avatar_url: str | None = Field(
        default=None,
        max_length=MAX_URL,
        description="The bot's picture in the panel header: an https:// image URL, or null.",
    )
    strings: dict[str, str] = Field(
        default_factory=dict,
        description="Overrides of the widget's visible strings (keys: see GET …/theme defaults).",
    )

    @field_validator("color")
    @classmethod
    def _color(cls, v: str) -> str:
        v = v.strip().lower()
        if not _HEX.match(v):
            raise ValueError("the brand colour must be a hex colour such as #1f7a4d or #36c")
        return v

    @field_validator("greeting")
    @classmethod
    def _greeting(cls, v: str) -> str:
        v = _CONTROL.sub(lambda m: m.group(0) if m.group(0) in "\n\t" else " ", v).strip()
        if not v:
            raise ValueError("write a greeting: it is the first thing visitors read")
        return v

    @field_validator("launcher_label")
    @classmethod
    def _launcher(cls, v: str) -> str:
        return one_line(v, "the launcher label")

    @field_validator("bot_name")
    @classmethod
    def _bot_name(cls, v: str) -> str:
        v = one_line(v, "the bot name")
        if not v:
            raise ValueError("give the bot a name (visitors see it above its messages)")
        return v

    @field_validator("avatar_url")
    @classmethod
    def _avatar(cls, v: str | None) -> str | None:
        return https_url(v, "the avatar URL")

    @field_validator("strings")
    @classmethod
    def _strings(cls, v: dict[str, str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for key, text in v.items():
            if key not in STRINGS:
                raise ValueError(
                    f"unknown string {key[:60]!r}; the widget has: {', '.join(STRINGS)}"
                )
            text = one_line(text, f"the string {key!r}")
            if len(text) > MAX_STRING:
                raise ValueError(f"the string {key!r} is longer than {MAX_STRING} characters")
            if text and text != STRINGS[key]:
                out[key] = text  # empty or the default: nothing to override
        return out

    def stored(self) -> dict[str, Any]:
        """What ``Site.theme`` keeps."""
        return self.model_dump()


def effective(raw: dict[str, Any] | None) -> Theme:
    """The stored theme with defaults; an invalid stored value falls back to its default."""
    data = {k: v for k, v in (raw or {}).items() if k in Theme.model_fields}
    try:
        return Theme.model_validate(data)
    except ValidationError as exc:
        bad = {e["loc"][0] for e in exc.errors() if e.get("loc")}
        return Theme.model_validate({k: v for k, v in data.items() if k not in bad})
