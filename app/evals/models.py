"""Eval runs started from the console: their progress, outcome and persisted report."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, ForeignKey, Integer, String
from sqlmodel import Field, SQLModel

from app.db import JSONType, UTCDateTime, utcnow


class RunStatus(StrEnum):
    """Where a run is: waiting for the process's eval slot, running, or finished."""

    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


#: Statuses of a run that has not finished yet.
ACTIVE = (RunStatus.queued, RunStatus.running)


class EvalRun(SQLModel, table=True):
    """One run of a suite: who started it, on what, how far it got and how it scored."""

    __tablename__ = "eval_run"

    id: str = Field(primary_key=True, max_length=32)
    suite: str = Field(max_length=64)
    include_drafts: bool = True
    # Slugs of the unpublished edits that replaced live articles for this run.
    drafts: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    quick: bool = True
    # A plain string, not a database enum: a new status needs no ALTER TYPE.
    status: RunStatus = Field(
        default=RunStatus.queued, sa_column=Column(String(16), index=True, nullable=False)
    )
    done: int = 0  # cases finished
    total: int = 0  # cases to run (known once the suite is loaded)
    error: str | None = Field(default=None, max_length=2000)
    started_by_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("agent.id", ondelete="SET NULL"), nullable=True),
    )
    started_by: str = Field(default="", max_length=200)  # the agent's name at the time
    # The process running it, and when it last said so: start-up recovery and readers
    # tell a live run from one whose process died (see app/evals/worker.py).
    owner: str = Field(default="", max_length=32)
    heartbeat_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Outcome (when done): enough for the list and for deltas without loading reports.
    pass_rate: float | None = None
    cases_failed: int | None = None
    gate_passed: bool | None = None
    baseline_id: str | None = Field(default=None, max_length=32)  # compared with (if any)
    is_baseline: bool = False  # at most one per suite
    metrics: dict[str, Any] | None = Field(
        default=None, sa_column=Column(JSONType, nullable=True)
    )  # flattened headline metrics: {"retrieval.hit@1": 0.9, ...}


class EvalReport(SQLModel, table=True):
    """The full JSON report of a finished run (the same document as `parley eval --json`).

    In the database rather than the data directory: several app instances share the
    database, not a disk. A row of its own so that listing runs never loads reports.
    """

    __tablename__ = "eval_report"

    run_id: str = Field(
        sa_column=Column(
            String(32), ForeignKey("eval_run.id", ondelete="CASCADE"), primary_key=True
        )
    )
    report: dict[str, Any] = Field(sa_column=Column(JSONType, nullable=False))
