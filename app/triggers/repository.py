"""Trigger and trigger-stat queries."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db import utcnow
from app.triggers.models import StatKind, Trigger, TriggerStat


async def get(session: AsyncSession, trigger_id: int) -> Trigger | None:
    """The trigger with this id."""
    return await session.get(Trigger, trigger_id)


async def for_site(
    session: AsyncSession, site_id: int, *, enabled_only: bool = False
) -> Sequence[Trigger]:
    """The site's triggers, oldest first."""
    q = select(Trigger).where(Trigger.site_id == site_id)
    if enabled_only:
        q = q.where(col(Trigger.enabled).is_(True))
    return (await session.exec(q.order_by(col(Trigger.id)))).all()


async def count_for_site(session: AsyncSession, site_id: int) -> int:
    """How many triggers the site has."""
    q = select(func.count()).select_from(Trigger).where(Trigger.site_id == site_id)
    return int((await session.exec(q)).one())


async def stat_counts(
    session: AsyncSession, trigger_ids: Sequence[int]
) -> dict[int, dict[StatKind, int]]:
    """{trigger id: {show|open|dismiss: count}} for these triggers."""
    if not trigger_ids:
        return {}
    q = (
        select(TriggerStat.trigger_id, TriggerStat.kind, func.count())
        .where(col(TriggerStat.trigger_id).in_(trigger_ids))
        .group_by(col(TriggerStat.trigger_id), col(TriggerStat.kind))
    )
    out: dict[int, dict[StatKind, int]] = {}
    for trigger_id, kind, n in (await session.exec(q)).all():
        out.setdefault(trigger_id, {})[StatKind(kind)] = int(n)
    return out


async def add_stat(
    session: AsyncSession, trigger_id: int, session_id: str, kind: StatKind, visit: int
) -> bool:
    """Store one stat unless that (trigger, session, kind, visit) is already there.

    ON CONFLICT DO NOTHING, so two racing retries store one row and neither fails.
    """
    bind = session.get_bind()
    insert = pg_insert if bind.dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(TriggerStat)
        .values(
            trigger_id=trigger_id,
            session_id=session_id,
            kind=kind.value,
            visit=visit,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["trigger_id", "session_id", "kind", "visit"])
    )
    result = await session.exec(stmt)
    return bool(result.rowcount)


async def delete_stats(session: AsyncSession, trigger_id: int) -> None:
    """Forget a trigger's stats (before the trigger itself goes)."""
    await session.exec(delete(TriggerStat).where(col(TriggerStat.trigger_id) == trigger_id))
