"""Pre-chat form shapes: a site's form (console), what the widget asks, the visitor's answers.

A form is an ordered list of fields. ``name``, ``email`` and ``category`` are built in
(their key is their type; at most one of each); custom fields are ``text``, ``select``
or ``checkbox`` with a key of their own. A category may name the team its
conversations go to; routing rules can also match on it (``category`` condition).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    field_validator,
    model_validator,
)

from app.sites.theme import one_line

FieldType = Literal["name", "email", "category", "text", "select", "checkbox"]
BUILT_IN = ("name", "email", "category")
MAX_FIELDS = 12
MAX_OPTIONS = 20
MAX_CATEGORIES = 20
MAX_LABEL = 80
# Longest answer per field type (checkbox and choices are bounded by the form).
MAX_ANSWER = {"name": 200, "email": 254, "text": 500}
MAX_RAW_ANSWER = 2000  # refused before any rule runs

_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_CATEGORY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_TEAM = re.compile(r"^[a-z][a-z0-9_-]{0,49}$")


def _label(v: str) -> str:
    v = one_line(v, "a label")
    if not v:
        raise ValueError("a label cannot be empty")
    return v


class Category(BaseModel):
    """One choice of the issue-category field, and the team it routes to (optional)."""

    model_config = ConfigDict(extra="forbid")

    key: str = Field(
        min_length=1,
        max_length=40,
        description="Stable id routing rules match on (lower case, digits, - and _).",
    )
    label: str = Field(max_length=MAX_LABEL, description="What visitors see.")
    team: str | None = Field(
        default=None, max_length=50, description="Key of the team these conversations go to."
    )

    _label = field_validator("label")(_label)

    @field_validator("key")
    @classmethod
    def _key(cls, v: str) -> str:
        v = v.strip().lower()
        if not _CATEGORY.match(v):
            raise ValueError(
                f"{v[:40]!r} is not a category key: lower-case letters, digits, - and _ "
                "(at most 40), starting with a letter or digit"
            )
        return v

    @field_validator("team")
    @classmethod
    def _team(cls, v: str | None) -> str | None:
        if v is None or not v.strip():
            return None
        v = v.strip().lower()
        if not _TEAM.match(v):
            raise ValueError(f"{v[:40]!r} is not a team key")
        return v


class PrechatField(BaseModel):
    """One question of the form."""

    model_config = ConfigDict(extra="forbid")

    type: FieldType
    key: str | None = Field(
        default=None,
        max_length=40,
        description="Custom fields: the answer's key (a-z, 0-9, _). Built-in fields: their type.",
    )
    label: str = Field(max_length=MAX_LABEL)
    required: bool = False
    options: list[str] = Field(
        default_factory=list, max_length=MAX_OPTIONS, description="A select field's choices."
    )
    categories: list[Category] = Field(
        default_factory=list,
        max_length=MAX_CATEGORIES,
        description="The category field's choices.",
    )

    _label = field_validator("label")(_label)

    @model_validator(mode="after")
    def _shape(self) -> PrechatField:
        if self.type in BUILT_IN:
            if self.key not in (None, self.type):
                raise ValueError(f"the {self.type} field's key is {self.type!r}")
            self.key = self.type
        else:
            key = (self.key or "").strip().lower()
            if not _KEY.match(key):
                raise ValueError(
                    f"the field “{self.label}” needs a key: lower-case letters, digits and _, "
                    "starting with a letter (at most 40)"
                )
            if key in BUILT_IN:
                raise ValueError(f"{key!r} is the built-in {key} field's key; choose another")
            self.key = key
        if self.type == "select":
            options = [_label(o) for o in self.options]
            if not options:
                raise ValueError(f"the select field “{self.label}” needs at least one option")
            if len({o.lower() for o in options}) != len(options):
                raise ValueError(f"the select field “{self.label}” lists an option twice")
            if any(len(o) > MAX_LABEL for o in options):
                raise ValueError(f"an option is longer than {MAX_LABEL} characters")
            self.options = options
        elif self.options:
            raise ValueError(f"only select fields have options (“{self.label}” is {self.type})")
        if self.type == "category":
            if not self.categories:
                raise ValueError("the category field needs at least one category")
            keys = [c.key for c in self.categories]
            if len(set(keys)) != len(keys):
                raise ValueError("two categories have the same key")
        elif self.categories:
            raise ValueError(f"only the category field has categories (“{self.label}”)")
        return self

    @property
    def name(self) -> str:
        """The field's key (always set once validated)."""
        assert self.key is not None
        return self.key


class PrechatConfig(BaseModel):
    """A site's pre-chat form: on or off, and its fields in the order visitors see them."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    fields: list[PrechatField] = Field(default_factory=list, max_length=MAX_FIELDS)

    @model_validator(mode="after")
    def _fields(self) -> PrechatConfig:
        keys = [f.name for f in self.fields]
        twice = sorted({k for k in keys if keys.count(k) > 1})
        if twice:
            raise ValueError(f"each field appears once; repeated: {', '.join(twice)}")
        if self.enabled and not self.fields:
            raise ValueError("add at least one field before turning the form on")
        return self

    def field(self, key: str) -> PrechatField | None:
        """The field with this key."""
        return next((f for f in self.fields if f.key == key), None)


class PrechatOut(BaseModel):
    """A site's pre-chat form as the console edits it."""

    site_id: int
    prechat: PrechatConfig


# ---- the widget ----


class WidgetCategory(BaseModel):
    """A category as visitors choose it (its team stays on the server)."""

    key: str
    label: str


class WidgetField(BaseModel):
    """A question the widget asks."""

    key: str
    type: FieldType
    label: str
    required: bool
    options: list[str] = []
    categories: list[WidgetCategory] = []


class WidgetPrechat(BaseModel):
    """The questions this visitor still has to answer before their first message."""

    fields: list[WidgetField]


def _answer(v: Any) -> str | bool:
    if isinstance(v, bool):
        return v
    if not isinstance(v, str):
        raise ValueError("an answer is text, or true/false for a checkbox")
    if len(v) > MAX_RAW_ANSWER:
        raise ValueError(f"an answer is at most {MAX_RAW_ANSWER} characters")
    return v


Answer = Annotated[str | bool, PlainValidator(_answer)]


class PrechatAnswersIn(BaseModel):
    """The visitor's answers, by field key: text for text fields and choices (a category's
    key, a select's option), true/false for a checkbox."""

    model_config = ConfigDict(extra="forbid")

    answers: dict[str, Answer] = Field(max_length=MAX_FIELDS)


class PrechatAnswer(BaseModel):
    """One answer as stored on the conversation and shown to agents."""

    key: str
    type: FieldType
    label: str
    value: str | bool


class PrechatStored(BaseModel):
    """What ``context["prechat"]`` holds: the answers in form order, the chosen category
    (key and label) and the team it maps to, which routing reads."""

    answers: list[PrechatAnswer]
    category: str | None = None
    category_label: str | None = None
    department: str | None = None
    at: datetime


class PrechatAcceptedOut(BaseModel):
    """The stored answers."""

    prechat: PrechatStored


def widget_view(fields: list[PrechatField]) -> WidgetPrechat:
    """The questions as the widget renders them."""
    return WidgetPrechat(
        fields=[
            WidgetField(
                key=f.name,
                type=f.type,
                label=f.label,
                required=f.required,
                options=list(f.options),
                categories=[WidgetCategory(key=c.key, label=c.label) for c in f.categories],
            )
            for f in fields
        ]
    )


def loc(key: str) -> list[Any]:
    """Where an answer's error points (the request body's shape)."""
    return ["body", "answers", key]
