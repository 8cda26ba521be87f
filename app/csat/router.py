"""The widget's CSAT endpoint."""

from __future__ import annotations

from fastapi import APIRouter, status

from app.conversations.schemas import CsatOut
from app.csat import service
from app.csat.schemas import CsatIn
from app.db import SessionDep
from app.deps import CurrentVisitor

widget_router = APIRouter(prefix="/api/v1/widget", tags=["widget"])


@widget_router.post("/csat", response_model=CsatOut, status_code=status.HTTP_201_CREATED)
async def rate(body: CsatIn, visitor: CurrentVisitor, session: SessionDep) -> CsatOut:
    """Rate a closed conversation of this visitor, 1-5 with an optional comment (once)."""
    return await service.submit(session, visitor.session, body)
