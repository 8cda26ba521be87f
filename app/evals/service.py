"""Run eval suites from the console: the live bot's settings, live or draft articles."""

from __future__ import annotations

import asyncio
import uuid
from collections import OrderedDict
from pathlib import Path
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import Conflict, InvalidInput, NotFound
from app.evals.schemas import EvalRunIn, SuiteInfo

__all__ = ["bundled_suites", "report_html", "run_suite", "suites"]

#: Where the bundled suites live: one directory of case files per suite.
SUITES_DIR = Path(__file__).resolve().parents[2] / "evals"
#: Reports kept in memory for the HTML view (the newest ones).
KEEP = 10

# One eval at a time per process: a run is CPU-bound and shares the machine with the
# visitors' bot turns, so a second one would only slow both down.
_running = asyncio.Lock()
_reports: OrderedDict[str, dict[str, Any]] = OrderedDict()


def bundled_suites() -> dict[str, Path]:
    """Suite name -> directory, for every directory of evals/ holding case files."""
    out: dict[str, Path] = {}
    for path in sorted(SUITES_DIR.iterdir()):
        if path.is_dir() and any(
            p.suffix in (".jsonl", ".yaml", ".yml") and p.name != "suite.yaml"
            for p in path.iterdir()
        ):
            out[path.name] = path
    return out


def suites() -> list[SuiteInfo]:
    """The bundled suites and their sizes."""
    from evals.suites import load_suite

    infos = []
    for name, path in bundled_suites().items():
        suite = load_suite([path])
        infos.append(
            SuiteInfo(name=name, cases=len(suite.cases), conversations=len(suite.conversations))
        )
    return infos


async def _drafts(session: AsyncSession) -> list[Any]:
    from app.articles import repository as repo
    from app.articles.index import article_url
    from knowledge.store import ArticleInput

    return [
        ArticleInput(a.slug, a.title, article_url(a.slug), a.body, a.lang)
        for a in await repo.all_articles(session)
        if a.published_version != a.version
    ]


def _bot_context() -> Any | None:
    from app.bot import service as bot_service

    try:
        return bot_service.get_runtime().context
    except RuntimeError:
        return None


async def run_suite(session: AsyncSession, body: EvalRunIn) -> dict[str, Any]:
    """Run a bundled suite through the bot's graph over live (or draft) articles; the report."""
    from app.articles.index import get_store
    from evals.reports import build_report
    from evals.runner import RunConfig, run_eval
    from evals.suites import SuiteError, load_suite
    from knowledge.overlay import DraftOverlayStore

    path = bundled_suites().get(body.suite)
    if path is None:
        raise NotFound(f"No suite named {body.suite!r}.")
    if _running.locked():
        raise Conflict("An eval is already running; try again when it has finished.")
    async with _running:
        drafts = await _drafts(session) if body.include_drafts else []
        base = get_store()
        store = await asyncio.to_thread(DraftOverlayStore, base, drafts) if drafts else base
        try:
            suite = load_suite([path])
            run = await run_eval(
                suite, RunConfig(quick=body.quick), store=store, context=_bot_context()
            )
        except SuiteError as exc:
            raise InvalidInput(str(exc)) from None
    meta = {
        **run.meta,
        "kb": "live articles with drafts" if drafts else "live articles",
        "drafts": sorted(d.slug for d in drafts),
    }
    report = build_report(run.results, meta)
    report["id"] = uuid.uuid4().hex
    _reports[report["id"]] = report
    while len(_reports) > KEEP:
        _reports.popitem(last=False)
    return report


def report_html(run_id: str) -> str:
    """The self-contained HTML report of a recent run."""
    from evals.html import render_html

    report = _reports.get(run_id)
    if report is None:
        raise NotFound("No such eval run (only the last few are kept).")
    return render_html(report)
