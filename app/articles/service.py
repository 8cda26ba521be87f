"""Articles: versions, publishing and the index of live content kept in step with the database.

Rules:
- Every save, import or restore that changes something adds a version; the article row
  mirrors the newest (head) version, which is what the editor shows.
- Only ``published_version`` is live: it is the only content in the vector index and on
  the help centre. Editing a published article leaves the live version in place until
  the edit is published.
- The index is updated inside the request, after the database changes are flushed and
  before they commit: if the index cannot be updated the request fails and the
  transaction rolls back, so nothing changes. ``parley kb reindex`` rebuilds the index
  from the database (incrementally) should the two ever disagree.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from app.agents.models import Agent, Role
from app.articles import repository as repo
from app.articles.index import (
    IndexedArticle,
    article_url,
    get_store,
    index_articles,
    unindex_article,
)
from app.articles.models import Article, ArticleStatus, ArticleVersion
from app.db import utcnow
from app.errors import Conflict, InvalidInput, NotFound, ParleyError
from knowledge.ingest import slugify
from knowledge.loaders import Document
from knowledge.store import KnowledgeStore, UpsertStats

__all__ = [
    "IndexUnavailable",
    "create",
    "delete",
    "diff_versions",
    "get",
    "import_documents",
    "is_lead",
    "publish",
    "reindex",
    "restore",
    "unpublish",
    "update",
]


class IndexUnavailable(ParleyError):
    """The knowledge index could not be updated; nothing was changed."""

    status_code = 503
    name = "IndexUnavailable"


def is_lead(agent: Agent) -> bool:
    """Whether this agent may change the knowledge base."""
    return agent.role in (Role.lead, Role.admin)


def _author(agent: Agent | None) -> tuple[int | None, str | None]:
    return (agent.id, agent.name) if agent is not None else (None, "Parley")


def _store(store: KnowledgeStore | None) -> KnowledgeStore:
    return store if store is not None else get_store()


async def _index(store: KnowledgeStore, items: Sequence[IndexedArticle]) -> UpsertStats:
    try:
        return await index_articles(store, items)
    except Exception as exc:  # Chroma down, disk full...: fail the request, roll back
        raise IndexUnavailable(f"The knowledge index could not be updated ({exc}).") from exc


async def _unindex(store: KnowledgeStore, slug: str) -> int:
    try:
        return await unindex_article(store, slug)
    except Exception as exc:
        raise IndexUnavailable(f"The knowledge index could not be updated ({exc}).") from exc


async def get(session: AsyncSession, article_id: int, *, for_update: bool = False) -> Article:
    """An article, or NotFound."""
    art = await repo.get(session, article_id, for_update=for_update)
    if art is None:
        raise NotFound("No such article.")
    return art


async def unique_slug(session: AsyncSession, base: str) -> str:
    """base, or base-2, base-3… whichever is free."""
    base = slugify(base)[:180]
    taken = await repo.slugs_like(session, base)
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


async def _add_version(
    session: AsyncSession,
    art: Article,
    *,
    title: str,
    body: str,
    tags: list[str],
    lang: str,
    author: Agent | None,
    note: str,
) -> ArticleVersion | None:
    """Make this content the head as a new version; None if it equals the head already."""
    body = body.rstrip() + "\n"
    if art.id is not None and (art.title, art.body, list(art.tags), art.lang) == (
        title,
        body,
        list(tags),
        lang,
    ):
        return None
    if art.id is None:
        session.add(art)
        await session.flush()
        number = 1
    else:
        number = art.version + 1
    assert art.id is not None
    author_id, author_name = _author(author)
    v = ArticleVersion(
        article_id=art.id,
        number=number,
        title=title,
        body=body,
        tags=list(tags),
        lang=lang,
        author_id=author_id,
        author_name=author_name,
        note=note,
    )
    art.title, art.body, art.tags, art.lang = title, body, list(tags), lang
    art.version = number
    art.updated_at = utcnow()
    session.add(art)
    session.add(v)
    await session.flush()
    return v


async def _go_live(
    session: AsyncSession, art: Article, v: ArticleVersion, store: KnowledgeStore
) -> UpsertStats:
    art.published_version = v.number
    art.status = ArticleStatus.published
    art.published_at = utcnow()
    session.add(art)
    await session.flush()
    return await _index(store, [IndexedArticle(art.slug, v.title, v.body, v.lang)])


async def create(
    session: AsyncSession,
    *,
    title: str,
    body: str,
    author: Agent | None,
    slug: str | None = None,
    tags: list[str] | None = None,
    lang: str = "en",
    source: str = "console",
    publish: bool = False,
    note: str = "created",
    store: KnowledgeStore | None = None,
) -> Article:
    """A new article (version 1), a draft unless publish is true."""
    if slug is None:
        slug = await unique_slug(session, title)
    elif await repo.by_slug(session, slug) is not None:
        raise Conflict(f"An article with the slug {slug!r} already exists.")
    art = Article(slug=slug, title=title, body=body, tags=tags or [], lang=lang, source=source)
    v = await _add_version(
        session, art, title=title, body=body, tags=tags or [], lang=lang, author=author, note=note
    )
    assert v is not None
    if publish:
        await _go_live(session, art, v, _store(store))
    return art


async def update(
    session: AsyncSession,
    art: Article,
    *,
    author: Agent | None,
    title: str | None = None,
    body: str | None = None,
    tags: list[str] | None = None,
    lang: str | None = None,
    base_version: int | None = None,
    publish: bool = False,
    store: KnowledgeStore | None = None,
) -> Article:
    """Save an edit as a new head version; publish it too if asked."""
    if base_version is not None and base_version != art.version:
        raise Conflict(
            f"This article was saved by someone else (version {art.version}) after you opened "
            f"version {base_version}. Reload it and apply your changes again."
        )
    v = await _add_version(
        session,
        art,
        title=title if title is not None else art.title,
        body=body if body is not None else art.body,
        tags=tags if tags is not None else list(art.tags),
        lang=lang or art.lang,
        author=author,
        note="edited",
    )
    if publish:
        head = v or await repo.version(session, art.id or 0, art.version)
        assert head is not None
        if art.published_version != head.number:
            await _go_live(session, art, head, _store(store))
    return art


async def publish(
    session: AsyncSession,
    art: Article,
    *,
    version: int | None = None,
    store: KnowledgeStore | None = None,
) -> Article:
    """Put a version (the head by default) live: index it and show it on the help centre."""
    assert art.id is not None
    number = version or art.version
    v = await repo.version(session, art.id, number)
    if v is None:
        raise NotFound(f"Version {number} does not exist.")
    await _go_live(session, art, v, _store(store))
    return art


async def unpublish(
    session: AsyncSession, art: Article, *, store: KnowledgeStore | None = None
) -> Article:
    """Take an article off the help centre and out of the bot's index; its versions stay."""
    art.published_version = None
    art.published_at = None
    art.status = ArticleStatus.draft
    art.updated_at = utcnow()
    session.add(art)
    await session.flush()
    await _unindex(_store(store), art.slug)
    return art


