"""Nodes and routers of the support graph.

Nodes are small async functions returning partial state updates; routers are pure
functions of the state (and the context's knobs) returning a Literal. Anything
CPU-bound (embedding, Chroma, langdetect) runs in a worker thread so one
conversation's turn never stalls the event loop that serves everyone's streams.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any, Literal

import numpy as np
from langchain_core.messages import AIMessage, AnyMessage, HumanMessage
from langgraph.config import get_stream_writer
from langgraph.runtime import Runtime
from langgraph.types import interrupt

from graphs.support.context import SupportContext, default_context
from graphs.support.facts import build_summary, extract_facts, redact_facts
from graphs.support.passages import select_passage, stream_pieces
from graphs.support.state import Escalation, SourceRef, SupportState
from knowledge.store import Hit, SentenceSet, chunk_units

__all__ = [
    "answer",
    "detect_intent",
    "escalate",
    "handoff",
    "intake",
    "retrieve",
    "route_after_handoff",
    "route_intent",
    "route_retrieval",
    "smalltalk",
]

# Visitor messages beyond this are cut before classification and retrieval: the
# model only reads 256 tokens anyway, and huge pastes must not slow everyone down.
MAX_QUERY_CHARS = 2000

# Short messages opening like this continue the previous question ("and for e-bikes?").
_FOLLOW_UP = re.compile(
    r"^\s*(and|also|what about|how about|what if|same for|and if|y|et|und|e)\b|"
    r"\b(it|that|this|those|them|they|one)\b\W*$",
    re.IGNORECASE,
)


def _ctx(runtime: Runtime[SupportContext] | None) -> SupportContext:
    """The run's context; a default one when none was given (LangGraph Studio)."""
    ctx = runtime.context if runtime is not None else None
    if isinstance(ctx, SupportContext):
        return ctx
    return default_context(ctx if isinstance(ctx, dict) else None)


