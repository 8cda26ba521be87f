"""Queries on eval runs and their reports."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db import utcnow
from app.evals.models import ACTIVE, EvalReport, EvalRun, RunStatus


async def get_run(session: AsyncSession, run_id: str) -> EvalRun | None:
    """One run by id."""
    return await session.get(EvalRun, run_id)


async def list_runs(session: AsyncSession, limit: int) -> list[EvalRun]:
    """The newest runs first."""
    rows = await session.exec(
        select(EvalRun).order_by(col(EvalRun.created_at).desc(), col(EvalRun.id)).limit(limit)
    )
    return list(rows.all())


async def get_report(session: AsyncSession, run_id: str) -> dict[str, Any] | None:
    """The stored JSON report of a finished run."""
    row = await session.get(EvalReport, run_id)
    return None if row is None else row.report


async def save_report(session: AsyncSession, run_id: str, report: dict[str, Any]) -> None:
    """Store a finished run's report."""
    session.add(EvalReport(run_id=run_id, report=report))
    await session.flush()


async def baseline_for(session: AsyncSession, suite: str, quick: bool) -> EvalRun | None:
    """The run marked as the baseline of this suite in this mode (quick or full)."""
    rows = await session.exec(
        select(EvalRun).where(
            EvalRun.suite == suite,
            EvalRun.quick == quick,
            col(EvalRun.is_baseline).is_(True),
            EvalRun.status == RunStatus.done,
        )
    )
    return rows.first()


async def clear_baselines(session: AsyncSession, suite: str, quick: bool) -> None:
    """Unmark every baseline of this suite and mode."""
    await session.exec(
        update(EvalRun)
        .where(col(EvalRun.suite) == suite, col(EvalRun.quick) == quick)
        .values(is_baseline=False)
    )


async def update_run(session: AsyncSession, run_id: str, **values: Any) -> None:
    """Set some columns of a run."""
    await session.exec(update(EvalRun).where(col(EvalRun.id) == run_id).values(**values))


async def fail_unfinished(
    session: AsyncSession,
    message: str,
    *,
    owner: str,
    live: str | None,
    stale_before: datetime | None,
) -> int:
    """Mark failed the unfinished runs nobody is running any more; how many.

    A run of ``owner`` (this process) is dead unless it is ``live``. Another process's
    run is dead when its heartbeat is older than ``stale_before`` — or always, when
    ``stale_before`` is None (the caller knows it is the only process).
    """
    mine = col(EvalRun.owner) == owner
    if live is not None:
        mine = mine & (col(EvalRun.id) != live)
    others = col(EvalRun.owner) != owner
    if stale_before is not None:
        others = others & (col(EvalRun.heartbeat_at) < stale_before)
    result: Any = await session.exec(
        update(EvalRun)
        .where(col(EvalRun.status).in_(list(ACTIVE)), or_(mine, others))
        .values(status=RunStatus.failed, error=message, finished_at=utcnow())
    )
    return int(result.rowcount or 0)


async def prune(session: AsyncSession, keep: int) -> None:
    """Delete finished runs beyond the newest ``keep`` (baselines stay), reports included."""
    old = await session.exec(
        select(EvalRun.id)
        .where(col(EvalRun.is_baseline).is_(False), col(EvalRun.status).not_in(list(ACTIVE)))
        .order_by(col(EvalRun.created_at).desc())
        .offset(keep)
    )
    ids = list(old.all())
    if not ids:
        return
    # Explicitly, not by cascade: SQLite enforces foreign keys only when asked to.
    await session.exec(delete(EvalReport).where(col(EvalReport.run_id).in_(ids)))
    await session.exec(delete(EvalRun).where(col(EvalRun.id).in_(ids)))
