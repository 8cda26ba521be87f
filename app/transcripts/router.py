"""Transcript downloads: agents (any conversation) and visitors (only their own)."""

from __future__ import annotations

import json
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from app.conversations import repository as conv_repo
from app.conversations import service as conversations
from app.conversations.models import Conversation
from app.db import SessionDep
from app.deps import CurrentAgent, CurrentVisitor
from app.errors import NotFound
from app.transcripts import html, service

router = APIRouter(prefix="/api/v1/conversations", tags=["transcripts"])
widget_router = APIRouter(prefix="/api/v1/widget", tags=["widget"])

Format = Literal["json", "html"]


def _download(t: dict, fmt: Format) -> Response:  # type: ignore[type-arg]
    name = f"parley-conversation-{t['conversation']['id']}.{fmt}"
    # X-Content-Type-Options: nosniff comes with every response (SecurityHeadersMiddleware).
    headers = {
        "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "no-store",
    }
    if fmt == "json":
        body = json.dumps(t, ensure_ascii=False, indent=2)
        return Response(body, media_type="application/json", headers=headers)
    # Opened in a browser anyway: nothing in it may run or load.
    headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; base-uri 'none'; "
        "form-action 'none'"
    )
    return Response(html.render(t), media_type="text/html; charset=utf-8", headers=headers)


@router.get("/{conversation_id}/transcript", response_class=Response)
async def agent_transcript(
    conversation_id: int,
    agent: CurrentAgent,
    session: SessionDep,
    format: Annotated[Format, Query()] = "html",
) -> Response:
    """Download the full transcript (messages, system events, rating) as JSON or HTML."""
    c = await conversations.get_for_agent(session, conversation_id)
    return _download(await service.build(session, c, "agent"), format)


@widget_router.get("/transcript", response_class=Response)
async def visitor_transcript(
    visitor: CurrentVisitor,
    session: SessionDep,
    conversation_id: Annotated[int | None, Query(ge=1)] = None,
    format: Annotated[Format, Query()] = "html",
) -> Response:
    """Download one of this visitor's own conversations (default: the latest)."""
    c: Conversation | None
    if conversation_id is None:
        c = await conv_repo.latest_for_session(session, visitor.session.id)
    else:
        c = await session.get(Conversation, conversation_id)
    if c is None or c.session_id != visitor.session.id:
        raise NotFound("No such conversation.")
    return _download(await service.build(session, c, "visitor"), format)
