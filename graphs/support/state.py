"""State of the support graph (one thread per conversation)."""

from __future__ import annotations

from typing import Annotated, Any, TypedDict

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages

__all__ = ["Clarification", "Escalation", "InputState", "Pick", "SourceRef", "SupportState"]


class SourceRef(TypedDict):
    """An article the bot used or considered (JSON-serialisable for checkpoints)."""

    slug: str
    title: str
    url: str
    score: float


class Pick(TypedDict):
    """The best answer candidate of one article for this turn's question."""

    slug: str
    title: str
    url: str
    score: float  # the article's best chunk score (retrieval)
    sentence_score: float  # cosine of its best sentence to the question
    agreement: float  # cosine of its best sentence to the first pick's (1.0 for the first)
    passage: str  # the extractive answer from this article
    chunk_id: str
    text: str  # the chunk (LLM passage)


class Clarification(TypedDict):
    """A question the bot asked back: which article the visitor meant."""

    question: str  # the visitor's question (what to answer once they choose)
    options: list[SourceRef]


class Escalation(TypedDict, total=False):
    """Why and with what the conversation goes to a human (the interrupt payload)."""

    reason: str  # human_request | vip_customer | billing_dispute | ... | low_confidence
    intent: str
    confidence: float
    lang: str
    department: str
    summary: str
    summary_by: str  # llm | extractive
    facts: dict[str, list[str]]
    sources: list[SourceRef]
    question: str
    history: list[dict[str, Any]]  # the contact's earlier conversations (as given)
    offline: bool  # out of business hours: the visitor gets the offline form, not a queue


class InputState(TypedDict, total=False):
    """What a caller sends: the new visitor message(s) and what the app knows."""

    messages: Annotated[list[AnyMessage], add_messages]
    contact: dict[str, Any]  # contact attributes (e.g. {"vip": true, "plan": "pro"})
    history: list[dict[str, Any]]  # the contact's earlier conversations
    prechat: list[str]  # the pre-chat form's answers, "Label: value" (handoff summary)
    # Out of business hours (or nobody can take chats): escalations end in the
    # offline form instead of a queue.
    offline: bool


class SupportState(InputState, total=False):
    """Full state; the fields under "this turn" are reset by intake."""

    # -- this turn
    query: str  # this turn's visitor text
    search_query: str  # what retrieval searched for (follow-ups add the previous topic)
    intent: str
    confidence: float
    intent_by: str  # pattern | embedding | llm
    action: str  # answer | escalate | smalltalk
    department: str
    lang: str
    hits: list[dict[str, Any]]  # retrieved chunks of this turn (text included)
    picks: list[Pick]  # best candidate per article, best first
    sources: list[SourceRef]
    reply: str
    escalation: Escalation | None
    escalate_reason: str | None  # set by the policy check
    escalate_confidence: float
    phrase: str | None  # a fixed phrase to reply with (small talk, refusals, recovery)
    quick_replies: list[str]
    clarified: SourceRef | None  # the article the visitor chose from a clarification
    answered_by: str  # llm | extractive | phrase | handoff | clarify
    llm_fallback: str | None  # why an LLM answer was not used
    grounding: float | None  # weakest sentence support of a generated answer
    # -- across turns
    turns: int
    topic: SourceRef | None  # the article the last answer cited
    clarify: Clarification | None  # an open clarification question
    unhelpful_streak: int
    answered_last: bool  # the previous turn answered from the knowledge base
    policy_fired: list[str]  # once-per-conversation rules that already fired
