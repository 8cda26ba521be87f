"""Routing rule shapes: conditions, actions, and the console's API bodies.

Every condition is an object with a ``field``; all conditions of a rule must hold
(an empty list always holds). Text comparisons ignore case; a language matches by its
primary subtag too ("en" matches "en-GB").
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.routing.models import RoutingRule
from app.sites.hours import Day

MAX_CONDITIONS = 20
MAX_LABELS = 10
PRIORITY_MIN, PRIORITY_MAX = -1, 2  # low, normal, high, urgent
_WORD = re.compile(r"^[\w.:/@ +-]{1,100}$")
_LABEL = re.compile(r"^[a-z0-9][a-z0-9 _-]{0,39}$")
_KEY = re.compile(r"^[a-z][a-z0-9_-]{0,49}$")


def _words(values: list[str], what: str) -> list[str]:
    out: list[str] = []
    for v in values:
        v = v.strip().lower()
        if not v:
            raise ValueError(f"an empty {what} is not allowed")
        if not _WORD.match(v):
            raise ValueError(f"{v[:40]!r} is not a valid {what}")
        if v not in out:
            out.append(v)
    return out


def clean_labels(values: list[str]) -> list[str]:
    """Labels in lower case, without duplicates; letters, digits, space, - and _."""
    out: list[str] = []
    for v in values:
        v = " ".join(v.strip().lower().split())
        if not _LABEL.match(v):
            raise ValueError(
                f"{v[:40]!r} is not a label: 1–40 letters, digits, spaces, - or _, "
                "starting with a letter or digit"
            )
        if v not in out:
            out.append(v)
    return out


class _ListCondition(BaseModel):
    model_config = ConfigDict(extra="forbid")

    op: Literal["in", "not_in"] = "in"
    value: list[str] = Field(min_length=1, max_length=50)


class CategoryCondition(_ListCondition):
    """The pre-chat form's category or department (``context.prechat``)."""

    field: Literal["category"]

    _v = field_validator("value")(lambda v: _words(v, "category"))


class DepartmentCondition(_ListCondition):
    """The department the bot escalated to (from the intent or the escalation policy)."""

    field: Literal["department"]

    _v = field_validator("value")(lambda v: _words(v, "department"))


class IntentCondition(_ListCondition):
    """The intent the bot detected (billing_dispute, human_request...)."""

    field: Literal["intent"]

    _v = field_validator("value")(lambda v: _words(v, "intent"))


