"""State of the support graph (one thread per conversation)."""

from __future__ import annotations

from typing import Annotated, Any, TypedDict

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages

__all__ = ["Escalation", "InputState", "SourceRef", "SupportState"]


class SourceRef(TypedDict):
    """An article the bot used or considered (JSON-serialisable for checkpoints)."""

    slug: str
    title: str
    url: str
    score: float


class Escalation(TypedDict):
    """Why and with what the conversation goes to a human (the interrupt payload)."""

    reason: str  # human_request | complaint | billing_dispute | ... | low_confidence
    intent: str
    confidence: float
    lang: str
    department: str
    summary: str
    facts: dict[str, list[str]]
    sources: list[SourceRef]
    question: str


class InputState(TypedDict):
    """What a caller sends: the new visitor message(s)."""

    messages: Annotated[list[AnyMessage], add_messages]


class SupportState(InputState, total=False):
    """Full state; everything but messages is about the current turn."""

    query: str  # this turn's visitor text
    search_query: str  # what retrieval searched for (follow-ups add the previous question)
    intent: str
    confidence: float
    action: str  # answer | escalate | smalltalk
    department: str
    lang: str
    hits: list[dict[str, Any]]  # retrieved chunks of this turn (text included)
    sources: list[SourceRef]
    reply: str
    escalation: Escalation | None
    turns: int
