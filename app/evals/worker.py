"""The process's eval slot: one background run at a time, its heartbeat, and recovery.

In the embedded default a run is an asyncio task owned by the app (started by
``POST /api/v1/evals/runs``, cancelled at shutdown). A run is CPU-bound and shares the
machine with the visitors' bot turns, so a process runs one at a time. At scale it
belongs on the job queue's worker processes, like any long job; the database row is
already the whole interface (status, progress, heartbeat, report), so only the
launcher would change.

Every run row names the process running it (``owner``) and carries a heartbeat. A run
is dead when its process is: on start-up, every unfinished run of an earlier process is
marked failed (at once when this is the only process — no Redis means an in-process
event bus, hence one process — otherwise once its heartbeat is stale); readers reap
stale runs too, so a crashed instance never leaves a run "running" for ever.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from app.db import utcnow
from app.errors import Conflict
from app.evals import repository as repo
from app.events.service import unit_of_work

log = logging.getLogger(__name__)

#: This process, as the owner of the runs it starts.
OWNER = uuid.uuid4().hex
#: How often a running run says it is alive, and when silence means it died.
HEARTBEAT_SECONDS = 5.0
STALE_SECONDS = 30.0
#: How often progress is written while cases finish (the console polls every second).
PROGRESS_SECONDS = 0.5

INTERRUPTED = "The server stopped during this run (a restart or a crash). Start it again."
SHUT_DOWN = "The server shut down during this run. Start it again."


class Progress:
    """Cases done out of the total, counted by the suite runner's callbacks."""

    def __init__(self) -> None:
        self.done = 0
        self.total = 0

    def start(self, total: int) -> None:
        """The suite is loaded and the graph is ready: this many cases to run."""
        self.total = total

    def advance(self, _: Any) -> None:
        """One more case finished."""
        self.done += 1


class EvalWorker:
    """Owns the background task of the run in progress (at most one)."""

    def __init__(self, *, only_process: bool) -> None:
        self.only_process = only_process
        self.current: str | None = None  # id of the run holding the slot
        self.label = ""  # what it is, for the 409 message
        self._task: asyncio.Task[None] | None = None

    def claim(self, run_id: str, label: str) -> None:
        """Take the slot for a new run, or refuse with 409 (no await: no race)."""
        if self.current is not None:
            raise Conflict(
                f"An eval run is already in progress ({self.label}). "
                "Wait for it to finish, then start yours."
            )
        self.current, self.label = run_id, label

    def release(self, run_id: str) -> None:
        """Give the slot back (the run was never launched, or it ended)."""
        if self.current == run_id:
            self.current, self.label = None, ""
            self._task = None

    def launch(self, run_id: str, job: Coroutine[Any, Any, None]) -> None:
        """Run the job in the background; the slot frees itself when it ends."""
        task = asyncio.create_task(job, name=f"eval-run-{run_id}")
        self._task = task
        task.add_done_callback(lambda _: self.release(run_id))

    async def recover(self) -> int:
        """At start-up: mark failed the runs an earlier process left unfinished."""
        async with unit_of_work() as s:
            n = await reap(s, stale_only=not self.only_process)
        if n:
            log.warning("marked %d interrupted eval run(s) as failed", n)
        return n

    async def stop(self) -> None:
        """At shutdown: cancel the run in progress (it records itself as failed)."""
        task = self._task
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


async def reap(session: AsyncSession, *, stale_only: bool = True) -> int:
    """Mark failed the unfinished runs whose process is gone; how many."""
    worker = get_worker()
    return await repo.fail_unfinished(
        session,
        INTERRUPTED,
        owner=OWNER,
        live=worker.current if worker is not None else None,
        stale_before=utcnow() - timedelta(seconds=STALE_SECONDS) if stale_only else None,
    )


async def write_progress(run_id: str, progress: Progress) -> None:
    """Until cancelled: store progress when it moves, and a heartbeat every few seconds."""
    written = (-1, -1)
    beat = 0.0
    while True:
        now = time.monotonic()
        if (progress.done, progress.total) != written or now - beat >= HEARTBEAT_SECONDS:
            try:
                async with unit_of_work() as s:
                    values: dict[str, Any] = {"done": progress.done, "heartbeat_at": utcnow()}
                    if progress.total:
                        values["total"] = progress.total
                    await repo.update_run(s, run_id, **values)
                written, beat = (progress.done, progress.total), now
            except Exception:  # a busy database must not end the run; retry next tick
                log.warning("could not store the progress of eval run %s", run_id, exc_info=True)
        await asyncio.sleep(PROGRESS_SECONDS)


_worker: EvalWorker | None = None


def set_worker(worker: EvalWorker | None) -> None:
    """Install the process's eval worker (app start-up)."""
    global _worker
    _worker = worker


def get_worker() -> EvalWorker | None:
    """The process's eval worker, if the app started one."""
    return _worker


async def start(*, only_process: bool) -> EvalWorker:
    """App start-up: the process's worker, after marking earlier runs' leftovers failed."""
    worker = EvalWorker(only_process=only_process)
    set_worker(worker)
    await worker.recover()
    return worker


async def stop() -> None:
    """App shutdown: cancel the run in progress, if any."""
    worker = get_worker()
    if worker is not None:
        await worker.stop()
    set_worker(None)