class LanguageCondition(_ListCondition):
    """The conversation's language (detected, else the browser's)."""

    field: Literal["language"]

    @field_validator("value")
    @classmethod
    def _langs(cls, v: list[str]) -> list[str]:
        out = _words(v, "language")
        for lang in out:
            if not re.match(r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$", lang):
                raise ValueError(f"{lang!r} is not a language code such as en or pt-br")
        return out


class CustomerCondition(BaseModel):
    """Who the visitor is: anonymous, identified (linked to a contact), or returning
    (a contact with earlier conversations)."""

    model_config = ConfigDict(extra="forbid")

    field: Literal["customer"]
    op: Literal["in", "not_in"] = "in"
    value: list[Literal["anonymous", "identified", "returning"]] = Field(min_length=1)


class AttributeCondition(BaseModel):
    """A contact attribute (``Contact.attributes``: plan, vip, ...)."""

    model_config = ConfigDict(extra="forbid")

    field: Literal["attribute"]
    key: str = Field(min_length=1, max_length=100)
    op: Literal["equals", "not_equals", "in", "exists", "not_exists", "gte", "lte"] = "equals"
    value: str | int | float | bool | list[str | int | float | bool] | None = None

    @field_validator("key")
    @classmethod
    def _key(cls, v: str) -> str:
        v = v.strip()
        if not re.match(r"^[\w.-]{1,100}$", v):
            raise ValueError("an attribute key is letters, digits, '.', '-' or '_' (e.g. plan)")
        return v

    @model_validator(mode="after")
    def _value_fits_op(self) -> AttributeCondition:
        if self.op in ("exists", "not_exists"):
            self.value = None
        elif self.op == "in":
            if not isinstance(self.value, list) or not self.value:
                raise ValueError("'in' needs a non-empty list of values")
        elif self.op in ("gte", "lte"):
            if isinstance(self.value, bool) or not isinstance(self.value, int | float):
                raise ValueError(f"'{self.op}' needs a number")
        elif self.value is None or isinstance(self.value, list):
            raise ValueError(f"'{self.op}' needs one value")
        return self


class PriorityCondition(BaseModel):
    """The conversation's priority (-1 low, 0 normal, 1 high, 2 urgent)."""

    model_config = ConfigDict(extra="forbid")

    field: Literal["priority"]
    op: Literal["eq", "gte", "lte"] = "gte"
    value: int = Field(ge=PRIORITY_MIN, le=PRIORITY_MAX)


class PageCondition(BaseModel):
    """The page the visitor is on: the URL contains ``value``, or matches the glob
    (``*`` = anything; a glob starting with ``/`` matches the path and query)."""

    model_config = ConfigDict(extra="forbid")

    field: Literal["page"]
    match: Literal["contains", "glob"] = "contains"
    value: str = Field(min_length=1, max_length=500)

    @field_validator("value")
    @classmethod
    def _value(cls, v: str) -> str:
        v = v.strip()
        if not v or any(c.isspace() for c in v):
            raise ValueError("enter part of a URL without spaces, such as /pricing")
        return v


class HoursCondition(BaseModel):
    """In or out of business hours (the conversation's team's hours, else the site's)."""

    model_config = ConfigDict(extra="forbid")

    field: Literal["hours"]
    value: Literal["in", "out"]


class WeekdayCondition(BaseModel):
    """The day of the week, in the business hours' time zone (UTC when none)."""

    model_config = ConfigDict(extra="forbid")

    field: Literal["weekday"]
    value: list[Day] = Field(min_length=1, max_length=7)


Condition = Annotated[
    CategoryCondition
    | DepartmentCondition
    | IntentCondition
    | LanguageCondition
    | CustomerCondition
    | AttributeCondition
    | PriorityCondition
    | PageCondition
    | HoursCondition
    | WeekdayCondition,
    Field(discriminator="field"),
]


class Actions(BaseModel):
    """What a matching rule does: team, priority, a specific agent, labels."""

    model_config = ConfigDict(extra="forbid")

    team: str | None = Field(default=None, description="A team key, e.g. billing.")
    priority: int | None = Field(default=None, ge=PRIORITY_MIN, le=PRIORITY_MAX)
    agent_id: int | None = Field(
        default=None, description="Assign to this agent when online and under capacity."
    )
    labels: list[str] = Field(default_factory=list, max_length=MAX_LABELS)

    @field_validator("team")
    @classmethod
    def _team(cls, v: str | None) -> str | None:
        if v is None:
            return None
        v = v.strip().lower()
        if not _KEY.match(v):
            raise ValueError("a team key is lower-case letters, digits, - or _ (e.g. billing)")
        return v

    _labels = field_validator("labels")(clean_labels)

    def is_empty(self) -> bool:
        """Whether the rule would change nothing."""
        return (
            self.team is None
            and self.priority is None
            and self.agent_id is None
            and not (self.labels)
        )


class RuleIn(BaseModel):
    """A routing rule as a lead writes it."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=120)
    enabled: bool = True
    conditions: list[Condition] = Field(default_factory=list, max_length=MAX_CONDITIONS)
    actions: Actions

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        v = " ".join(v.split())
        if not v:
            raise ValueError("a rule needs a name")
        return v

    @model_validator(mode="after")
    def _does_something(self) -> RuleIn:
        if self.actions.is_empty():
            raise ValueError("a rule needs at least one action (team, priority, agent or label)")
        return self


class DefaultIn(BaseModel):
    """What happens when no rule matches (empty: keep the bot's department as the team)."""

    model_config = ConfigDict(extra="forbid")

    actions: Actions


class OrderIn(BaseModel):
    """Rule ids in evaluation order (every rule but the default, each once)."""

    ids: list[int] = Field(max_length=500)


class RuleOut(BaseModel):
    """A stored rule."""

    id: int
    name: str
    enabled: bool
    position: int
    is_default: bool
    conditions: list[dict[str, Any]]
    actions: dict[str, Any]
    updated_at: datetime

    @classmethod
    def of(cls, r: RoutingRule) -> RuleOut:
        """Build from the model."""
        assert r.id is not None
        return cls(
            id=r.id,
            name=r.name,
            enabled=r.enabled,
            position=r.position,
            is_default=r.is_default,
            conditions=list(r.conditions),
            actions=dict(r.actions),
            updated_at=r.updated_at,
        )


class RulesOut(BaseModel):
    """The rules in evaluation order, and the default that follows them."""

    rules: list[RuleOut]
    default: RuleOut


class QueueOut(BaseModel):
    """The visitor's place in the queue and an honest wait estimate."""

    queued: bool
    position: int | None = None
    team: str | None = None
    agents_online: int = 0
    # Seconds when enough recent waits back it; None when unsure (see estimate_text).
    estimate_seconds: int | None = None
    estimate_text: str = ""
    # The team keeps its own hours and is out now: when it is back (the widget words it
    # in the visitor's clock).
    team_open: bool = True
    back_at: datetime | None = None