async def delete(
    session: AsyncSession, art: Article, *, store: KnowledgeStore | None = None
) -> None:
    """Delete an article, its versions and its chunks."""
    slug = art.slug
    await repo.delete_versions(session, art.id or 0)
    await session.delete(art)
    await session.flush()
    await _unindex(_store(store), slug)


async def restore(
    session: AsyncSession,
    art: Article,
    number: int,
    *,
    author: Agent | None,
    publish: bool = False,
    store: KnowledgeStore | None = None,
) -> Article:
    """Make an old version the head again (as a new version, so history is never rewritten)."""
    assert art.id is not None
    old = await repo.version(session, art.id, number)
    if old is None:
        raise NotFound(f"Version {number} does not exist.")
    v = await _add_version(
        session,
        art,
        title=old.title,
        body=old.body,
        tags=list(old.tags),
        lang=old.lang,
        author=author,
        note=f"restored version {number}",
    )
    if publish:
        head = v or await repo.version(session, art.id, art.version)
        assert head is not None
        if art.published_version != head.number:
            await _go_live(session, art, head, _store(store))
    return art


def _version_text(v: ArticleVersion) -> list[str]:
    head = [f"# {v.title}", ""]
    if v.tags:
        head += [f"Tags: {', '.join(v.tags)}", ""]
    return head + v.body.splitlines()


