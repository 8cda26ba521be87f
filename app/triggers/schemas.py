"""Trigger shapes: the console's (with stats) and the widget's (public, nothing secret)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.triggers.models import StatKind, Trigger, TriggerKind

MAX_MESSAGE = 500
MAX_PAGES = 50
# Which setting each kind needs, and its bounds.
PARAMS: dict[TriggerKind, tuple[str, ...]] = {
    TriggerKind.time_on_page: ("seconds",),
    TriggerKind.scroll_depth: ("percent",),
    TriggerKind.nth_visit: ("visit",),
    TriggerKind.exit_intent: (),
    TriggerKind.idle: ("seconds",),
    TriggerKind.form_abandonment: ("seconds",),
    TriggerKind.custom_event: ("event",),
}
_LABELS = {
    "seconds": "seconds (1–3600)",
    "percent": "percent (1–100)",
    "visit": "visit (1–100)",
    "event": "event (the name passed to Parley('track', name))",
}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_EVENT = re.compile(r"^[\w.:/ -]{1,100}$")


def _clean(v: str) -> str:
    return _CONTROL.sub("", v).strip()


class PageRule(BaseModel):
    """An allowed page: the URL contains ``value``, or matches the glob (``*`` = anything).

    A glob that starts with ``/`` matches the path and query (``/blog/*``); otherwise the
    whole URL (``https://shop.example.com/checkout*``). Case-insensitive.
    """

    model_config = ConfigDict(extra="forbid")

    match: Literal["contains", "glob"] = "contains"
    value: str = Field(min_length=1, max_length=500)

    @field_validator("value")
    @classmethod
    def _value(cls, v: str) -> str:
        v = _clean(v)
        if not v:
            raise ValueError("enter part of a URL, such as /pricing")
        if any(c.isspace() for c in v):
            raise ValueError("a URL rule has no spaces")
        return v


class Guardrails(BaseModel):
    """How often a trigger may show (the widget enforces these per visitor)."""

    cap_count: int = Field(default=1, ge=1, le=100, description="Shows per visitor …")
    cap_days: int = Field(default=7, ge=1, le=365, description="… per this many days.")
    cooldown_minutes: int = Field(
        default=30, ge=0, le=43200, description="Quiet time after any proactive message."
    )
    session_max: int = Field(default=1, ge=1, le=20, description="Shows per visit.")


class TriggerFields(Guardrails):
    """Everything a lead sets on a trigger."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=120)
    enabled: bool = True
    kind: TriggerKind
    seconds: int | None = Field(default=None, ge=1, le=3600)
    percent: int | None = Field(default=None, ge=1, le=100)
    visit: int | None = Field(default=None, ge=1, le=100)
    event: str | None = Field(default=None, max_length=100)
    pages: list[PageRule] = Field(
        default_factory=list, max_length=MAX_PAGES, description="Empty: every page."
    )
    message: str = Field(min_length=1, max_length=MAX_MESSAGE, description="Plain text.")

    @field_validator("name", "message")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        v = _clean(v)
        if not v:
            raise ValueError("must not be blank")
        return v

    @field_validator("event")
    @classmethod
    def _event(cls, v: str | None) -> str | None:
        if v is None:
            return None
        v = _clean(v)
        if not _EVENT.match(v):
            raise ValueError("use letters, digits, spaces and _ . : / - (at most 100)")
        return v

    @model_validator(mode="after")
    def _kind_needs(self) -> TriggerFields:
        needed = PARAMS[self.kind]
        for name in needed:
            if getattr(self, name) is None:
                raise ValueError(f"a {self.kind.value} trigger needs {_LABELS[name]}")
        # Settings of other kinds mean nothing here: drop them rather than store them.
        for name in ("seconds", "percent", "visit", "event"):
            if name not in needed:
                setattr(self, name, None)
        return self

    def params(self) -> dict[str, Any]:
        """The kind's setting as stored."""
        return {name: getattr(self, name) for name in PARAMS[self.kind]}


class TriggerIn(TriggerFields):
    """A new trigger for a site."""

    site_id: int


class TriggerPatch(BaseModel):
    """Change some fields of a trigger; the result is validated as a whole."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    enabled: bool | None = None
    kind: TriggerKind | None = None
    seconds: int | None = None
    percent: int | None = None
    visit: int | None = None
    event: str | None = None
    pages: list[dict[str, Any]] | None = None
    message: str | None = None
    cap_count: int | None = None
    cap_days: int | None = None
    cooldown_minutes: int | None = None
    session_max: int | None = None


class TriggerStats(BaseModel):
    """What visitors did with a trigger."""

    shows: int = 0
    opens: int = 0
    dismissals: int = 0
    # opens / shows, 0 when never shown.
    open_rate: float = 0.0


class TriggerOut(TriggerFields):
    """A trigger as the console shows it."""

    id: int
    site_id: int
    created_at: datetime
    updated_at: datetime
    stats: TriggerStats

    @classmethod
    def of(cls, t: Trigger, stats: TriggerStats | None = None) -> TriggerOut:
        """Build from the model."""
        assert t.id is not None
        return cls(
            id=t.id,
            site_id=t.site_id,
            name=t.name,
            enabled=t.enabled,
            kind=t.kind,
            pages=[PageRule.model_validate(p) for p in t.pages],
            message=t.message,
            cap_count=t.cap_count,
            cap_days=t.cap_days,
            cooldown_minutes=t.cooldown_minutes,
            session_max=t.session_max,
            created_at=t.created_at,
            updated_at=t.updated_at,
            stats=stats or TriggerStats(),
            **t.params,
        )


class WidgetTrigger(Guardrails):
    """An enabled trigger as the widget gets it with the site's settings (public)."""

    id: int
    kind: TriggerKind
    seconds: int | None = None
    percent: int | None = None
    visit: int | None = None
    event: str | None = None
    pages: list[PageRule]
    message: str

    @classmethod
    def of(cls, t: Trigger) -> WidgetTrigger:
        """Build from the model."""
        assert t.id is not None
        return cls(
            id=t.id,
            kind=t.kind,
            pages=[PageRule.model_validate(p) for p in t.pages],
            message=t.message,
            cap_count=t.cap_count,
            cap_days=t.cap_days,
            cooldown_minutes=t.cooldown_minutes,
            session_max=t.session_max,
            **t.params,
        )


class TriggerStatIn(BaseModel):
    """The widget reports a show, an open or a dismissal (idempotent per visit)."""

    model_config = ConfigDict(extra="forbid")

    trigger_id: int = Field(ge=1)
    kind: StatKind
    visit: int = Field(default=1, ge=1, le=1_000_000)
