"""Eval runs from the console: start one in the background, follow it, judge it, keep it.

A run goes through the live bot's graph settings over the live articles, or with the
unpublished drafts in their place, and is judged like `parley eval run` with
``--thresholds evals/thresholds.yaml --baseline <the suite's baseline run>``.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import jwt
import yaml
from sqlmodel.ext.asyncio.session import AsyncSession

from app.agents.models import Agent
from app.config import get_settings
from app.db import utcnow
from app.errors import Conflict, NotFound, Unauthorized
from app.evals import repository as repo
from app.evals.models import ACTIVE, EvalRun, RunStatus
from app.evals.schemas import (
    EvalRunDetail,
    EvalRunIn,
    EvalRunList,
    EvalRunOut,
    FailureOut,
    GateOut,
    MetricRow,
    SuiteInfo,
    run_out,
)
from app.evals.worker import OWNER, SHUT_DOWN, Progress, get_worker, reap, write_progress
from app.events.service import unit_of_work

__all__ = [
    "bundled_suites",
    "read_ticket",
    "report_html",
    "report_json",
    "run_detail",
    "list_runs",
    "set_baseline",
    "start_run",
    "suites",
]

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
#: Where the bundled suites live: one directory of case files per suite.
SUITES_DIR = ROOT / "evals"
#: The floors and the baseline tolerance every console run is judged by.
THRESHOLDS = SUITES_DIR / "thresholds.yaml"
#: Finished runs kept (baselines are always kept); older ones go, reports included.
KEEP = 200
#: Failing cases listed in a run's detail (the HTML report has them all).
MAX_FAILURES = 200
#: How long a report link works: enough to open it, too short to be worth leaking.
TICKET_MINUTES = 10
_TICKET = "eval-report"
_CASE_SUFFIXES = (".jsonl", ".yaml", ".yml")


# -- suites ------------------------------------------------------------------


def _has_cases(path: Path) -> bool:
    return path.is_dir() and any(
        p.suffix in _CASE_SUFFIXES and p.name != "suite.yaml" for p in path.iterdir()
    )


def _manifest_name(path: Path) -> str | None:
    try:
        data = yaml.safe_load((path / "suite.yaml").read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None
    name = data.get("name") if isinstance(data, dict) else None
    return str(name) if name else None


def bundled_suites() -> dict[str, Path]:
    """Suite name -> directory: evals/<name>/ and the configured PARLEY_EVAL_SUITE_DIRS."""
    out: dict[str, Path] = {}
    for path in sorted(SUITES_DIR.iterdir()):
        if _has_cases(path):
            out[path.name] = path
    for raw in get_settings().eval_suite_dirs.split(","):
        path = Path(raw.strip()).expanduser()
        if raw.strip() and _has_cases(path):
            out.setdefault((_manifest_name(path) or path.name).lower(), path.resolve())
    return out


def suites() -> list[SuiteInfo]:
    """The suites the console can run, and their sizes."""
    from evals.suites import SuiteError, load_suite

    infos = []
    for name, path in bundled_suites().items():
        try:
            suite = load_suite([path])
        except SuiteError:
            log.warning("eval suite %s is unusable", path, exc_info=True)
            continue
        infos.append(
            SuiteInfo(name=name, cases=len(suite.cases), conversations=len(suite.conversations))
        )
    return infos


# -- starting and running ------------------------------------------------------


async def _drafts(session: AsyncSession) -> list[Any]:
    from app.articles import repository as articles
    from app.articles.index import article_url
    from knowledge.store import ArticleInput

    return [
        ArticleInput(a.slug, a.title, article_url(a.slug), a.body, a.lang)
        for a in await articles.all_articles(session)
        if a.published_version != a.version
    ]


def _bot_context() -> Any | None:
    from app.bot import service as bot_service

    try:
        return bot_service.get_runtime().context
    except RuntimeError:
        return None


async def start_run(session: AsyncSession, body: EvalRunIn, agent: Agent) -> EvalRun:
    """Store a queued run and start it in the background (409 while another one runs)."""
    path = bundled_suites().get(body.suite)
    if path is None:
        raise NotFound(f"No suite named {body.suite!r}.")
    worker = get_worker()
    if worker is None:
        raise Conflict("Eval runs are not available in this process.")
    run_id = uuid.uuid4().hex
    worker.claim(run_id, f"{body.suite}, started by {agent.name}")
    try:
        # The drafts are read now: the run tests the knowledge base as the lead saw it.
        drafts = await _drafts(session) if body.include_drafts else []
        run = EvalRun(
            id=run_id,
            suite=body.suite,
            include_drafts=body.include_drafts,
            drafts=sorted(d.slug for d in drafts),
            quick=body.quick,
            started_by_id=agent.id,
            started_by=agent.name,
            owner=OWNER,
        )
        # Committed before the task starts, so that it always finds its row.
        async with unit_of_work() as s:
            s.add(run)
    except BaseException:
        worker.release(run_id)
        raise
    worker.launch(run_id, _execute(run_id, path, body.quick, drafts))
    return run


async def _execute(run_id: str, path: Path, quick: bool, drafts: list[Any]) -> None:
    """The background job: run the suite, judge it, store the report; failures are recorded."""
    from app.articles.index import get_store
    from evals.runner import RunConfig, quick_subset, run_eval
    from evals.suites import SuiteError, load_suite
    from knowledge.overlay import DraftOverlayStore

    progress = Progress()
    writer: asyncio.Task[None] | None = None
    try:
        async with unit_of_work() as s:
            await repo.update_run(
                s, run_id, status=RunStatus.running, started_at=utcnow(), heartbeat_at=utcnow()
            )
        writer = asyncio.create_task(write_progress(run_id, progress))
        suite = load_suite([path])
        progress.start(len(quick_subset(suite)) if quick else len(suite))
        base = get_store()
        store = await asyncio.to_thread(DraftOverlayStore, base, drafts) if drafts else base
        run = await run_eval(
            suite,
            RunConfig(quick=quick),
            store=store,
            context=_bot_context(),
            on_start=progress.start,
            on_result=progress.advance,
        )
        writer.cancel()
        await _finish(run_id, run.results, run.meta, drafts)
    except asyncio.CancelledError:
        await _fail(run_id, SHUT_DOWN)
        raise
    except SuiteError as exc:
        await _fail(run_id, f"The suite is invalid: {exc}")
    except Exception as exc:
        log.exception("eval run %s failed", run_id)
        await _fail(run_id, f"The run failed: {exc.__class__.__name__}: {exc}"[:2000])
    finally:
        if writer is not None:
            writer.cancel()


async def _finish(run_id: str, results: list[Any], meta: dict[str, Any], drafts: list[Any]) -> None:
    from evals.metrics import flatten
    from evals.reports import build_report

    report = build_report(
        results,
        {
            **meta,
            "kb": "live articles with drafts" if drafts else "live articles",
            "drafts": sorted(d.slug for d in drafts),
            "run_id": run_id,
        },
    )
    async with unit_of_work() as s:
        run = await repo.get_run(s, run_id)
        if run is None:
            return  # deleted meanwhile
        baseline_id = await _judge(s, run, report)
        await repo.save_report(s, run_id, report)
        metrics = {
            k: v
            for k, v in flatten(report["metrics"]).items()
            if not k.startswith(("by_lang.", "by_tag."))
        }
        await repo.update_run(
            s,
            run_id,
            status=RunStatus.done,
            done=len(results),
            total=len(results),
            finished_at=utcnow(),
            heartbeat_at=utcnow(),
            pass_rate=report["metrics"].get("pass_rate"),
            cases_failed=sum(1 for c in report["cases"] if not c["passed"]),
            gate_passed=bool(report["gate"]["passed"]),
            baseline_id=baseline_id,
            metrics=metrics,
        )
        await repo.prune(s, KEEP)


async def _judge(session: AsyncSession, run: EvalRun, report: dict[str, Any]) -> str | None:
    """Fill the report's gate: the thresholds file, then the suite's baseline; its id."""
    from evals.gate import (
        GateError,
        Thresholds,
        check_thresholds,
        compare_baseline,
        load_thresholds,
        newly_failing,
    )

    try:
        thresholds = load_thresholds(THRESHOLDS)
        source: str | None = str(THRESHOLDS.relative_to(ROOT))
    except GateError:
        log.exception("eval thresholds unusable; judging on the baseline only")
        thresholds, source = Thresholds(), None
    checks = check_thresholds(report["metrics"], thresholds) if source else []
    fresh: list[str] = []
    baseline = await repo.baseline_for(session, run.suite, run.quick)
    base_report = await repo.get_report(session, baseline.id) if baseline is not None else None
    if baseline is None or base_report is None:
        baseline = None
    else:
        checks += compare_baseline(report["metrics"], base_report["metrics"], thresholds)
        fresh = newly_failing(report["cases"], base_report.get("cases") or [])
    report["gate"] = {
        "passed": all(c.passed for c in checks),
        "baseline": f"run {baseline.id}" if baseline is not None else None,
        "thresholds": source,
        "checks": [c.as_dict() for c in checks],
        "newly_failing": fresh,
    }
    return baseline.id if baseline is not None else None


async def _fail(run_id: str, message: str) -> None:
    try:
        async with unit_of_work() as s:
            await repo.update_run(
                s, run_id, status=RunStatus.failed, error=message, finished_at=utcnow()
            )
    except Exception:  # the database is gone too (shutdown): start-up recovery will do it
        log.warning("could not mark eval run %s failed", run_id, exc_info=True)


# -- reading -------------------------------------------------------------------


async def list_runs(session: AsyncSession, limit: int = 50) -> EvalRunList:
    """Past runs, newest first (unfinished runs of dead processes are marked failed first)."""
    await reap(session)
    worker = get_worker()
    return EvalRunList(
        items=[run_out(r) for r in await repo.list_runs(session, limit)],
        running_id=worker.current if worker is not None else None,
    )


async def _run(session: AsyncSession, run_id: str) -> EvalRun:
    run = await repo.get_run(session, run_id)
    if run is None:
        raise NotFound("No such eval run.")
    return run


def _metric_rows(
    run: EvalRun, baseline: EvalRun | None, checks: list[dict[str, Any]]
) -> list[MetricRow]:
    from evals.metrics import lower_is_better
    from evals.reports import HEADLINE

    now = run.metrics or {}
    before = (baseline.metrics or {}) if baseline is not None else {}
    rows = []
    for label, name, kind in HEADLINE:
        value, ref = now.get(name), before.get(name)
        if value is None and ref is None:
            continue  # not measured by this suite (e.g. no conversations)
        delta = None if value is None or ref is None else value - ref
        change = None
        if delta is not None:
            same = abs(delta) < (0.5 if kind == "ms" else 1e-9)
            better = delta < 0 if lower_is_better(name) else delta > 0
            change = "same" if same else "better" if better else "worse"
        mine = [c for c in checks if c.get("metric") == name]
        limit = next((c for c in mine if c.get("kind") in ("min", "max")), None)
        rows.append(
            MetricRow(
                name=name,
                label=label,
                kind=kind,  # type: ignore[arg-type]
                value=value,
                baseline=ref,
                delta=delta,
                change=change,  # type: ignore[arg-type]
                regression=any(c.get("kind") == "baseline" and not c["passed"] for c in mine),
                floor=limit.get("reference") if limit else None,
                meets_floor=bool(limit["passed"]) if limit else None,
            )
        )
    return rows


def _failures(report: dict[str, Any]) -> list[FailureOut]:
    return [
        FailureOut(
            id=str(c.get("id")),
            kind=str(c.get("kind") or "single"),
            text=str(c.get("text") or ""),
            expected=str(c.get("expected") or ""),
            outcome=str(c.get("outcome") or ""),
            why=str(c.get("why") or ""),
            lang=str(c.get("lang") or ""),
            turns=sum(1 for _ in c.get("turns") or []),
            simulated_by=c.get("simulated_by"),
        )
        for c in report.get("cases") or []
        if not c.get("passed")
    ]


async def run_detail(session: AsyncSession, run_id: str, agent: Agent) -> EvalRunDetail:
    """A run's status and progress; once done, its metrics, gate and failing cases."""
    await reap(session)
    run = await _run(session, run_id)
    detail = EvalRunDetail(**run_out(run).model_dump())
    if run.status != RunStatus.done:
        return detail
    report = await repo.get_report(session, run_id) or {}
    gate = report.get("gate") or {}
    checks = list(gate.get("checks") or [])
    baseline = await repo.get_run(session, run.baseline_id) if run.baseline_id else None
    failures = _failures(report)
    detail.metrics = _metric_rows(run, baseline, checks)
    detail.gate = GateOut(
        passed=bool(gate.get("passed", True)),
        thresholds=gate.get("thresholds"),
        baseline_id=run.baseline_id,
        failed=[_describe(c) for c in checks if not c.get("passed")],
        newly_failing=list(gate.get("newly_failing") or []),
        note=None if run.baseline_id else _no_baseline_note(run),
    )
    detail.failures = failures[:MAX_FAILURES]
    detail.failures_total = len(failures)
    detail.baseline = run_out(baseline) if baseline is not None else None
    assert agent.id is not None
    detail.report_url = (
        f"/api/v1/evals/runs/{run_id}/report.html?ticket={report_ticket(run_id, agent.id)}"
    )
    return detail


