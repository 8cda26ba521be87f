"""Eval API for the console: list suites, start a run, follow it, compare, see the report."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse

from app.agents.models import Agent
from app.db import SessionDep
from app.deps import CurrentLead, current_agent, current_lead
from app.errors import Unauthorized
from app.evals import service
from app.evals.schemas import EvalRunDetail, EvalRunIn, EvalRunList, EvalRunOut, SuiteInfo

router = APIRouter(prefix="/api/v1/evals", tags=["evals"])

#: The report is static HTML: no script, nothing loaded, framed only by the console.
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"


@router.get("/suites", response_model=list[SuiteInfo])
async def list_suites(_: CurrentLead) -> list[SuiteInfo]:
    """The suites a lead can run."""
    return service.suites()


@router.post("/runs", status_code=202, response_model=EvalRunOut)
async def start_run(body: EvalRunIn, session: SessionDep, lead: CurrentLead) -> EvalRunOut:
    """Start a run in the background (drafts in place of live articles by default).

    202 with the queued run; follow it at ``GET /runs/{id}``. 409 while another run is
    in progress in this server process.
    """
    run = await service.start_run(session, body, lead)
    return EvalRunOut.model_validate(run, from_attributes=True)


@router.get("/runs", response_model=EvalRunList)
async def list_runs(
    session: SessionDep, _: CurrentLead, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> EvalRunList:
    """Past runs, newest first, and the one in progress."""
    return await service.list_runs(session, limit)


@router.get("/runs/{run_id}", response_model=EvalRunDetail)
async def get_run(run_id: str, session: SessionDep, lead: CurrentLead) -> EvalRunDetail:
    """Status and progress; once done, metrics with deltas, the gate and the failing cases."""
    return await service.run_detail(session, run_id, lead)


@router.post("/runs/{run_id}/baseline", response_model=EvalRunOut)
async def mark_baseline(run_id: str, session: SessionDep, _: CurrentLead) -> EvalRunOut:
    """Make this finished run the baseline later runs of its suite are compared with."""
    return await service.set_baseline(session, run_id, True)


@router.delete("/runs/{run_id}/baseline", response_model=EvalRunOut)
async def unmark_baseline(run_id: str, session: SessionDep, _: CurrentLead) -> EvalRunOut:
    """Stop using this run as the baseline."""
    return await service.set_baseline(session, run_id, False)


@router.get("/runs/{run_id}/report.json")
async def report_json(run_id: str, session: SessionDep, _: CurrentLead) -> JSONResponse:
    """The JSON report (save it for `parley eval run --baseline FILE`)."""
    report: dict[str, Any] = await service.report_json(session, run_id)
    return JSONResponse(
        report,
        headers={"Content-Disposition": f'attachment; filename="eval-{run_id[:8]}.json"'},
    )


@router.get("/runs/{run_id}/report.html", response_class=HTMLResponse)
async def report_html(
    run_id: str, request: Request, session: SessionDep, ticket: str | None = None
) -> HTMLResponse:
    """The HTML report. An iframe or a new tab cannot send the Authorization header, so
    the detail's ``report_url`` carries a ticket for this report alone, valid minutes."""
    if ticket:
        agent = await session.get(Agent, service.read_ticket(ticket, run_id))
        if agent is None or not agent.is_active:
            raise Unauthorized("Unknown or disabled agent.")
    else:
        agent = await current_agent(request, session)
    await current_lead(agent)
    return HTMLResponse(
        await service.report_html(session, run_id),
        headers={"Content-Security-Policy": REPORT_CSP, "Cache-Control": "no-store"},
    )
