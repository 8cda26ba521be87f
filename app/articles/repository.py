"""Queries over articles and their versions."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.articles.models import Article, ArticleVersion


async def get(
    session: AsyncSession, article_id: int, *, for_update: bool = False
) -> Article | None:
    """An article by id (row-locked on PostgreSQL when it is about to change)."""
    stmt = select(Article).where(Article.id == article_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.exec(stmt)).first()


async def by_slug(session: AsyncSession, slug: str, *, for_update: bool = False) -> Article | None:
    """An article by slug."""
    stmt = select(Article).where(Article.slug == slug)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.exec(stmt)).first()


async def slugs_like(session: AsyncSession, prefix: str) -> set[str]:
    """Slugs equal to prefix or starting with "prefix-"."""
    rows = await session.exec(
        select(Article.slug).where(
            or_(col(Article.slug) == prefix, col(Article.slug).like(f"{prefix}-%"))
        )
    )
    return set(rows.all())


async def search(
    session: AsyncSession, q: str | None = None, status: str | None = None
) -> Sequence[Article]:
    """Articles matching a text query and status, most recently updated first."""
    stmt = select(Article)
    if q:
        like = f"%{q.lower()}%"
        stmt = stmt.where(
            or_(
                func.lower(Article.title).like(like),
                func.lower(Article.body).like(like),
                func.lower(Article.slug).like(like),
            )
        )
    if status == "published":
        stmt = stmt.where(col(Article.published_version).is_not(None))
    elif status == "draft":
        stmt = stmt.where(col(Article.published_version).is_(None))
    elif status == "changed":
        stmt = stmt.where(
            col(Article.published_version).is_not(None),
            Article.published_version != Article.version,
        )
    return (
        await session.exec(stmt.order_by(col(Article.updated_at).desc(), col(Article.id)))
    ).all()


async def all_articles(session: AsyncSession) -> Sequence[Article]:
    """Every article, by slug."""
    return (await session.exec(select(Article).order_by(Article.slug))).all()


async def version(session: AsyncSession, article_id: int, number: int) -> ArticleVersion | None:
    """One version of an article."""
    return (
        await session.exec(
            select(ArticleVersion).where(
                ArticleVersion.article_id == article_id, ArticleVersion.number == number
            )
        )
    ).first()


async def versions(session: AsyncSession, article_id: int) -> Sequence[ArticleVersion]:
    """An article's versions, newest first."""
    return (
        await session.exec(
            select(ArticleVersion)
            .where(ArticleVersion.article_id == article_id)
            .order_by(col(ArticleVersion.number).desc())
        )
    ).all()


async def live(session: AsyncSession) -> Sequence[tuple[Article, ArticleVersion]]:
    """Every published article with its live version, by title."""
    rows = await session.exec(
        select(Article, ArticleVersion)
        .join(
            ArticleVersion,
            (col(ArticleVersion.article_id) == col(Article.id))
            & (col(ArticleVersion.number) == col(Article.published_version)),
        )
        .order_by(ArticleVersion.title)
    )
    return [(a, v) for a, v in rows.all()]


async def counts(session: AsyncSession) -> dict[str, int]:
    """How many articles are published, drafts, and published with unpublished changes."""
    rows = (await session.exec(select(Article.version, Article.published_version))).all()
    published = sum(1 for _, p in rows if p is not None)
    changed = sum(1 for v, p in rows if p is not None and p != v)
    return {
        "all": len(rows),
        "published": published,
        "draft": len(rows) - published,
        "changed": changed,
    }


async def delete_versions(session: AsyncSession, article_id: int) -> None:
    """Remove an article's history (before the article itself)."""
    await session.exec(delete(ArticleVersion).where(col(ArticleVersion.article_id) == article_id))
