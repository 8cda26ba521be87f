"""Request and response shapes of the eval API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from app.evals.models import RunStatus


class SuiteInfo(BaseModel):
    """A suite the console can run (bundled under evals/, or a configured directory)."""

    name: str
    cases: int
    conversations: int


class EvalRunIn(BaseModel):
    """Run a suite against the live knowledge base, or with the drafts in place."""

    suite: str = Field(default="demo", pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    include_drafts: bool = True  # unpublished edits replace the live articles for this run
    quick: bool = True  # a third of each category: about half a minute on two cores


class EvalRunOut(BaseModel):
    """A run as listed: who, when, on what, how far, how it scored."""

    id: str
    suite: str
    include_drafts: bool
    drafts: list[str]
    quick: bool
    status: RunStatus
    done: int
    total: int
    error: str | None
    started_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    pass_rate: float | None
    cases_failed: int | None
    gate_passed: bool | None
    is_baseline: bool
    baseline_id: str | None


class EvalRunList(BaseModel):
    """Past runs, newest first, and the one in progress in this process (if any)."""

    items: list[EvalRunOut]
    running_id: str | None


class MetricRow(BaseModel):
    """One headline metric of a finished run, against its baseline and floor."""

    name: str  # dotted name in the JSON report ("retrieval.hit@1")
    label: str
    kind: Literal["pct", "num", "ms"]
    value: float | None
    baseline: float | None
    delta: float | None
    change: Literal["better", "worse", "same"] | None  # None: nothing to compare with
    regression: bool  # a drop beyond the tolerance: the gate fails on it
    floor: float | None  # the thresholds file's min (or max, for latencies)
    meets_floor: bool | None


class GateOut(BaseModel):
    """The gate of a run: thresholds file plus the baseline tolerance."""

    passed: bool
    thresholds: str | None
    baseline_id: str | None
    failed: list[str]  # messages of the failed checks
    newly_failing: list[str]  # case ids that passed in the baseline and fail now
    note: str | None = None


class FailureOut(BaseModel):
    """A case that failed: what was asked, expected, what happened and why."""

    id: str
    kind: str  # "single" | "conversation"
    text: str
    expected: str
    outcome: str
    why: str
    lang: str
    turns: int  # visitor turns played (conversations)
    simulated_by: str | None


class EvalRunDetail(EvalRunOut):
    """A run with, once it is done, its metrics, gate, failing cases and report link."""

    metrics: list[MetricRow] = Field(default_factory=list)
    gate: GateOut | None = None
    failures: list[FailureOut] = Field(default_factory=list)
    failures_total: int = 0
    report_url: str | None = None  # the HTML report, with a short-lived ticket
    baseline: EvalRunOut | None = None


def run_out(run: Any) -> EvalRunOut:
    """The listed form of a run row."""
    return EvalRunOut.model_validate(run, from_attributes=True)
