"""Gap-report API: what visitors asked that the knowledge base could not answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from app.articles import service as articles
from app.articles.router import detail_of
from app.articles.schemas import ArticleDetail
from app.db import SessionDep
from app.deps import CurrentAgent, CurrentLead
from app.gaps import service
from app.gaps.schemas import GapDraftIn, GapReport

router = APIRouter(prefix="/api/v1/kb/gaps", tags=["knowledge base"])


@router.get("", response_model=GapReport)
async def gap_report(
    agent: CurrentAgent,
    session: SessionDep,
    days: Annotated[int, Query(ge=1, le=365)] = 30,
    similarity: Annotated[float, Query(ge=0.3, le=0.95)] = service.SIMILARITY,
) -> GapReport:
    """Questions escalated for low confidence, grouped by similarity, largest group first."""
    return await service.report(session, days=days, similarity=similarity)


@router.post("/draft", response_model=ArticleDetail, status_code=status.HTTP_201_CREATED)
async def start_draft(body: GapDraftIn, lead: CurrentLead, session: SessionDep) -> ArticleDetail:
    """Start a draft article from a gap group (title and the questions visitors asked)."""
    art = await articles.create(
        session,
        title=body.title.strip().rstrip("?").strip() or body.title,
        body=service.draft_body(body.questions),
        author=lead,
        source="gap report",
        note="started from the gap report",
    )
    return await detail_of(session, art)
