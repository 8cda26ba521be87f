"""Eval API for the console: list suites, run one against draft articles, see the report."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from app.db import SessionDep
from app.deps import CurrentLead
from app.evals import service
from app.evals.schemas import EvalRunIn, SuiteInfo

router = APIRouter(prefix="/api/v1/evals", tags=["evals"])


@router.get("/suites", response_model=list[SuiteInfo])
async def list_suites(_: CurrentLead) -> list[SuiteInfo]:
    """The suites that ship with the project."""
    return service.suites()


@router.post("/runs")
async def run_suite(body: EvalRunIn, session: SessionDep, _: CurrentLead) -> dict[str, Any]:
    """Run a suite now (drafts in place of live articles by default); the JSON report."""
    return await service.run_suite(session, body)


@router.get("/runs/{run_id}/report.html", response_class=HTMLResponse)
async def report_html(run_id: str, _: CurrentLead) -> HTMLResponse:
    """A recent run's HTML report (self-contained; no script)."""
    return HTMLResponse(
        service.report_html(run_id),
        headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"},
    )
