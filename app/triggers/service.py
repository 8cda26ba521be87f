"""Trigger rules: validation of whole triggers, per-site limits, stats. Services only flush."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db import utcnow
from app.errors import InvalidInput, NotFound
from app.sites import service as sites
from app.triggers import repository as repo
from app.triggers.models import StatKind, Trigger
from app.triggers.schemas import (
    TriggerFields,
    TriggerIn,
    TriggerOut,
    TriggerPatch,
    TriggerStats,
    WidgetTrigger,
)

# Every enabled trigger rides along with each widget session: keep the list short.
MAX_PER_SITE = 50


def _apply(t: Trigger, f: TriggerFields) -> None:
    t.name = f.name
    t.enabled = f.enabled
    t.kind = f.kind
    t.params = f.params()
    t.pages = [p.model_dump() for p in f.pages]
    t.message = f.message
    t.cap_count = f.cap_count
    t.cap_days = f.cap_days
    t.cooldown_minutes = f.cooldown_minutes
    t.session_max = f.session_max


async def get(session: AsyncSession, trigger_id: int) -> Trigger:
    """The trigger, or NotFound."""
    t = await repo.get(session, trigger_id)
    if t is None:
        raise NotFound(f"Trigger {trigger_id} not found.")
    return t


async def create(session: AsyncSession, body: TriggerIn) -> Trigger:
    """Add a trigger to a site."""
    await sites.get(session, body.site_id)
    if await repo.count_for_site(session, body.site_id) >= MAX_PER_SITE:
        raise InvalidInput(
            f"A site can have at most {MAX_PER_SITE} triggers: delete or reuse one first."
        )
    t = Trigger(site_id=body.site_id, name=body.name, kind=body.kind, message=body.message)
    _apply(t, body)
    session.add(t)
    await session.flush()
    return t


async def update(session: AsyncSession, t: Trigger, patch: TriggerPatch) -> Trigger:
    """Change some fields; the trigger as a whole must still be valid (else a 422)."""
    merged: dict[str, Any] = TriggerOut.of(t).model_dump(
        exclude={"id", "site_id", "created_at", "updated_at", "stats"}
    )
    changes = patch.model_dump(exclude_unset=True)
    if "kind" in changes and changes["kind"] != t.kind:
        # A new kind starts from its own setting, not the old kind's.
        for name in ("seconds", "percent", "visit", "event"):
            merged[name] = None
    merged.update(changes)
    try:
        fields = TriggerFields.model_validate(merged)
    except ValidationError as e:
        raise InvalidInput(
            [{"loc": ["body", *e_["loc"]], "msg": e_["msg"]} for e_ in e.errors()]
        ) from None
    _apply(t, fields)
    t.updated_at = utcnow()
    session.add(t)
    await session.flush()
    return t


async def delete(session: AsyncSession, t: Trigger) -> None:
    """Remove a trigger and its stats."""
    assert t.id is not None
    await repo.delete_stats(session, t.id)
    await session.delete(t)
    await session.flush()


async def list_with_stats(session: AsyncSession, site_id: int) -> list[TriggerOut]:
    """The site's triggers with their shows, opens and dismissals."""
    await sites.get(session, site_id)
    triggers = await repo.for_site(session, site_id)
    counts = await repo.stat_counts(session, [t.id for t in triggers if t.id is not None])
    return [TriggerOut.of(t, stats_of(counts.get(t.id or 0, {}))) for t in triggers]


async def out(session: AsyncSession, t: Trigger) -> TriggerOut:
    """One trigger with its stats."""
    assert t.id is not None
    counts = await repo.stat_counts(session, [t.id])
    return TriggerOut.of(t, stats_of(counts.get(t.id, {})))


def stats_of(counts: dict[StatKind, int]) -> TriggerStats:
    """Counts → stats with the open rate."""
    shows = counts.get(StatKind.show, 0)
    opens = counts.get(StatKind.open, 0)
    return TriggerStats(
        shows=shows,
        opens=opens,
        dismissals=counts.get(StatKind.dismiss, 0),
        open_rate=round(opens / shows, 4) if shows else 0.0,
    )


async def for_widget(session: AsyncSession, site_id: int) -> list[WidgetTrigger]:
    """The site's enabled triggers, as the widget gets them with the session."""
    return [WidgetTrigger.of(t) for t in await repo.for_site(session, site_id, enabled_only=True)]


async def record(
    session: AsyncSession,
    site_id: int,
    session_id: str,
    trigger_id: int,
    kind: StatKind,
    visit: int,
) -> bool:
    """Count a show, open or dismissal once per (trigger, session, kind, visit).

    Only triggers of the visitor's own site; a disabled one still counts (it was on the
    page when the visitor saw it). Returns whether this call stored it.
    """
    t = await repo.get(session, trigger_id)
    if t is None or t.site_id != site_id:
        raise NotFound(f"Trigger {trigger_id} not found.")
    stored = await repo.add_stat(session, trigger_id, session_id, kind, visit)
    if stored and kind == StatKind.open:
        await _remember_opened(session, session_id, t)
    return stored


async def _remember_opened(session: AsyncSession, session_id: str, t: Trigger) -> None:
    """The agent should know the chat began with this proactive message: a visitor's "yes"
    means nothing without the question. It goes on the conversation the visitor is in, or
    on their session for the conversation their next message starts."""
    # Imported here: conversations build on the sites and triggers the widget uses.
    from app.conversations import repository as conversations
    from app.visitors.models import VisitorSession

    note = {"trigger_id": t.id, "name": t.name, "message": t.message, "at": utcnow().isoformat()}
    open_c = await conversations.open_for_session(session, session_id)
    if open_c is not None:
        if "proactive" not in (open_c.context or {}):
            open_c.context = {**(open_c.context or {}), "proactive": note}
            session.add(open_c)
        return
    vs = await session.get(VisitorSession, session_id)
    if vs is not None:
        vs.context = {**vs.context, "proactive": note}
        session.add(vs)
