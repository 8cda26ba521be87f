"""Contact shapes: the widget's identify call, the console's contacts, notes and timeline."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from app.contacts.models import Contact, ContactNote

MAX_ATTRIBUTES = 50
MAX_ATTRIBUTE_TEXT = 500
_ATTR_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,49}$")
# Pragmatic, not RFC 5322: one @, no spaces or list/quote characters, a dotted domain.
_EMAIL = re.compile(
    r"^[^\x00-\x1f\x7f\s@<>()\[\],;:\\\"]+@[^\x00-\x1f\x7f\s@<>()\[\],;:\\\".]+"
    r"(?:\.[^\x00-\x1f\x7f\s@<>()\[\],;:\\\".]+)+$"
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def clean_attributes(value: dict[str, Any] | None) -> dict[str, Any]:
    """Attributes are flat: up to 50 keys of scalars (text ≤ 500 characters); None removes."""
    if value is None:
        return {}
    if len(value) > MAX_ATTRIBUTES:
        raise ValueError(f"at most {MAX_ATTRIBUTES} attributes")
    out: dict[str, Any] = {}
    for key, v in value.items():
        if not isinstance(key, str) or not _ATTR_KEY.match(key):
            raise ValueError(
                f"attribute name {str(key)[:60]!r} must start with a letter and use letters, "
                "digits, _, . or - (at most 50)"
            )
        if isinstance(v, str):
            if len(v) > MAX_ATTRIBUTE_TEXT:
                raise ValueError(f"attribute {key!r} is longer than {MAX_ATTRIBUTE_TEXT}")
            v = _CONTROL.sub(" ", v)
        elif v is not None and not isinstance(v, bool | int | float):
            raise ValueError(f"attribute {key!r} must be text, a number, true/false or null")
        out[key] = v
    return out


def clean_email(value: str | None) -> str | None:
    """A plausible email address, or None for an empty one."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if not _EMAIL.match(value):
        raise ValueError("that email address does not look right (name@example.com)")
    return value


def clean_name(value: str | None) -> str | None:
    """A display name on one line, or None for an empty one."""
    if value is None:
        return None
    value = " ".join(_CONTROL.sub(" ", value).split())
    return value or None


class IdentifyIn(BaseModel):
    """``Parley('identify', …)``: who the visitor is, proven by ``signature`` or ``jwt``."""

    id: str | None = Field(default=None, max_length=200, description="The site's user id.")
    email: str | None = Field(default=None, max_length=254)
    name: str | None = Field(default=None, max_length=200)
    attributes: dict[str, Any] = Field(default_factory=dict)
    signature: str | None = Field(
        default=None, max_length=256, description="Hex HMAC-SHA256 of id with the identity secret."
    )
    jwt: str | None = Field(
        default=None, max_length=4096, description="HS256 JWT with sub = id and exp."
    )

    _email = field_validator("email")(clean_email)
    _name = field_validator("name")(clean_name)
    _attributes = field_validator("attributes", mode="before")(clean_attributes)

    @field_validator("id")
    @classmethod
    def _id(cls, v: str | None) -> str | None:
        if v is None:
            return None
        v = v.strip()
        if not v:
            raise ValueError("the user id is empty")
        if _CONTROL.search(v):
            raise ValueError("the user id must not contain control characters")
        return v

    @model_validator(mode="after")
    def _proof(self) -> IdentifyIn:
        if self.signature is not None and self.jwt is not None:
            raise ValueError("send either signature or jwt, not both")
        if self.signature is not None and self.id is None:
            raise ValueError("a signature needs the id it signs")
        return self


class ContactRef(BaseModel):
    """A contact as a verified visitor may see themselves."""

    id: int
    external_id: str | None
    name: str | None
    email: str | None


class IdentifyOut(BaseModel):
    """Whether the identity was verified; the contact only when it was."""

    verified: bool
    contact: ContactRef | None = None


class ContactOut(BaseModel):
    """A contact in the console."""

    id: int
    site_id: int
    external_id: str | None
    verified: bool
    name: str | None
    email: str | None
    attributes: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    conversations: int = 0
    last_seen_at: datetime | None = None

    @classmethod
    def of(
        cls, c: Contact, *, conversations: int = 0, last_seen_at: datetime | None = None
    ) -> ContactOut:
        """Build from the model."""
        assert c.id is not None
        return cls(
            id=c.id,
            site_id=c.site_id,
            external_id=c.external_id,
            verified=c.external_id is not None,
            name=c.name,
            email=c.email,
            attributes=dict(c.attributes or {}),
            created_at=c.created_at,
            updated_at=c.updated_at,
            conversations=conversations,
            last_seen_at=last_seen_at,
        )


class ContactList(BaseModel):
    """A page of contacts."""

    items: list[ContactOut]
    total: int


class ContactIn(BaseModel):
    """A contact an agent creates by hand (unverified until the site identifies them)."""

    site_id: int
    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=254)
    attributes: dict[str, Any] = Field(default_factory=dict)

    _email = field_validator("email")(clean_email)
    _name = field_validator("name")(clean_name)
    _attributes = field_validator("attributes", mode="before")(clean_attributes)


class ContactPatch(BaseModel):
    """Change a contact: name, email, and attributes (replaced as a whole when given)."""

    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=254)
    attributes: dict[str, Any] | None = None

    _email = field_validator("email")(clean_email)
    _name = field_validator("name")(clean_name)

    @field_validator("attributes", mode="before")
    @classmethod
    def _attrs(cls, v: dict[str, Any] | None) -> dict[str, Any] | None:
        return None if v is None else clean_attributes(v)


class NoteIn(BaseModel):
    """A private note on a contact."""

    text: str = Field(min_length=1, max_length=5000)

    @field_validator("text")
    @classmethod
    def _text(cls, v: str) -> str:
        v = v.strip()
        if not v:
            raise ValueError("the note is empty")
        return v


class NoteOut(BaseModel):
    """A note as the console shows it."""

    id: int
    author_name: str
    text: str
    created_at: datetime

    @classmethod
    def of(cls, n: ContactNote) -> NoteOut:
        """Build from the model."""
        assert n.id is not None
        return cls(id=n.id, author_name=n.author_name, text=n.text, created_at=n.created_at)


class TimelineItem(BaseModel):
    """One entry of a contact's timeline, newest first."""

    kind: Literal["conversation", "page_view", "note"]
    at: datetime
    conversation_id: int | None = None
    status: str | None = None
    first_message: str | None = None
    intent: str | None = None
    handoff_reason: str | None = None
    url: str | None = None
    title: str | None = None
    note: NoteOut | None = None


class ContactDetail(ContactOut):
    """A contact with its timeline."""

    timeline: list[TimelineItem]


class MergeIn(BaseModel):
    """Merge another contact into this one (the other one goes away)."""

    other_id: int


class EarlierConversation(BaseModel):
    """One of a returning contact's earlier conversations, as agents see it."""

    conversation_id: int
    status: str
    started_at: datetime
    first_message: str | None
    handoff_reason: str | None
    summary: str | None


class ContactBrief(BaseModel):
    """Who the visitor is, for the agent's context panel (verified contacts only)."""

    id: int
    external_id: str | None
    verified: bool
    name: str | None
    email: str | None
    attributes: dict[str, Any]
    conversations: int
    earlier: list[EarlierConversation]
