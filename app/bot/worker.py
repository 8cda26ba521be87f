"""Runs bot turns from the durable job table, one conversation at a time."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select

from app.bot.models import BotJob
from app.db import utcnow
from app.events.service import unit_of_work

log = logging.getLogger(__name__)

JobHandler = Callable[[BotJob], Awaitable[None]]


class BotWorker:
    """Claims pending jobs and runs them; jobs of one conversation never overlap.

    The job row is written with the visitor's message, so a crash loses nothing: on start
    the worker re-queues jobs a dead process left running, and answers them.
    """

    def __init__(
        self, handler: JobHandler, concurrency: int = 2, poll_seconds: float = 2.0
    ) -> None:
        self._handler = handler
        self._concurrency = concurrency
        self._poll = poll_seconds
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._busy_conversations: set[int] = set()
        self._claim_lock = asyncio.Lock()

    async def start(self) -> None:
        """Recover interrupted jobs and start the loops."""
        async with unit_of_work() as s:
            await s.exec(
                update(BotJob).where(col(BotJob.status) == "running").values(status="pending")
            )
        self._tasks = [asyncio.create_task(self._loop(i)) for i in range(self._concurrency)]
        self.wake()

    def wake(self) -> None:
        """A job was committed: look now rather than at the next poll."""
        self._wake.set()

    async def stop(self) -> None:
        """Cancel the loops (running turns are re-queued on the next start)."""
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t
        self._tasks = []

    async def _claim(self) -> BotJob | None:
        async with self._claim_lock, unit_of_work() as s:
            rows = (
                await s.exec(
                    select(BotJob)
                    .where(BotJob.status == "pending")
                    .order_by(col(BotJob.id))
                    .limit(50)
                )
            ).all()
            for job in rows:
                if job.conversation_id in self._busy_conversations:
                    continue
                result: Any = await s.exec(
                    update(BotJob)
                    .where(col(BotJob.id) == job.id, col(BotJob.status) == "pending")
                    .values(status="running", attempts=BotJob.attempts + 1, updated_at=utcnow())
                )
                if result.rowcount == 1:
                    self._busy_conversations.add(job.conversation_id)
                    return job
        return None

    async def _finish(self, job: BotJob, status: str, error: str | None = None) -> None:
        async with unit_of_work() as s:
            await s.exec(
                update(BotJob)
                .where(col(BotJob.id) == job.id)
                .values(status=status, error=error, updated_at=utcnow())
            )

    async def _loop(self, n: int) -> None:
        while True:
            job = await self._claim()
            if job is None:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._poll)
                continue
            try:
                await self._handler(job)
                await self._finish(job, "done")
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.exception("bot job %s failed", job.id)
                await self._finish(
                    job, "failed" if job.attempts + 1 >= 3 else "pending", repr(exc)[:2000]
                )
            finally:
                self._busy_conversations.discard(job.conversation_id)
                self._wake.set()


_worker: BotWorker | None = None


def set_worker(worker: BotWorker | None) -> None:
    """Install the process's worker (app start-up)."""
    global _worker
    _worker = worker


def wake_bot() -> None:
    """Nudge the worker after a job was committed."""
    if _worker is not None:
        _worker.wake()
