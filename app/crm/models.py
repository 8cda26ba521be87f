"""CRM sync: webhook subscriptions per site, and the durable outbox of deliveries."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Text
from sqlmodel import Field, SQLModel

from app.db import JSONType, UTCDateTime, utcnow


class DeliveryStatus(StrEnum):
    """A delivery waits (and is retried), arrived, or gave up after the last attempt."""

    pending = "pending"
    delivered = "delivered"
    dead = "dead"


class WebhookSubscription(SQLModel, table=True):
    """Where a site's CRM events go, signed with the subscription's secret."""

    __tablename__ = "webhook_subscription"

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("site.id", ondelete="CASCADE"), index=True, nullable=False
        )
    )
    # The connector that delivers (only "webhook" today; CRM-specific ones plug in here).
    kind: str = Field(default="webhook", sa_column=Column(String(20), nullable=False))
    url: str = Field(max_length=2048)
    # "whsec_" + base64 of the key (Standard Webhooks); also authenticates inbound sync.
    secret: str = Field(max_length=100)
    # Event types to send; empty means every type.
    events: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    active: bool = True
    description: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class WebhookDelivery(SQLModel, table=True):
    """One event for one subscription: the outbox row, written in the event's transaction,
    and its delivery log (attempts, last response, timings)."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        # The worker's claim: due pending rows, and "is an earlier one of this key waiting?".
        Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
        Index("ix_webhook_delivery_order", "subscription_id", "ordering_key", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # The webhook-id header: the same on every retry and replay, so receivers de-duplicate.
    delivery_id: str = Field(sa_column=Column(String(40), unique=True, nullable=False))
    subscription_id: int = Field(
        sa_column=Column(
            Integer,
            ForeignKey("webhook_subscription.id", ondelete="CASCADE"),
            index=True,
            nullable=False,
        )
    )
    site_id: int = Field(foreign_key="site.id", index=True)
    event_type: str = Field(max_length=50)
    # "conversation:<id>" or "contact:<id>": a later delivery of a key waits for the
    # earlier ones to be delivered or dead.
    ordering_key: str = Field(max_length=64)
    conversation_id: int | None = Field(default=None, foreign_key="conversation.id", index=True)
    contact_id: int | None = Field(default=None, foreign_key="contact.id", index=True)
    payload: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSONType, nullable=False)
    )
    status: DeliveryStatus = Field(
        default=DeliveryStatus.pending, sa_column=Column(String(20), nullable=False)
    )
    attempts: int = 0
    # When the worker may (re)try; while an attempt runs it is the end of the worker's lease.
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, max_length=500)
    last_duration_ms: int | None = None
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class WebhookAttempt(SQLModel, table=True):
    """One try of a delivery: what the receiver answered and how long it took."""

    __tablename__ = "webhook_attempt"

    id: int | None = Field(default=None, primary_key=True)
    delivery_pk: int = Field(
        sa_column=Column(
            Integer,
            ForeignKey("webhook_delivery.id", ondelete="CASCADE"),
            index=True,
            nullable=False,
        )
    )
    attempt: int
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    status_code: int | None = None
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    duration_ms: int = 0