def _describe(check: dict[str, Any]) -> str:
    """A failed gate check in words a lead reads ("Intent accuracy (es): 61% is under ...")."""
    from evals.reports import HEADLINE

    labels = {name: (label, kind) for label, name, kind in HEADLINE}
    name = str(check.get("metric"))
    parts = name.split(".")
    where = ""
    if parts[0] in ("by_lang", "by_tag") and len(parts) >= 3:
        where = f" ({parts[1]})" if parts[0] == "by_lang" else f" (tag {parts[1]})"
        name = ".".join(parts[2:])
    label, kind = labels.get(name, (name, "ms" if name.startswith("latency") else "pct"))

    def fmt(v: Any) -> str:
        if v is None:
            return "not measured"
        if kind == "ms":
            return f"{float(v):.0f} ms"
        return f"{float(v):.3f}" if kind == "num" else f"{100 * float(v):.1f}%"

    value, ref = check.get("value"), check.get("reference")
    if check.get("kind") == "baseline":
        moved = "up" if kind == "ms" else "down"
        return f"{label}{where}: {fmt(value)}, {moved} from {fmt(ref)} in the baseline"
    if value is None:
        return f"{label}{where}: not measured by this suite"
    limit = "under the floor" if check.get("kind") == "min" else "over the ceiling"
    return f"{label}{where}: {fmt(value)} is {limit} of {fmt(ref)}"


