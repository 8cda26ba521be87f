"""Attachment endpoints: uploads (visitor and agent), downloads and removing an unsent upload.

Uploads are the raw bytes as the request body (``application/octet-stream``; the name in
``?filename=``), so they stream to disk and show progress in the browser. Downloads take
either a visitor's or an agent's bearer token: messages carry one URL for both.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

import jwt
from fastapi import APIRouter, Query, Request, status
from fastapi.responses import FileResponse

from app.agents.models import Agent
from app.conversations import service as conversations
from app.conversations.models import Status
from app.db import SessionDep
from app.deps import (
    CurrentAgent,
    CurrentVisitor,
    VisitorContext,
    bearer,
    current_agent,
    current_visitor,
)
from app.errors import Conflict, NotFound, Unauthorized
from app.files import service
from app.files.models import Attachment
from app.files.schemas import AttachmentOut
from app.files.sniff import IMAGES

router = APIRouter(prefix="/api/v1/files", tags=["files"])
widget_router = APIRouter(prefix="/api/v1/widget", tags=["widget"])
agent_router = APIRouter(prefix="/api/v1/conversations", tags=["files"])

_BODY = {
    "requestBody": {
        "required": True,
        "description": "The file's bytes. Its type is detected from them: images (PNG, JPEG, "
        "GIF, WebP), PDF, text/CSV, Word/Excel/PowerPoint/OpenDocument.",
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}
_ERRORS = {
    413: {"description": "Larger than PARLEY_FILE_MAX_BYTES (default 10 MB)"},
    415: {"description": "A type that cannot be attached (SVG, HTML, programs, archives…)"},
    422: {"description": "Empty, or an image that cannot be read"},
}
FileName = Annotated[
    str, Query(min_length=1, max_length=255, description="The file's name, as the user sees it.")
]


@widget_router.post(
    "/files",
    response_model=AttachmentOut,
    status_code=status.HTTP_201_CREATED,
    openapi_extra=_BODY,
    responses=_ERRORS,  # type: ignore[arg-type]
)
async def visitor_upload(
    request: Request, filename: FileName, visitor: CurrentVisitor, session: SessionDep
) -> AttachmentOut:
    """Upload a file to send with the visitor's next message (its id goes in ``attachments``)."""
    a = await service.receive(
        session,
        request.stream(),
        filename=filename,
        content_length=request.headers.get("content-length"),
        visitor=visitor.session,
    )
    return AttachmentOut.of(a)


@agent_router.post(
    "/{conversation_id}/files",
    response_model=AttachmentOut,
    status_code=status.HTTP_201_CREATED,
    openapi_extra=_BODY,
    responses=_ERRORS,  # type: ignore[arg-type]
)
async def agent_upload(
    conversation_id: int,
    request: Request,
    filename: FileName,
    agent: CurrentAgent,
    session: SessionDep,
) -> AttachmentOut:
    """Upload a file to send with a reply in this conversation."""
    c = await conversations.get_for_agent(session, conversation_id)
    if c.status == Status.closed:
        raise Conflict("The conversation is closed.")
    a = await service.receive(
        session,
        request.stream(),
        filename=filename,
        content_length=request.headers.get("content-length"),
        agent=agent,
        conversation=c,
    )
    return AttachmentOut.of(a)


async def _reader(request: Request, session: SessionDep) -> Agent | VisitorContext:
    """The agent or the visitor whose bearer token came with the request."""
    token = bearer(request)
    if not token:
        raise Unauthorized("Sign in first.")
    try:
        kind = jwt.decode(token, options={"verify_signature": False}).get("typ")
    except jwt.PyJWTError as exc:
        raise Unauthorized("Invalid token.") from exc
    if kind == "visitor":
        return await current_visitor(request, session)
    return await current_agent(request, session)


def _disposition(name: str, inline: bool) -> str:
    # An ASCII fallback for old clients, and the real name in RFC 5987 form.
    fallback = "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\;' else "_" for ch in name)
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def _serve(a: Attachment, thumb: bool) -> FileResponse:
    path = service.thumb_path_of(a.storage_key) if thumb else service.path_of(a.storage_key)
    if not path.is_file():
        raise NotFound("The file is no longer stored.")
    name = a.name.rsplit(".", 1)[0] + "-thumb.webp" if thumb else a.name
    return FileResponse(
        path,
        media_type="image/webp" if thumb else a.content_type,
        headers={
            # Only images are shown in the browser; everything else is saved as a file.
            # (X-Content-Type-Options: nosniff comes with every response: app/middleware.py.)
            "Content-Disposition": _disposition(name, inline=thumb or a.content_type in IMAGES),
            # Opened directly, nothing in it may run, load or be framed.
            "Content-Security-Policy": "default-src 'none'; sandbox; frame-ancestors 'none'",
            "Cache-Control": "private, max-age=3600",
        },
    )


async def _readable(request: Request, session: SessionDep, attachment_id: int) -> Attachment:
    expires, signature = request.query_params.get("expires"), request.query_params.get("signature")
    if expires is not None and signature is not None:
        # A transcript's link: the signature stands for the token, for this one file.
        if not expires.isdigit() or not service.link_valid(attachment_id, int(expires), signature):
            raise Unauthorized("This link has expired or is not valid.")
        a = await session.get(Attachment, attachment_id)
        if a is None or a.message_id is None:
            raise NotFound("No such file.")
        return a
    who = await _reader(request, session)
    visitor = who.session if isinstance(who, VisitorContext) else None
    return await service.get_readable(session, attachment_id, visitor=visitor)


@router.get("/{attachment_id}", response_class=FileResponse)
async def download(attachment_id: int, request: Request, session: SessionDep) -> FileResponse:
    """The file (images inline, everything else as a download), for its visitor or agents."""
    return _serve(await _readable(request, session, attachment_id), thumb=False)


@router.get("/{attachment_id}/thumb", response_class=FileResponse)
async def thumbnail(attachment_id: int, request: Request, session: SessionDep) -> FileResponse:
    """An image's thumbnail (WebP, at most 320×320)."""
    a = await _readable(request, session, attachment_id)
    if not a.has_thumb:
        raise NotFound("This file has no thumbnail.")
    return _serve(a, thumb=True)


@router.delete("/{attachment_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove(attachment_id: int, request: Request, session: SessionDep) -> None:
    """Remove one's own upload before it is sent (sent files stay with their message)."""
    who = await _reader(request, session)
    if isinstance(who, VisitorContext):
        await service.discard(session, attachment_id, visitor=who.session)
    else:
        await service.discard(session, attachment_id, agent=who)
