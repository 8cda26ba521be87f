"""Webhook subscription, delivery-log and inbound-sync shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, field_validator, model_validator

from app.contacts.schemas import clean_attributes, clean_email, clean_name
from app.crm.events import EVENT_TYPES
from app.crm.models import WebhookAttempt, WebhookDelivery, WebhookSubscription


def _url(v: str) -> str:
    v = v.strip()
    parts = urlsplit(v)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("the URL must be an http:// or https:// address")
    if parts.username or parts.password:
        raise ValueError("put credentials in the signature secret, not in the URL")
    return v


def _events(v: list[str]) -> list[str]:
    out: list[str] = []
    for e in v:
        e = e.strip()
        if e == "*":
            return []
        if e not in EVENT_TYPES:
            raise ValueError(f"unknown event type {e[:60]!r}; known: {', '.join(EVENT_TYPES)}")
        if e not in out:
            out.append(e)
    return out


class SubscriptionIn(BaseModel):
    """A new webhook subscription; ``events`` empty (or ``["*"]``) means every event."""

    site_id: int
    url: str = Field(max_length=2048)
    events: list[str] = Field(default_factory=list, max_length=len(EVENT_TYPES) + 1)
    active: bool = True
    description: str = Field(default="", max_length=200)

    _url = field_validator("url")(_url)
    _events = field_validator("events")(_events)


class SubscriptionPatch(BaseModel):
    """Change a subscription (pause with ``{"active": false}``)."""

    url: str | None = Field(default=None, max_length=2048)
    events: list[str] | None = Field(default=None, max_length=len(EVENT_TYPES) + 1)
    active: bool | None = None
    description: str | None = Field(default=None, max_length=200)

    @field_validator("url")
    @classmethod
    def _u(cls, v: str | None) -> str | None:
        return None if v is None else _url(v)

    @field_validator("events")
    @classmethod
    def _e(cls, v: list[str] | None) -> list[str] | None:
        return None if v is None else _events(v)


class SubscriptionOut(BaseModel):
    """A subscription with its secret (admins only) and delivery counts."""

    id: int
    site_id: int
    kind: str
    url: str
    secret: str
    events: list[str]
    active: bool
    description: str
    created_at: datetime
    updated_at: datetime
    counts: dict[str, int] = Field(default_factory=dict)

    @classmethod
    def of(cls, s: WebhookSubscription, counts: dict[str, int] | None = None) -> SubscriptionOut:
        """Build from the model."""
        assert s.id is not None
        return cls(
            id=s.id,
            site_id=s.site_id,
            kind=s.kind,
            url=s.url,
            secret=s.secret,
            events=list(s.events or []),
            active=s.active,
            description=s.description,
            created_at=s.created_at,
            updated_at=s.updated_at,
            counts=counts or {},
        )


class AttemptOut(BaseModel):
    """One try of a delivery."""

    attempt: int
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int

    @classmethod
    def of(cls, a: WebhookAttempt) -> AttemptOut:
        """Build from the model."""
        return cls(
            attempt=a.attempt,
            at=a.at,
            status_code=a.status_code,
            error=a.error,
            duration_ms=a.duration_ms,
        )


class DeliveryOut(BaseModel):
    """A row of the delivery log."""

    id: int
    delivery_id: str
    subscription_id: int
    event_type: str
    conversation_id: int | None
    contact_id: int | None
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    last_duration_ms: int | None
    delivered_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, d: WebhookDelivery) -> DeliveryOut:
        """Build from the model."""
        assert d.id is not None
        status = d.status.value if hasattr(d.status, "value") else str(d.status)
        return cls(
            id=d.id,
            delivery_id=d.delivery_id,
            subscription_id=d.subscription_id,
            event_type=d.event_type,
            conversation_id=d.conversation_id,
            contact_id=d.contact_id,
            status=status,
            attempts=d.attempts,
            next_attempt_at=d.next_attempt_at if status == "pending" else None,
            last_attempt_at=d.last_attempt_at,
            last_status_code=d.last_status_code,
            last_error=d.last_error,
            last_duration_ms=d.last_duration_ms,
            delivered_at=d.delivered_at,
            created_at=d.created_at,
        )


class DeliveryDetail(DeliveryOut):
    """A delivery with its payload and every attempt."""

    payload: dict[str, Any]
    attempt_log: list[AttemptOut]


class DeliveryList(BaseModel):
    """A page of the delivery log."""

    items: list[DeliveryOut]
    total: int


class ReplayOut(BaseModel):
    """How many deliveries were queued again."""

    replayed: int


class InboundContactIn(BaseModel):
    """The CRM updates a contact: found by ``external_id`` (created if new) or ``contact_id``.

    Attributes are merged; a null value removes one.
    """

    external_id: str | None = Field(default=None, min_length=1, max_length=200)
    contact_id: int | None = None
    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=254)
    attributes: dict[str, Any] = Field(default_factory=dict)

    _email = field_validator("email")(clean_email)
    _name = field_validator("name")(clean_name)
    _attributes = field_validator("attributes", mode="before")(clean_attributes)

    @model_validator(mode="after")
    def _which(self) -> InboundContactIn:
        if (self.external_id is None) == (self.contact_id is None):
            raise ValueError("give exactly one of external_id or contact_id")
        return self