def _no_baseline_note(run: EvalRun) -> str:
    if run.is_baseline:
        return "This run is the baseline: later runs are compared with it."
    mode = "quick" if run.quick else "full"
    return f"No baseline for {run.suite} ({mode}) when this run finished: judged on the floors."


async def set_baseline(session: AsyncSession, run_id: str, on: bool) -> EvalRunOut:
    """Make a finished run the baseline of its suite and mode (or stop it being one)."""
    run = await _run(session, run_id)
    if on and run.status != RunStatus.done:
        raise Conflict("Only a finished run can be the baseline.")
    if on:
        await repo.clear_baselines(session, run.suite, run.quick)
    await repo.update_run(session, run_id, is_baseline=on)
    await session.refresh(run)
    return run_out(run)


async def report_json(session: AsyncSession, run_id: str) -> dict[str, Any]:
    """A finished run's JSON report (usable as `parley eval run --baseline FILE`)."""
    run = await _run(session, run_id)
    report = await repo.get_report(session, run_id)
    if report is None:
        raise NotFound(
            "This run has no report yet." if run.status in ACTIVE else "This run has no report."
        )
    return report


async def report_html(session: AsyncSession, run_id: str) -> str:
    """A finished run's self-contained HTML report, with its baseline's figures if any."""
    from evals.html import render_html

    report = await report_json(session, run_id)
    run = await _run(session, run_id)
    base = await repo.get_report(session, run.baseline_id) if run.baseline_id else None
    return render_html(report, baseline=base["metrics"] if base else None)


# -- report links --------------------------------------------------------------


def report_ticket(run_id: str, agent_id: int) -> str:
    """A short-lived token that opens one run's HTML report (an iframe sends no header)."""
    now = utcnow()
    claims = {
        "sub": run_id,
        "agent": agent_id,
        "typ": _TICKET,
        "iat": now,
        "exp": now + timedelta(minutes=TICKET_MINUTES),
    }
    return jwt.encode(claims, get_settings().secret(), algorithm="HS256")


def read_ticket(ticket: str, run_id: str) -> int:
    """The agent id of a valid ticket for this run."""
    try:
        claims = jwt.decode(
            ticket, get_settings().secret(), algorithms=["HS256"], options={"require": ["exp"]}
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("This report link has expired; open the report again.") from None
    except jwt.PyJWTError:
        raise Unauthorized("Invalid report link.") from None
    if claims.get("typ") != _TICKET or claims.get("sub") != run_id:
        raise Unauthorized("Invalid report link.")
    return int(claims["agent"])