def _text(message: AnyMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    # Multimodal content: keep the text parts (attachments are the app's business).
    return " ".join(
        str(part.get("text", "")) if isinstance(part, dict) else str(part) for part in content
    ).strip()


def _visitor_texts(messages: Sequence[AnyMessage]) -> list[str]:
    return [_text(m) for m in messages if isinstance(m, HumanMessage)]


def _emit(text: str, words: int) -> None:
    """Stream a reply to the caller in small deltas (LangGraph "custom" stream mode)."""
    writer = get_stream_writer()
    for piece in stream_pieces(text, words):
        writer({"type": "delta", "text": piece})


def _source(hit: dict[str, Any]) -> SourceRef:
    return SourceRef(
        slug=hit["slug"], title=hit["title"], url=hit["url"], score=round(float(hit["score"]), 4)
    )


def _distinct_sources(hits: Sequence[dict[str, Any]]) -> list[SourceRef]:
    seen: dict[str, SourceRef] = {}
    for hit in hits:
        seen.setdefault(hit["slug"], _source(hit))
    return list(seen.values())


# -- nodes -----------------------------------------------------------------


async def intake(state: SupportState) -> dict[str, Any]:
    """Take the newest visitor message as this turn's query and reset per-turn fields."""
    texts = _visitor_texts(state.get("messages", []))
    query = re.sub(r"\s+", " ", texts[-1] if texts else "").strip()[:MAX_QUERY_CHARS]
    return {
        "query": query,
        "reply": "",
        "hits": [],
        "search_query": "",
        "sources": [],
        "escalation": None,
        "turns": state.get("turns", 0) + 1,
    }


async def detect_intent(state: SupportState, runtime: Runtime[SupportContext]) -> dict[str, Any]:
    """Classify the intent (embedding similarity to examples) and detect the language."""
    ctx = _ctx(runtime)
    query = state.get("query", "")

    def work() -> tuple[Any, str]:
        return (
            ctx.classifier.classify(query),
            ctx.language.detect(query, previous=state.get("lang")),
        )

    match, lang = await asyncio.to_thread(work)
    return {
        "intent": match.name,
        "confidence": round(match.confidence, 4),
        "action": match.action,
        "department": match.department,
        "lang": lang,
    }


async def retrieve(state: SupportState, runtime: Runtime[SupportContext]) -> dict[str, Any]:
    """Search the knowledge base for the question (with the previous one for follow-ups)."""
    ctx = _ctx(runtime)
    query = redact_facts(state.get("query", ""))
    earlier = _visitor_texts(state.get("messages", []))[:-1]

    def work() -> tuple[str, list[Hit]]:
        hits = ctx.store.search(query, ctx.top_k)
        if earlier and len(query.split()) <= 6 and _FOLLOW_UP.search(query):
            # "What about e-bikes?" means little alone; with the previous question it
            # usually retrieves better. Keep whichever search is more confident.
            combined_query = f"{redact_facts(earlier[-1])} {query}"
            combined = ctx.store.search(combined_query, ctx.top_k)
            if combined and (not hits or combined[0].score > hits[0].score):
                return combined_query, combined
        return query, hits

    search_query, hits = await asyncio.to_thread(work)
    as_dicts = [asdict(h) for h in hits]
    return {
        "hits": as_dicts,
        "sources": _distinct_sources(as_dicts),
        "search_query": search_query,
    }


async def answer(state: SupportState, runtime: Runtime[SupportContext]) -> dict[str, Any]:
    """Answer extractively: the best sentences of the best chunk, with a citation, streamed."""
    ctx = _ctx(runtime)
    hits = state.get("hits") or []
    top = hits[0]["score"]
    candidates = [
        h for h in hits if h["score"] >= max(top - ctx.rerank_margin, ctx.answer_threshold)
    ]
    # The same text retrieval used (a follow-up includes the previous question).
    question = state.get("search_query") or redact_facts(state.get("query", ""))

    def work() -> tuple[dict[str, Any], str]:
        embedder = ctx.store.embedder
        qvec = embedder.embed_one(question)
        stored = ctx.store.sentences([h["id"] for h in candidates if h.get("id")])
        best: tuple[float, dict[str, Any], list[str], np.ndarray] | None = None
        for hit in candidates:
            sentences = stored.get(hit.get("id", ""))
            if sentences is None:
                # Store built without sentence vectors: embed now (memoised).
                units = chunk_units(hit["text"])
                sentences = SentenceSet(units, embedder.embed_many_cached(units))
            if not sentences.units:
                continue
            sims = sentences.vectors @ qvec
            # The chunk holding the single most relevant sentence wins: chunk scores
            # within the margin are too close to tell which section answers.
            if best is None or float(sims.max()) > best[0]:
                best = (float(sims.max()), hit, sentences.units, sims)
        if best is None:
            return hits[0], hits[0]["text"][: ctx.max_answer_chars]
        _, hit, units, sims = best
        passage = select_passage(
            units, sims, max_chars=ctx.max_answer_chars, min_relative=ctx.sentence_min_relative
        )
        return hit, passage

    hit, passage = await asyncio.to_thread(work)
    # The citation travels as structured sources (the widget and console link them), so
    # the text stays the passage alone and is not shown twice.
    reply = passage
    _emit(reply, ctx.stream_words)
    return {"messages": [AIMessage(content=reply)], "reply": reply, "sources": [_source(hit)]}


async def smalltalk(state: SupportState, runtime: Runtime[SupportContext]) -> dict[str, Any]:
    """Reply to greetings and goodbyes with a fixed phrase in the visitor's language."""
    ctx = _ctx(runtime)
    intent = state.get("intent", "greeting")
    name = intent if intent in ("greeting", "goodbye") else "greeting"
    reply = ctx.phrases.get(name, state.get("lang", "en"))
    _emit(reply, ctx.stream_words)
    return {"messages": [AIMessage(content=reply)], "reply": reply, "sources": []}


async def escalate(state: SupportState, runtime: Runtime[SupportContext]) -> dict[str, Any]:
    """Tell the visitor a person is coming and prepare the handoff for the agent."""
    ctx = _ctx(runtime)
    intent = state.get("intent", "question")
    reason = intent if state.get("action") == "escalate" else "low_confidence"
    lang = state.get("lang", "en")
    phrase = {"low_confidence": "no_answer", "complaint": "handoff_complaint"}.get(
        reason, "handoff"
    )
    reply = ctx.phrases.get(phrase, lang)
    visitor = _visitor_texts(state.get("messages", []))
    facts = extract_facts(visitor)
    sources = list(state.get("sources") or [])
    confidence = float(state.get("confidence", 0.0))
    if reason == "low_confidence" and state.get("hits"):
        # For a knowledge-base miss the useful confidence is the retrieval score.
        confidence = round(float(state["hits"][0]["score"]), 4)
    escalation = Escalation(
        reason=reason,
        intent=intent,
        confidence=confidence,
        lang=lang,
        department=state.get("department", "support"),
        summary=build_summary(
            reason=reason,
            intent=intent,
            confidence=confidence,
            lang=lang,
            visitor_messages=visitor,
            facts=facts,
            sources=[dict(s) for s in sources],
        ),
        facts=facts,
        sources=sources,
        question=state.get("query", ""),
    )
    _emit(reply, ctx.stream_words)
    return {"messages": [AIMessage(content=reply)], "reply": reply, "escalation": escalation}


async def handoff(state: SupportState) -> dict[str, Any]:
    """Pause for a human (interrupt); when handed back, take in what happened meanwhile."""
    # Kept apart from `escalate`: a resumed node runs again from its start, and the
    # visitor must not see the handoff message twice.
    resume = interrupt(state.get("escalation"))
    messages: list[AnyMessage] = []
    if isinstance(resume, dict):
        # The agent's side of the conversation, so follow-ups keep their context.
        for item in resume.get("transcript") or []:
            role, content = str(item.get("role", "")), str(item.get("content", ""))
            if not content:
                continue
            if role in ("visitor", "user", "human"):
                messages.append(HumanMessage(content=content))
            else:
                messages.append(AIMessage(content=content, name="agent"))
        text = str(resume.get("text") or "")
        message_id = resume.get("message_id")
    else:
        text, message_id = (resume if isinstance(resume, str) else ""), None
    if text.strip():
        messages.append(
            HumanMessage(content=text, id=message_id) if message_id else HumanMessage(content=text)
        )
    return {"messages": messages, "escalation": None}


# -- routers ---------------------------------------------------------------


def route_intent(state: SupportState) -> Literal["smalltalk", "escalate", "retrieve"]:
    """Small talk gets a fixed reply, escalation intents go to a human, the rest retrieves."""
    action = state.get("action", "answer")
    if action == "smalltalk":
        return "smalltalk"
    if action == "escalate":
        return "escalate"
    return "retrieve"


def route_retrieval(
    state: SupportState, runtime: Runtime[SupportContext]
) -> Literal["answer", "escalate"]:
    """Answer only when the best chunk clears the calibrated threshold."""
    hits = state.get("hits") or []
    if hits and float(hits[0]["score"]) >= _ctx(runtime).answer_threshold:
        return "answer"
    return "escalate"


def route_after_handoff(state: SupportState) -> Literal["intake", "__end__"]:
    """Handed back with a new visitor message: process it; otherwise stop and wait."""
    messages = state.get("messages") or []
    if messages and isinstance(messages[-1], HumanMessage):
        return "intake"
    return "__end__"
