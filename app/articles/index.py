"""The vector index of published versions: the same KnowledgeStore the bot reads from."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from app.config import Settings, get_settings
from knowledge.store import ArticleInput, KnowledgeStore, UpsertStats

__all__ = ["IndexedArticle", "get_store", "index_articles", "set_store", "unindex_article"]

_lock = threading.Lock()
_stores: dict[str, KnowledgeStore] = {}
_override: KnowledgeStore | None = None


def set_store(store: KnowledgeStore | None) -> None:
    """Use this store for KB changes in this process (CLI, tests); None to go back to default."""
    global _override
    _override = store


def get_store(settings: Settings | None = None) -> KnowledgeStore:
    """The store visitors are answered from: the bot runtime's own, else one per location.

    Using the runtime's object (not merely the same directory) means an edit is visible
    to the very next bot turn, with no cache or second client in between.
    """
    if _override is not None:
        return _override
    from app.bot import service as bot_service

    try:
        store = bot_service.get_runtime().context.store
    except RuntimeError:
        store = None
    if isinstance(store, KnowledgeStore):
        return store
    settings = settings or get_settings()
    location = settings.chroma_url or str(settings.chroma_dir)
    with _lock:
        if location not in _stores:
            _stores[location] = KnowledgeStore(location)
        return _stores[location]


@dataclass(frozen=True, slots=True)
class IndexedArticle:
    """The published content of one article, as the index needs it."""

    slug: str
    title: str
    body: str
    lang: str


def article_url(slug: str, settings: Settings | None = None) -> str:
    """Where visitors read an article (the link the bot cites)."""
    public = (settings or get_settings()).public_url.rstrip("/")
    return f"{public}/help/{slug}"


async def index_articles(
    store: KnowledgeStore, articles: Sequence[IndexedArticle], *, batch: int = 16
) -> UpsertStats:
    """Upsert published content (only changed chunks are embedded), off the event loop."""
    settings = get_settings()
    inputs = [
        ArticleInput(a.slug, a.title, article_url(a.slug, settings), a.body, a.lang)
        for a in articles
    ]
    total = UpsertStats()
    for start in range(0, len(inputs), batch):
        total += await asyncio.to_thread(store.upsert_articles, inputs[start : start + batch])
    return total


async def unindex_article(store: KnowledgeStore, slug: str) -> int:
    """Remove every chunk of an article from the index."""
    return await asyncio.to_thread(store.delete_article, slug)
