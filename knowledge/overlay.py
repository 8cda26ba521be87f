"""Try drafts before they go live: the published index with some articles swapped in memory.

The live Chroma collection holds published content only, so the bot can never answer
from a draft. To show a support lead what the bot *would* say once a draft is
published, :class:`DraftOverlayStore` answers ``search``/``sentences`` like a
:class:`KnowledgeStore`: the published index minus the drafted articles, merged with
the drafts' chunks scored in numpy. Nothing is written to Chroma, so a try can
never leak into visitors' answers, and a draft of a few chunks costs only its own
embeddings (memoised by content hash, so re-trying the same draft is free).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from knowledge.chunking import Chunk, chunk_markdown
from knowledge.store import (
    ArticleInput,
    Hit,
    KnowledgeStore,
    SentenceSet,
    UpsertStats,
    chunk_units,
)

__all__ = ["DraftOverlayStore"]


@dataclass(frozen=True, slots=True)
class _DraftChunk:
    id: str
    slug: str
    title: str
    section: str
    url: str
    text: str
    vector: np.ndarray
    sentences: SentenceSet
    lang: str = "en"


_cache_lock = threading.Lock()
# (chunk hash) -> (chunk vector, sentence units, sentence vectors); bounded LRU.
_cache: OrderedDict[str, tuple[np.ndarray, list[str], np.ndarray]] = OrderedDict()
_CACHE_SIZE = 4096


class DraftOverlayStore(KnowledgeStore):
    """A read-only view: the base store's published chunks with draft articles in their place."""

    def __init__(self, base: KnowledgeStore, drafts: Sequence[ArticleInput]) -> None:
        # Deliberately not calling KnowledgeStore.__init__: no Chroma collections of our own.
        self.base = base
        self.client = base.client
        self.embedder = base.embedder
        self.max_chunk_chars = base.max_chunk_chars
        self.sentence_vectors = base.sentence_vectors
        self.collection = base.collection
        self.sentence_collection = base.sentence_collection
        self.draft_slugs = {d.slug for d in drafts}
        self.chunks: list[_DraftChunk] = self._embed(drafts)
        self._matrix = (
            np.stack([c.vector for c in self.chunks]).astype(np.float32)
            if self.chunks
            else np.zeros((0, self.embedder.dim), np.float32)
        )
        self._by_id = {c.id: c for c in self.chunks}

    def _embed(self, drafts: Sequence[ArticleInput]) -> list[_DraftChunk]:
        todo: list[tuple[ArticleInput, Chunk]] = []
        for d in drafts:
            for chunk in chunk_markdown(d.title, d.body_markdown, max_chars=self.max_chunk_chars):
                todo.append((d, chunk))
        with _cache_lock:
            missing = [(d, c) for d, c in todo if c.hash not in _cache]
        if missing:
            units = [chunk_units(c.text) for _, c in missing]
            texts = [c.embed_text for _, c in missing] + [u for us in units for u in us]
            vectors = self.embedder.embed(texts)
            offset = len(missing)
            with _cache_lock:
                for i, ((_, c), us) in enumerate(zip(missing, units, strict=True)):
                    _cache[c.hash] = (vectors[i], us, vectors[offset : offset + len(us)])
                    offset += len(us)
                while len(_cache) > _CACHE_SIZE:
                    _cache.popitem(last=False)
        out: list[_DraftChunk] = []
        with _cache_lock:
            for d, c in todo:
                vec, units_, svecs = _cache[c.hash]
                _cache.move_to_end(c.hash)
                out.append(
                    _DraftChunk(
                        id=f"{d.slug}#{c.index}",
                        slug=d.slug,
                        title=d.title,
                        section=c.section,
                        url=d.url,
                        text=c.text,
                        vector=vec,
                        sentences=SentenceSet(units_, svecs),
                        lang=d.lang,
                    )
                )
        return out

    def upsert_articles(self, articles: Sequence[ArticleInput]) -> UpsertStats:
        """Refused: a draft view never writes to the live index."""
        raise TypeError("DraftOverlayStore is read-only")

    def delete_article(self, slug: str) -> int:
        """Refused: a draft view never writes to the live index."""
        raise TypeError("DraftOverlayStore is read-only")

    def search(self, query: str, k: int = 4, *, lang: str | None = None) -> list[Hit]:
        """The k best chunks of published content outside the drafts, and of the drafts."""
        if not query.strip() or k <= 0:
            return []
        hits: list[Hit] = []
        if self.draft_slugs:
            # Ask for more: some of the base's best chunks belong to drafted articles.
            fetched = self.base.search(query, k * 3 + 8, lang=lang)
            hits = [h for h in fetched if h.slug not in self.draft_slugs]
        else:
            hits = self.base.search(query, k, lang=lang)
        if self.chunks:
            qvec = self.embedder.embed_one(query)
            sims = self._matrix @ qvec
            ranked = [
                int(i) for i in np.argsort(-sims) if not lang or self.chunks[int(i)].lang == lang
            ]
            for i in ranked[:k]:
                c = self.chunks[int(i)]
                hits.append(
                    Hit(
                        slug=c.slug,
                        title=c.title,
                        section=c.section,
                        url=c.url,
                        score=min(1.0, max(0.0, float(sims[int(i)]))),
                        text=c.text,
                        id=c.id,
                    )
                )
        hits.sort(key=lambda h: h.score, reverse=True)
        return hits[:k]

    def sentences(self, chunk_ids: Sequence[str]) -> dict[str, SentenceSet]:
        """Sentence vectors of draft chunks from memory, of published ones from the base."""
        out = {i: self._by_id[i].sentences for i in chunk_ids if i in self._by_id}
        rest = [i for i in chunk_ids if i not in self._by_id]
        if rest:
            out.update(self.base.sentences(rest))
        return out

    def count(self) -> int:
        """Chunks visible through this view (approximate: base count plus draft chunks)."""
        return self.base.count() + len(self.chunks)

    def has_language(self, lang: str) -> bool:
        """Whether a published or draft article in this language is visible."""
        return any(c.lang == lang for c in self.chunks) or self.base.has_language(lang)

    def slugs(self) -> set[str]:
        """Slugs visible through this view."""
        return self.base.slugs() | self.draft_slugs
