"""Request and response shapes of conversations and messages (see docs/api.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, model_validator

from app.contacts.schemas import ContactBrief
from app.conversations.models import Conversation, Message
from app.files.schemas import MAX_PER_MESSAGE, AttachmentOut

MAX_TEXT = 5000


class SourceOut(BaseModel):
    """An article a bot answer cites."""

    slug: str
    title: str
    url: str


class MessageOut(BaseModel):
    """A message as both visitors and agents see it."""

    id: int
    conversation_id: int
    seq: int
    sender: str
    author_name: str | None
    text: str
    sources: list[SourceOut]
    client_message_id: str | None
    stream_id: str | None
    created_at: datetime
    # Buttons offered under a bot message (clarification choices, "Talk to a person").
    quick_replies: list[str] = []
    # Files sent with the message (its text may then be empty).
    attachments: list[AttachmentOut] = []

    @classmethod
    def of(cls, m: Message) -> MessageOut:
        """Build from the model."""
        assert m.id is not None
        return cls(
            id=m.id,
            conversation_id=m.conversation_id,
            seq=m.seq,
            sender=m.sender.value if hasattr(m.sender, "value") else str(m.sender),
            author_name=m.author_name,
            text=m.text,
            sources=[
                SourceOut(**{k: s.get(k, "") for k in ("slug", "title", "url")}) for s in m.sources
            ],
            client_message_id=m.client_message_id,
            stream_id=m.stream_id,
            created_at=m.created_at,
            quick_replies=[str(q) for q in m.quick_replies or []],
            attachments=[AttachmentOut.from_brief(a) for a in m.attachments or []],
        )


class VisitorConversationOut(BaseModel):
    """What a visitor may know about their conversation."""

    id: int
    status: str
    assignee_name: str | None
    created_at: datetime
    last_seq: int
    # Escalated out of business hours: the widget shows the offline form (status queued).
    offline: bool = False
    # The email left with the offline message (None until the form is sent).
    offline_email: str | None = None
    # Closing: when it closed, and the visitor's rating (None: not rated yet, so the
    # widget asks once after a close; see app/csat).
    closed_at: datetime | None = None
    csat_rating: int | None = None
    # Read receipts: an agent has read everything up to this sequence number.
    agent_read_seq: int = 0


class AgentRef(BaseModel):
    """An agent as shown next to a conversation."""

    id: int
    name: str


class ConversationSummary(BaseModel):
    """A row of the inbox."""

    id: int
    site_id: int | None = None
    status: str
    priority: int
    team: str | None = None  # the department an escalation was routed to (billing, sales...)
    assignee: AgentRef | None
    visitor_name: str
    last_message: dict[str, Any] | None
    intent: str | None
    confidence: float | None
    handoff_reason: str | None
    created_at: datetime
    updated_at: datetime
    # An offline message: left out of business hours, to answer when the team is back.
    offline: bool = False
    offline_email: str | None = None  # typed by the visitor, unverified
    # Routing: labels, the language, when it joined the queue and when its agent got it.
    labels: list[str] = []
    lang: str | None = None
    queued_at: datetime | None = None
    assigned_at: datetime | None = None


class PageViewOut(BaseModel):
    """A page of the visitor's trail."""

    url: str
    title: str
    at: datetime


class CsatOut(BaseModel):
    """The visitor's satisfaction rating of a closed conversation."""

    conversation_id: int
    rating: int
    comment: str | None
    submitted_at: datetime


def csat_of(c: Conversation) -> CsatOut | None:
    """The conversation's rating, if the visitor gave one."""
    if c.csat_rating is None or c.csat_at is None or c.id is None:
        return None
    return CsatOut(
        conversation_id=c.id, rating=c.csat_rating, comment=c.csat_comment, submitted_at=c.csat_at
    )


class ConversationDetail(ConversationSummary):
    """Everything an agent needs to pick a conversation up."""

    context: dict[str, Any]
    page_views: list[PageViewOut]
    messages: list[MessageOut]
    handoff: dict[str, Any] | None
    # Routing decisions, assignments, transfer notes and private notes (agents only),
    # oldest first.
    activity: list[dict[str, Any]] = []
    closed_at: datetime | None = None
    csat: CsatOut | None = None
    # The verified contact and their earlier conversations (a returning visitor).
    contact: ContactBrief | None = None
    # Read receipts: how far the visitor (shown as "Seen") and the agents have read.
    visitor_read_seq: int = 0
    agent_read_seq: int = 0


class ConversationList(BaseModel):
    """An inbox view with the counts of every view."""

    items: list[ConversationSummary]
    counts: dict[str, int]


def _clean_text(v: str) -> str:
    v = v.replace("\x00", "").strip()
    if not v:
        raise ValueError("Message text is empty.")
    return v


class MessageIn(BaseModel):
    """A message sent by a visitor or an agent: text, files uploaded before (their ids), or both."""

    client_message_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
    text: str = Field(default="", max_length=MAX_TEXT)
    attachments: list[int] = Field(default_factory=list, max_length=MAX_PER_MESSAGE)

    @model_validator(mode="after")
    def _not_empty(self) -> MessageIn:
        self.text = self.text.replace("\x00", "").strip()
        if not self.text and not self.attachments:
            raise ValueError("Message text is empty.")
        return self


class AssignIn(BaseModel):
    """Whom to assign (None: the caller)."""

    agent_id: int | None = None


class TypingIn(BaseModel):
    """A typing indicator change."""

    typing: bool


def visitor_view(c: Conversation, assignee_name: str | None) -> VisitorConversationOut:
    """The visitor-safe view of a conversation."""
    assert c.id is not None
    handoff = c.handoff or {}
    return VisitorConversationOut(
        id=c.id,
        status=c.status.value if hasattr(c.status, "value") else str(c.status),
        assignee_name=assignee_name,
        created_at=c.created_at,
        last_seq=c.last_seq,
        offline=bool(handoff.get("offline")),
        offline_email=handoff.get("email"),
        closed_at=c.closed_at,
        csat_rating=c.csat_rating,
        agent_read_seq=c.agent_read_seq or 0,
    )
