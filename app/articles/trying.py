""" "Try a question": run the real support graph against live or draft content, show its work."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from dataclasses import replace
from typing import Any, Literal

from sqlmodel.ext.asyncio.session import AsyncSession

from app.articles import repository as repo
from app.articles.index import article_url, get_store
from app.articles.schemas import SearchHit, TryIn, TryOut
from knowledge.overlay import DraftOverlayStore
from knowledge.store import ArticleInput, KnowledgeStore

__all__ = ["search", "try_question"]

_lock = threading.Lock()
_graph: Any = None
_contexts: dict[int, Any] = {}


def _graph_and_saver() -> Any:
    """One compiled support graph with an in-memory checkpointer, for tries only.

    Tries never touch the conversations' checkpointer: each runs on a fresh thread
    that is deleted afterwards, so a try cannot leak into a visitor's conversation.
    """
    global _graph
    with _lock:
        if _graph is None:
            from langgraph.checkpoint.memory import InMemorySaver

            from graphs.support.runtime import build_graph

            _graph = build_graph(InMemorySaver())
        return _graph


def _base_context(store: KnowledgeStore) -> Any:
    """The bot's own context (same intents, phrases and threshold), or one built for this store."""
    from app.bot import service as bot_service

    try:
        return bot_service.get_runtime().context
    except RuntimeError:
        pass
    from graphs.support.runtime import build_context

    with _lock:
        if id(store) not in _contexts:
            _contexts[id(store)] = build_context(store)
        return _contexts[id(store)]


async def _drafts(session: AsyncSession, body: TryIn) -> list[ArticleInput]:
    drafts: dict[str, ArticleInput] = {}
    if body.include_drafts:
        for a in await repo.all_articles(session):
            if a.published_version != a.version:
                drafts[a.slug] = ArticleInput(a.slug, a.title, article_url(a.slug), a.body, a.lang)
    if body.draft is not None:
        d = body.draft
        drafts[d.slug] = ArticleInput(d.slug, d.title, article_url(d.slug), d.body, d.lang)
    return list(drafts.values())


async def try_question(session: AsyncSession, body: TryIn) -> TryOut:
    """What the bot would answer (with drafts in place of live content if asked)."""
    from graphs.support.runtime import run_turn

    started = time.perf_counter()
    base = get_store()
    drafts = await _drafts(session, body)
    store: KnowledgeStore = (
        await asyncio.to_thread(DraftOverlayStore, base, drafts) if drafts else base
    )
    ctx = replace(_base_context(base), store=store)
    graph = _graph_and_saver()
    thread = f"kb-try-{uuid.uuid4()}"
    try:
        result = await run_turn(graph, thread_id=thread, text=body.question, context=ctx)
        state = (await graph.aget_state({"configurable": {"thread_id": thread}})).values
    finally:
        await graph.checkpointer.adelete_thread(thread)
    draft_slugs = {d.slug for d in drafts}
    hits = [
        SearchHit(
            slug=h["slug"],
            title=h["title"],
            section=h["section"],
            score=round(float(h["score"]), 4),
            text=h["text"],
            url=h["url"],
            draft=h["slug"] in draft_slugs,
        )
        for h in state.get("hits") or []
    ]
    action: Literal["answer", "escalate", "smalltalk"] = (
        "escalate"
        if result.escalated
        else ("smalltalk" if state.get("action") == "smalltalk" else "answer")
    )
    return TryOut(
        question=body.question,
        intent=result.intent,
        confidence=round(result.confidence, 4),
        lang=result.lang,
        action=action,
        reason=result.reason,
        answer=result.reply,
        threshold=ctx.answer_threshold,
        retrieved=hits,
        sources=[
            {
                "slug": s.slug,
                "title": s.title,
                "url": s.url,
                "score": round(s.score, 4),
                "draft": s.slug in draft_slugs,
            }
            for s in result.sources
        ],
        drafts=sorted(draft_slugs),
        ms=round((time.perf_counter() - started) * 1000, 1),
    )


async def search(query: str, k: int = 5) -> list[SearchHit]:
    """The best live chunks for a query (what the bot retrieves), best first."""
    hits = await asyncio.to_thread(get_store().search, query, k)
    return [
        SearchHit(
            slug=h.slug,
            title=h.title,
            section=h.section,
            score=round(h.score, 4),
            text=h.text,
            url=h.url,
        )
        for h in hits
    ]
