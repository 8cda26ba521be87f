"""Knowledge-base vector store over Chroma, with incremental re-indexing."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlparse

import chromadb
import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.api.types import Metadata, Where
from chromadb.config import Settings

from knowledge.chunking import DEFAULT_MAX_CHARS, Chunk, chunk_markdown, plain_text, split_sentences
from knowledge.embeddings import Embedder, ParleyEmbeddingFunction, get_embedder

__all__ = [
    "ArticleInput",
    "Hit",
    "KnowledgeStore",
    "SentenceSet",
    "UpsertStats",
    "chunk_units",
    "chroma_settings",
    "make_chroma_client",
]

# The brief asked for "kb", but Chroma requires collection names of 3+ characters.
COLLECTION = "kb-chunks"
# Sentence vectors of every chunk, computed at ingestion so that picking the answer
# sentences costs no model call at answer time (see sentences()).
SENTENCE_SUFFIX = "-sentences"


def chroma_settings() -> Settings:
    """Chroma settings for every client we create: telemetry off (it hangs offline)."""
    return Settings(anonymized_telemetry=False)


def make_chroma_client(location: str | Path) -> ClientAPI:
    """A Chroma client: HttpClient for an http(s) URL, else a persistent client at a directory."""
    text = str(location)
    if text.startswith(("http://", "https://")):
        parsed = urlparse(text)
        ssl = parsed.scheme == "https"
        return chromadb.HttpClient(
            host=parsed.hostname or "localhost",
            port=parsed.port or (443 if ssl else 8000),
            ssl=ssl,
            settings=chroma_settings(),
        )
    Path(text).mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=text, settings=chroma_settings())


@dataclass(frozen=True, slots=True)
class Hit:
    """One retrieved chunk; score is 1 - cosine distance (higher is better, clamped to 0..1)."""

    slug: str
    title: str
    section: str
    url: str
    score: float
    text: str
    id: str = ""  # chunk id, "slug#i"


@dataclass(frozen=True, slots=True)
class SentenceSet:
    """The answer-sized units of one chunk and their (unit-length) vectors."""

    units: list[str]
    vectors: np.ndarray  # (len(units), 384) float32


def chunk_units(chunk_text: str) -> list[str]:
    """Sentences and list items of a chunk, as plain text (the candidates for an answer)."""
    return [u for u in split_sentences(plain_text(chunk_text)) if u.strip()]


@dataclass(frozen=True, slots=True)
class ArticleInput:
    """An article to index."""

    slug: str
    title: str
    url: str
    body_markdown: str
    lang: str = "en"


@dataclass(slots=True)
class UpsertStats:
    """What an upsert changed, chunk by chunk."""

    embedded: int = 0  # new or changed chunks (re-embedded)
    unchanged: int = 0  # same content hash: vector kept
    deleted: int = 0  # stale chunks removed
    slugs: list[str] = field(default_factory=list)

    def __iadd__(self, other: UpsertStats) -> UpsertStats:
        self.embedded += other.embedded
        self.unchanged += other.unchanged
        self.deleted += other.deleted
        self.slugs.extend(other.slugs)
        return self


class KnowledgeStore:
    """Chunks, embeds and searches knowledge-base articles (Chroma, cosine space)."""

    def __init__(
        self,
        location: str | Path | None = None,
        *,
        client: ClientAPI | None = None,
        embedder: Embedder | None = None,
        collection: str = COLLECTION,
        max_chunk_chars: int = DEFAULT_MAX_CHARS,
        sentence_vectors: bool = True,
    ) -> None:
        if client is None:
            if location is None:
                raise ValueError("KnowledgeStore needs a directory, a Chroma URL or a client")
            client = make_chroma_client(location)
        self.client = client
        self.embedder = embedder or get_embedder()
        self.max_chunk_chars = max_chunk_chars
        # Roughly doubles ingestion work; turn off to trade answer latency for it.
        self.sentence_vectors = sentence_vectors
        # We always pass vectors ourselves, but Chroma would otherwise attach its
        # default (downloading) embedding function to the collections.
        ef = ParleyEmbeddingFunction(self.embedder)
        self.collection: Collection = client.get_or_create_collection(
            collection,
            configuration={"hnsw": {"space": "cosine"}},
            embedding_function=ef,  # type: ignore[arg-type]
        )
        self.sentence_collection: Collection = client.get_or_create_collection(
            collection + SENTENCE_SUFFIX,
            configuration={"hnsw": {"space": "cosine"}},
            embedding_function=ef,  # type: ignore[arg-type]
        )

    # -- writes -------------------------------------------------------------

    def upsert_article(
        self, slug: str, title: str, url: str, body_markdown: str, lang: str = "en"
    ) -> UpsertStats:
        """Index one article; only chunks whose content changed are re-embedded."""
        return self.upsert_articles([ArticleInput(slug, title, url, body_markdown, lang)])

    def upsert_articles(self, articles: Sequence[ArticleInput]) -> UpsertStats:
        """Index several articles, embedding all changed chunks in one length-bucketed batch."""
        stats = UpsertStats(slugs=[a.slug for a in articles])
        if not articles:
            return stats
        existing = self._existing([a.slug for a in articles])

        to_embed: list[tuple[str, Chunk, dict[str, Any]]] = []
        meta_only: list[tuple[str, dict[str, Any]]] = []
        stale: list[str] = []
        for article in articles:
            chunks = chunk_markdown(
                article.title, article.body_markdown, max_chars=self.max_chunk_chars
            )
            new_ids = set()
            for chunk in chunks:
                chunk_id = f"{article.slug}#{chunk.index}"
                new_ids.add(chunk_id)
                meta = {
                    "slug": article.slug,
                    "title": article.title,
                    "section": chunk.section,
                    "url": article.url,
                    "chunk": chunk.index,
                    "hash": chunk.hash,
                    "lang": article.lang,
                }
                old = existing.get(chunk_id)
                if old is not None and old.get("hash") == chunk.hash:
                    stats.unchanged += 1
                    meta["sentences"] = old.get("sentences", 0)
                    if old != meta:  # e.g. URL or language changed: no need to re-embed
                        meta_only.append((chunk_id, meta))
                else:
                    to_embed.append((chunk_id, chunk, meta))
            stale.extend(
                i for i, m in existing.items() if m.get("slug") == article.slug and i not in new_ids
            )

        if stale:
            self.collection.delete(ids=stale)
            self._delete_sentences({i: int(existing[i].get("sentences", 0)) for i in stale})
            stats.deleted = len(stale)
        if meta_only:
            self.collection.update(
                ids=[i for i, _ in meta_only],
                metadatas=cast(list[Metadata], [m for _, m in meta_only]),
            )
        if to_embed:
            units = [chunk_units(c.text) if self.sentence_vectors else [] for _, c, _ in to_embed]
            texts = [c.embed_text for _, c, _ in to_embed] + [u for us in units for u in us]
            # One call for chunks and sentences: the embedder buckets them by length.
            vectors = self.embedder.embed(texts)
            chunk_vectors = vectors[: len(to_embed)]
            sentence_vectors = vectors[len(to_embed) :]
            for (_, _, meta), us in zip(to_embed, units, strict=True):
                meta["sentences"] = len(us)
            self._write(
                self.collection,
                [i for i, _, _ in to_embed],
                chunk_vectors,
                [c.text for _, c, _ in to_embed],
                [m for _, _, m in to_embed],
            )
            # Drop sentence ids a shorter new version of a chunk no longer has.
            self._delete_sentences(
                {i: int(existing[i].get("sentences", 0)) for i, _, _ in to_embed if i in existing},
                keep={i: len(us) for (i, _, _), us in zip(to_embed, units, strict=True)},
            )
            s_ids, s_docs, s_meta = [], [], []
            for (chunk_id, _, meta), us in zip(to_embed, units, strict=True):
                for j, unit in enumerate(us):
                    s_ids.append(f"{chunk_id}/{j}")
                    s_docs.append(unit)
                    s_meta.append({"slug": meta["slug"], "chunk_id": chunk_id})
            if s_ids:
                self._write(self.sentence_collection, s_ids, sentence_vectors, s_docs, s_meta)
            stats.embedded = len(to_embed)
        return stats

    def delete_article(self, slug: str) -> int:
        """Remove every chunk of an article; returns how many were removed."""
        ids = self.collection.get(where={"slug": slug}, include=[])["ids"]
        if ids:
            self.collection.delete(ids=ids)
        self.sentence_collection.delete(where={"slug": slug})
        return len(ids)

    # -- reads --------------------------------------------------------------

    def search(self, query: str, k: int = 4, *, lang: str | None = None) -> list[Hit]:
        """The k chunks most similar to the query, best first (only ``lang`` articles if given)."""
        if not query.strip() or k <= 0:
            return []
        vector = self.embedder.embed_one(query)
        result = self.collection.query(
            query_embeddings=[vector.tolist()],
            n_results=k,
            where=cast(Where, {"lang": lang}) if lang else None,
            include=["documents", "metadatas", "distances"],
        )
        ids = result["ids"][0]
        docs = (result["documents"] or [[]])[0]
        metas = (result["metadatas"] or [[]])[0]
        dists = (result["distances"] or [[]])[0]
        hits = []
        for i in range(len(ids)):
            meta = cast(dict[str, Any], metas[i] or {})
            hits.append(
                Hit(
                    slug=str(meta.get("slug", "")),
                    title=str(meta.get("title", "")),
                    section=str(meta.get("section", "")),
                    url=str(meta.get("url", "")),
                    score=min(1.0, max(0.0, 1.0 - float(dists[i]))),
                    text=docs[i] or "",
                    id=ids[i],
                )
            )
        return hits

    def sentences(self, chunk_ids: Sequence[str]) -> dict[str, SentenceSet]:
        """Stored sentence units and vectors of these chunks (computed at ingestion)."""
        if not chunk_ids:
            return {}
        where: dict[str, Any] = {"chunk_id": {"$in": list(chunk_ids)}}
        got = self.sentence_collection.get(
            where=cast(Where, where),
            include=["documents", "embeddings"],
        )
        rows: dict[str, list[tuple[int, str, Any]]] = {}
        docs = got["documents"] or []
        embs = got["embeddings"] if got["embeddings"] is not None else []
        for sid, doc, emb in zip(got["ids"], docs, embs, strict=True):
            chunk_id, _, j = sid.rpartition("/")
            rows.setdefault(chunk_id, []).append((int(j), doc or "", emb))
        out: dict[str, SentenceSet] = {}
        for chunk_id, items in rows.items():
            items.sort(key=lambda r: r[0])
            out[chunk_id] = SentenceSet(
                units=[d for _, d, _ in items],
                vectors=np.asarray([e for _, _, e in items], dtype=np.float32),
            )
        return out

    def count(self) -> int:
        """Number of chunks in the collection."""
        return self.collection.count()

    def has_language(self, lang: str) -> bool:
        """Whether any article in this language is indexed."""
        return bool(self.collection.get(where={"lang": lang}, limit=1, include=[])["ids"])

    def slugs(self) -> set[str]:
        """Slugs of all indexed articles."""
        metas = self.collection.get(include=["metadatas"])["metadatas"] or []
        return {str(m["slug"]) for m in metas if m and "slug" in m}

    # -- helpers ------------------------------------------------------------

    def _existing(self, slugs: Iterable[str]) -> dict[str, dict[str, Any]]:
        wanted = sorted(set(slugs))
        where: dict[str, Any] = (
            {"slug": wanted[0]} if len(wanted) == 1 else {"slug": {"$in": wanted}}
        )
        got = self.collection.get(where=cast(Where, where), include=["metadatas"])
        metas = got["metadatas"] or []
        return {i: dict(m or {}) for i, m in zip(got["ids"], metas, strict=True)}

    def _write(
        self,
        collection: Collection,
        ids: list[str],
        vectors: np.ndarray,
        docs: list[str],
        metas: list[dict[str, Any]],
    ) -> None:
        step = self._max_batch()
        for start in range(0, len(ids), step):
            end = start + step
            collection.upsert(
                ids=ids[start:end],
                embeddings=vectors[start:end],
                documents=docs[start:end],
                metadatas=cast(list[Metadata], metas[start:end]),
            )

    def _delete_sentences(
        self, old_counts: dict[str, int], keep: dict[str, int] | None = None
    ) -> None:
        keep = keep or {}
        ids = [
            f"{chunk_id}/{j}"
            for chunk_id, n in old_counts.items()
            for j in range(keep.get(chunk_id, 0), n)
        ]
        if ids:
            self.sentence_collection.delete(ids=ids)

    def _max_batch(self) -> int:
        try:
            return max(1, int(self.client.get_max_batch_size()))
        except Exception:  # older/remote clients may not expose it
            return 1000
