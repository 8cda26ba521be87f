"""Site queries."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.sites.models import Site


async def get_by_key(session: AsyncSession, key: str) -> Site | None:
    """The site with this public widget key."""
    return (await session.exec(select(Site).where(Site.key == key))).first()


async def get(session: AsyncSession, site_id: int) -> Site | None:
    """The site with this id."""
    return await session.get(Site, site_id)


async def all_origins(session: AsyncSession) -> set[str]:
    """Every origin any site allows (used by CORS)."""
    origins: set[str] = set()
    for site in (await session.exec(select(Site))).all():
        origins.update(site.allowed_origins)
    return origins


async def all_sites(session: AsyncSession) -> list[Site]:
    """Every site, oldest first."""
    return list((await session.exec(select(Site).order_by(col(Site.id)))).all())