def diff_versions(old: ArticleVersion | None, new: ArticleVersion) -> list[str]:
    """Unified diff lines (title, tags and body) from old to new."""
    before = _version_text(old) if old is not None else []
    label = f"version {old.number}" if old is not None else "(nothing)"
    return list(
        difflib.unified_diff(
            before,
            _version_text(new),
            fromfile=label,
            tofile=f"version {new.number}",
            lineterm="",
            n=2,
        )
    )


@dataclass
class ImportOutcome:
    """One article an import touched."""

    article: Article
    action: str  # created | updated | unchanged
    warnings: list[str] = field(default_factory=list)


async def import_documents(
    session: AsyncSession,
    docs: Sequence[Document],
    *,
    author: Agent | None,
    publish: bool,
    store: KnowledgeStore | None = None,
    on_progress: Callable[[str, int, int, str], Any] | None = None,
) -> tuple[list[ImportOutcome], UpsertStats]:
    """Create or update one article per document (slug = file stem or page); publish if asked.

    Re-importing unchanged content adds no version. With ``publish`` every imported article's
    head goes live and is indexed in batches (unchanged chunks are not embedded again).
    """
    seen: set[str] = set()
    for d in docs:
        if d.slug in seen:
            raise InvalidInput(f"Two imported documents would both be the article {d.slug!r}.")
        seen.add(d.slug)
    outcomes: list[ImportOutcome] = []
    to_index: list[tuple[Article, ArticleVersion]] = []
    for i, d in enumerate(docs, start=1):
        art = await repo.by_slug(session, d.slug, for_update=True)
        note = f"imported from {d.source}"[:300]
        if art is None:
            art = Article(
                slug=d.slug,
                title=d.title,
                body=d.body,
                tags=d.tags,
                lang=d.lang,
                source=d.source[:2000],
            )
            v = await _add_version(
                session,
                art,
                title=d.title,
                body=d.body,
                tags=d.tags,
                lang=d.lang,
                author=author,
                note=note,
            )
            action = "created"
        else:
            v = await _add_version(
                session,
                art,
                title=d.title,
                body=d.body,
                tags=d.tags or list(art.tags),
                lang=d.lang,
                author=author,
                note=note,
            )
            art.source = d.source[:2000]
            session.add(art)
            action = "updated" if v is not None else "unchanged"
        if publish:
            head = v or await repo.version(session, art.id or 0, art.version)
            assert head is not None
            art.published_version = head.number
            art.status = ArticleStatus.published
            art.published_at = art.published_at if v is None and art.published_at else utcnow()
            session.add(art)
            to_index.append((art, head))
        outcomes.append(ImportOutcome(art, action, list(d.warnings)))
        if on_progress is not None:
            on_progress("save", i, len(docs), d.slug)
    await session.flush()
    stats = UpsertStats()
    batch = 16
    for start in range(0, len(to_index), batch):
        part = to_index[start : start + batch]
        stats += await _index(
            _store(store), [IndexedArticle(a.slug, v.title, v.body, v.lang) for a, v in part]
        )
        if on_progress is not None:
            on_progress("index", start + len(part), len(to_index), part[-1][0].slug)
    return outcomes, stats


async def reindex(
    session: AsyncSession,
    *,
    store: KnowledgeStore | None = None,
    on_progress: Callable[[str, int, int, str], Any] | None = None,
    batch: int = 16,
) -> UpsertStats:
    """Make the index hold exactly the live versions (unchanged chunks are not re-embedded)."""
    store = _store(store)
    live = list(await repo.live(session))
    wanted = {a.slug for a, _ in live}
    total = UpsertStats()
    for slug in sorted(store.slugs() - wanted):
        total.deleted += await unindex_article(store, slug)
    for start in range(0, len(live), batch):
        part = live[start : start + batch]
        total += await index_articles(
            store, [IndexedArticle(a.slug, v.title, v.body, v.lang) for a, v in part]
        )
        if on_progress is not None:
            on_progress("index", min(start + batch, len(live)), len(live), part[-1][0].slug)
    return total


async def live_content(session: AsyncSession, slug: str) -> tuple[Article, ArticleVersion] | None:
    """The published article with this slug and its live version (for the help centre)."""
    art = await repo.by_slug(session, slug)
    if art is None or art.published_version is None or art.id is None:
        return None
    v = await repo.version(session, art.id, art.published_version)
    return (art, v) if v is not None else None


def url_of(art: Article) -> str | None:
    """The help-centre link of a published article."""
    return article_url(art.slug) if art.published_version is not None else None
