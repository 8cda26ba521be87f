"""Closing and reopening: the visitor's "End chat", inactivity, and reopen within a window.

Every close goes through ``conversations.service.close``, which records a
``conversation.closed`` event with who closed it (agent, visitor, inactivity) and the
status it had. A visitor who writes again within the site's reopen window gets the same
conversation back: to the bot if the bot had it, else to its team's queue (the person
who had it may be gone by now). After the window a new conversation starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from app.config import get_settings
from app.contacts.service import UNVERIFIED_KEYS
from app.conversations import repository as conv_repo
from app.conversations import service as conversations
from app.conversations.models import Conversation, Sender, Status
from app.db import sessionmaker, utcnow
from app.errors import Conflict, NotFound
from app.events.domain import ConversationEscalated, emit
from app.events.service import record_event, unit_of_work
from app.lifecycle import repository as repo
from app.lifecycle.models import SiteLifecycle
from app.lifecycle.schemas import LifecycleSettings
from app.sites.models import Site
from app.visitors.models import VisitorSession

log = logging.getLogger(__name__)


async def settings_for(session: AsyncSession, site_id: int) -> LifecycleSettings:
    """The site's lifecycle settings (its own, or the defaults from Settings)."""
    row = await repo.overrides(session, site_id)
    if row is not None:
        return LifecycleSettings(
            inactivity_minutes=row.inactivity_minutes, reopen_hours=row.reopen_hours
        )
    s = get_settings()
    return LifecycleSettings(
        inactivity_minutes=s.inactivity_close_minutes, reopen_hours=s.reopen_window_hours
    )


async def update_settings(
    session: AsyncSession, site_id: int, body: LifecycleSettings
) -> LifecycleSettings:
    """Store a site's own lifecycle settings."""
    if await session.get(Site, site_id) is None:
        raise NotFound(f"Site {site_id} not found.")
    row = await repo.overrides(session, site_id) or SiteLifecycle(site_id=site_id)
    row.inactivity_minutes = body.inactivity_minutes
    row.reopen_hours = body.reopen_hours
    row.updated_at = utcnow()
    session.add(row)
    await session.flush()
    return body


async def _lock_visitor(session: AsyncSession, session_id: str) -> None:
    # The row lock a visitor's send takes first (conversations.service.visitor_message):
    # a close and a message of one visitor are serialised, so a message is never
    # stored in a conversation that closed under it (it reopens it instead).
    await session.exec(
        update(VisitorSession)
        .where(col(VisitorSession.id) == session_id)
        .values(last_seen_at=VisitorSession.last_seen_at)
    )


async def close_by_visitor(session: AsyncSession, vs: VisitorSession) -> Conversation:
    """The visitor pressed "End chat" (and confirmed): close their open conversation."""
    await _lock_visitor(session, vs.id)
    c = await conv_repo.open_for_session(session, vs.id)
    if c is None:
        raise Conflict("There is no open conversation to end.")
    return await conversations.close(session, c, by="the visitor", actor="visitor")


async def reopen_recent(session: AsyncSession, vs: VisitorSession) -> Conversation | None:
    """The visitor's conversation reopened if it closed within the reopen window, else None.

    Called by ``visitor_message`` under the visitor's lock, when nothing is open.
    """
    c = await conv_repo.latest_for_session(session, vs.id)
    if c is None or c.status != Status.closed or c.closed_at is None:
        return None
    conf = await settings_for(session, c.site_id)
    if conf.reopen_hours <= 0 or utcnow() - c.closed_at > timedelta(hours=conf.reopen_hours):
        return None
    # What the visitor told us since it closed (an identify between chats) belongs to the
    # reopened conversation too, as it would to a new one (conversations.start copies it).
    told = {k: vs.context[k] for k in UNVERIFIED_KEYS if k in vs.context}
    if told:
        c.context = {**c.context, **told}
    if c.contact_id is None and vs.contact_id is not None:
        c.contact_id = vs.contact_id
    return await reopen(session, c)


async def reopen(session: AsyncSession, c: Conversation) -> Conversation:
    """Back to the bot, or to the team's queue if a person had the conversation.

    The person who had it may be gone by now, so it is not handed straight back to them.
    """
    assert c.id is not None
    closed = await repo.last_close(session, c.id)
    previous = (closed.data or {}).get("previous_status") if closed else None
    human = previous in (Status.queued.value, Status.assigned.value)
    closed_at = c.closed_at
    c.status = Status.queued if human else Status.bot
    c.closed_at = None
    c.assignee_id = None
    if human:
        c.queued_at = utcnow()  # back in the queue: it waits from now
    session.add(c)
    await conversations.add_message(
        session,
        c,
        Sender.system,
        "Conversation reopened." + (" Waiting for a teammate." if human else ""),
    )
    await record_event(
        session,
        c,
        "conversation.reopened",
        {
            "status": c.status.value,
            "team": c.team,
            "closed_at": closed_at.isoformat() if closed_at else None,
        },
        visitor_visible=False,
    )
    await conversations._status_event(session, c)
    if human:
        # Routing (app/routing) takes it from here as from any handoff: it re-applies the
        # rules (the same facts give the same team) and assigns whoever has room.
        await emit(session, ConversationEscalated(c))
    return c


async def close_if_inactive(
    session: AsyncSession, conversation_id: int, minutes: int, now: datetime
) -> bool:
    """Close one conversation if it is still quiet once the visitor's lock is held."""
    c = await session.get(Conversation, conversation_id)
    if c is None:
        return False
    await _lock_visitor(session, c.session_id)
    if not await repo.still_inactive(session, conversation_id, now - timedelta(minutes=minutes)):
        return False
    await session.refresh(c)
    await conversations.close(
        session,
        c,
        by="inactivity",
        actor="inactivity",
        reason=f"no messages for {minutes} minutes",
        note=f"Conversation closed after {minutes} minutes without messages.",
    )
    return True


async def sweep(now: datetime | None = None) -> int:
    """Close every conversation quiet past its site's limit; returns how many closed."""
    now = now or utcnow()
    plan: list[tuple[int, int]] = []
    async with sessionmaker()() as s:
        for site_id in await repo.site_ids(s):
            conf = await settings_for(s, site_id)
            if conf.inactivity_minutes <= 0:
                continue
            cutoff = now - timedelta(minutes=conf.inactivity_minutes)
            quiet = await repo.inactive(s, site_id, cutoff)
            plan += [(cid, conf.inactivity_minutes) for cid in quiet]
    closed = 0
    for cid, minutes in plan:
        try:
            # One transaction per conversation: one visitor's lock at a time, and a
            # failure (a racing writer on SQLite) only skips it until the next sweep.
            async with unit_of_work() as s:
                closed += await close_if_inactive(s, cid, minutes, now)
        except Exception:
            log.exception("inactivity close of conversation %s failed", cid)
    return closed


class InactivitySweeper:
    """Runs ``sweep`` every few seconds inside the app process.

    Every instance may run one: the re-check under the visitor's lock makes a second
    close of the same conversation a no-op. With several instances and many sites this
    belongs on the job queue as a scheduled job (one run per interval), not in-process.
    """

    def __init__(self, every_seconds: float) -> None:
        self._every = every_seconds
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start the loop (nothing when the interval is 0)."""
        if self._every > 0:
            self._task = asyncio.create_task(self._loop())

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self._every)
            try:
                n = await sweep()
                if n:
                    log.info("closed %d inactive conversations", n)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("inactivity sweep failed")

    async def stop(self) -> None:
        """Cancel the loop."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
