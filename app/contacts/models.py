"""Contacts: the people behind visitor sessions, and the notes agents keep on them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, ForeignKey, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.db import JSONType, UTCDateTime, utcnow


class Contact(SQLModel, table=True):
    """A known person on a site.

    A contact is only ever reached through a verified identity (``external_id``, the
    site's own user id, proven by an HMAC signature or a signed JWT), through the CRM, or
    by an agent: an email a visitor typed never links a session to one (DESIGN §4).
    """

    __table_args__ = (UniqueConstraint("site_id", "external_id", name="uq_contact_site_external"),)

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    external_id: str | None = Field(default=None, max_length=200, index=True)
    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320, index=True)
    attributes: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSONType, nullable=False)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ContactNote(SQLModel, table=True):
    """A private note an agent wrote on a contact (never shown to the visitor)."""

    __tablename__ = "contact_note"

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("contact.id", ondelete="CASCADE"), index=True, nullable=False
        )
    )
    author_id: int | None = Field(default=None, foreign_key="agent.id")
    author_name: str = Field(default="", max_length=200)
    text: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
