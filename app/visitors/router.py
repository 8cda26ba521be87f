"""Widget endpoints: a visitor's session, messages, page views and live stream."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Request, Response, status

from app.bot.worker import wake_bot
from app.config import get_settings
from app.conversations import offline
from app.conversations import repository as conv_repo
from app.conversations import service as conversations
from app.conversations.schemas import MessageOut, TypingIn, visitor_view
from app.db import SessionDep
from app.deps import CurrentVisitor
from app.events.service import publish_ephemeral
from app.events.sse import parse_last_event_id, sse_response, visitor_events
from app.prechat import service as prechat
from app.security import visitor_token
from app.sites import service as sites
from app.triggers import service as triggers
from app.visitors import service
from app.visitors.schemas import (
    ConversationOut,
    OfflineMessageIn,
    PageIn,
    SentOut,
    SessionIn,
    SessionOut,
    VisitorMessageIn,
    site_out,
)

router = APIRouter(prefix="/api/v1/widget", tags=["widget"])


async def _conversation_out(session: SessionDep, session_id: str) -> ConversationOut:
    c = await conv_repo.latest_for_session(session, session_id)
    if c is None:
        return ConversationOut(conversation=None, messages=[])
    assert c.id is not None
    msgs = await conv_repo.messages(session, c.id)
    name = await conversations._assignee_name(session, c)
    return ConversationOut(
        conversation=visitor_view(c, name), messages=[MessageOut.of(m) for m in msgs]
    )


@router.post("/session", response_model=SessionOut)
async def start_session(body: SessionIn, request: Request, session: SessionDep) -> SessionOut:
    """Start a visitor session, or resume the one the bearer token names."""
    vs, site = await service.start_or_resume(session, request, body.site_key, body.context)
    assert site.id is not None
    conv = await _conversation_out(session, vs.id)
    open_now, next_opening = sites.availability(site)
    return SessionOut(
        token=visitor_token(vs.id, site.id),
        session_id=vs.id,
        conversation=conv.conversation,
        messages=conv.messages,
        site=site_out(
            site.name, site.theme, open_now=open_now, next_opening=next_opening
        ).model_copy(
            update={
                "triggers": await triggers.for_widget(session, site.id),
                "prechat": await prechat.for_widget(session, site, vs),
            }
        ),
    )


@router.get("/conversation", response_model=ConversationOut)
async def my_conversation(visitor: CurrentVisitor, session: SessionDep) -> ConversationOut:
    """The visitor's latest conversation with its messages."""
    return await _conversation_out(session, visitor.session.id)


@router.post("/messages", response_model=SentOut, status_code=status.HTTP_201_CREATED)
async def send_message(
    body: VisitorMessageIn,
    visitor: CurrentVisitor,
    session: SessionDep,
    response: Response,
    background: BackgroundTasks,
) -> SentOut:
    """Send a message; resending the same client_message_id returns the stored one."""
    if body.page is not None:
        await service.record_page_view(session, visitor.session, body.page.url, body.page.title)
    m, c, created = await conversations.visitor_message(
        session, visitor.session, body.client_message_id, body.text, body.attachments
    )
    if created:
        background.add_task(wake_bot)
    else:
        response.status_code = status.HTTP_200_OK
    name = await conversations._assignee_name(session, c)
    return SentOut(message=MessageOut.of(m), conversation=visitor_view(c, name))


@router.post("/pageviews", status_code=status.HTTP_204_NO_CONTENT)
async def page_view(body: PageIn, visitor: CurrentVisitor, session: SessionDep) -> None:
    """Record a page the visitor opened (including single-page-app route changes)."""
    await service.record_page_view(session, visitor.session, body.url, body.title)


@router.post("/handoff", response_model=ConversationOut)
async def request_human(visitor: CurrentVisitor, session: SessionDep) -> ConversationOut:
    """The visitor pressed "talk to a human" (out of business hours: the offline form)."""
    c = await conv_repo.open_for_session(session, visitor.session.id)
    if c is None:
        c = await conversations.start(session, visitor.session)
    await conversations.escalate(
        session,
        c,
        reason="visitor_requested",
        intent="human_request",
        offline=sites.is_offline(visitor.site),
    )
    return await _conversation_out(session, visitor.session.id)


@router.post("/offline-message", response_model=SentOut, status_code=status.HTTP_201_CREATED)
async def offline_message(
    body: OfflineMessageIn, visitor: CurrentVisitor, session: SessionDep, response: Response
) -> SentOut:
    """Leave an email and a message for the team (the offline form); idempotent by client id.

    The email stays on this conversation, unverified: it never links to a contact.
    """
    m, c, created = await offline.leave_message(
        session, visitor.session, body.client_message_id, body.email, body.text
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    name = await conversations._assignee_name(session, c)
    return SentOut(message=MessageOut.of(m), conversation=visitor_view(c, name))


@router.post("/typing", status_code=status.HTTP_204_NO_CONTENT)
async def typing(body: TypingIn, visitor: CurrentVisitor, session: SessionDep) -> None:
    """Tell the agent whether the visitor is typing."""
    c = await conv_repo.open_for_session(session, visitor.session.id)
    if c is not None and c.id is not None:
        await publish_ephemeral(
            c,
            "typing",
            {"conversation_id": c.id, "sender": "visitor", "typing": body.typing},
        )


@router.get("/stream")
async def stream(visitor: CurrentVisitor, session: SessionDep, request: Request):  # type: ignore[no-untyped-def]
    """Live events of the visitor's latest conversation (SSE; resumable with Last-Event-ID).

    It may be opened before the first message: it then waits for the conversation.
    """
    c = await conv_repo.latest_for_session(session, visitor.session.id)
    last = parse_last_event_id(request.headers.get("last-event-id"))
    return sse_response(
        visitor_events(visitor.session.id, c.id if c else None, last),
        get_settings().sse_ping_seconds,
    )
