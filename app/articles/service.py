"""Articles: stored in the database, indexed in the vector store."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.articles.models import Article
from app.db import utcnow


async def upsert(
    session: AsyncSession, slug: str, title: str, body: str, tags: list[str] | None = None
) -> Article:
    """Create or update the article with this slug."""
    art = (await session.exec(select(Article).where(Article.slug == slug))).first()
    if art is None:
        art = Article(slug=slug, title=title, body=body, tags=tags or [])
    else:
        art.title, art.body, art.tags, art.updated_at = title, body, tags or [], utcnow()
    session.add(art)
    await session.flush()
    return art


async def published(session: AsyncSession) -> Sequence[Article]:
    """Every published article, by title."""
    return (
        await session.exec(
            select(Article).where(Article.status == "published").order_by(Article.title)
        )
    ).all()


async def by_slug(session: AsyncSession, slug: str) -> Article | None:
    """The published article with this slug."""
    return (
        await session.exec(
            select(Article).where(Article.slug == slug, Article.status == "published")
        )
    ).first()


def article_url(public_url: str, slug: str) -> str:
    """Where visitors read an article (the link the bot cites)."""
    return f"{public_url.rstrip('/')}/help/{slug}"


def as_dict(a: Article) -> dict[str, Any]:
    """Plain form for templates."""
    return {"slug": a.slug, "title": a.title, "body": a.body, "tags": a.tags}
