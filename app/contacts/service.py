"""Contact rules: verified identities, unverified details, editing, notes, timeline, merge.

Services only flush. Every change of a contact records ``contact.created`` or
``contact.updated`` (``record_domain_event``), which the webhook outbox picks up in the
same transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from app.agents.models import Agent
from app.contacts import identity
from app.contacts import repository as repo
from app.contacts.links import contact_columns
from app.contacts.models import Contact, ContactNote
from app.contacts.schemas import (
    ContactBrief,
    ContactDetail,
    ContactIn,
    ContactList,
    ContactOut,
    ContactPatch,
    ContactRef,
    EarlierConversation,
    IdentifyIn,
    IdentifyOut,
    NoteOut,
    TimelineItem,
    clean_attributes,
    clean_email,
    clean_name,
)
from app.conversations import repository as conv_repo
from app.conversations.models import Conversation
from app.db import utcnow
from app.errors import Conflict, InvalidInput, NotFound
from app.events.service import record_domain_event
from app.sites.models import Site
from app.visitors import service as visitors
from app.visitors.models import VisitorSession


def payload(c: Contact) -> dict[str, Any]:
    """The contact as webhooks and exports carry it."""
    return {
        "id": c.id,
        "site_id": c.site_id,
        "external_id": c.external_id,
        "verified": c.external_id is not None,
        "name": c.name,
        "email": c.email,
        "attributes": dict(c.attributes or {}),
        "created_at": c.created_at,
        "updated_at": c.updated_at,
    }


def _changed(session: AsyncSession, c: Contact, type_: str, source: str, **extra: Any) -> None:
    assert c.id is not None
    record_domain_event(
        session,
        c.site_id,
        type_,
        {"contact": payload(c), "source": source, **extra},
        contact_id=c.id,
        meta={"source": source},
    )


def _apply(
    c: Contact,
    *,
    name: str | None = None,
    email: str | None = None,
    attributes: dict[str, Any] | None = None,
    replace_attributes: bool = False,
) -> bool:
    """Apply the given values; None leaves a field alone. Returns whether anything changed."""
    before = (c.name, c.email, dict(c.attributes or {}))
    if name is not None:
        c.name = name
    if email is not None:
        c.email = email
    if attributes is not None:
        if replace_attributes:
            merged = {k: v for k, v in attributes.items() if v is not None}
        else:
            # A null value removes the attribute; everything else is set.
            merged = dict(c.attributes or {})
            for k, v in attributes.items():
                if v is None:
                    merged.pop(k, None)
                else:
                    merged[k] = v
        c.attributes = merged
    changed = (c.name, c.email, dict(c.attributes or {})) != before
    if changed:
        c.updated_at = utcnow()
    return changed


async def upsert_verified(
    session: AsyncSession,
    site_id: int,
    external_id: str,
    *,
    name: str | None = None,
    email: str | None = None,
    attributes: dict[str, Any] | None = None,
    source: str,
) -> tuple[Contact, bool]:
    """The site's contact for a verified user id, created or updated; (contact, created)."""
    c = await repo.by_external_id(session, site_id, external_id)
    if c is None:
        c = Contact(site_id=site_id, external_id=external_id)
        _apply(c, name=name, email=email, attributes=attributes or {})
        session.add(c)
        await session.flush()
        _changed(session, c, "contact.created", source)
        return c, True
    if _apply(c, name=name, email=email, attributes=attributes):
        session.add(c)
        await session.flush()
        _changed(session, c, "contact.updated", source)
    return c, False


async def link_session(session: AsyncSession, vs: VisitorSession, contact: Contact) -> None:
    """Link the visitor session, and its conversations no one else owns, to the contact."""
    assert contact.id is not None
    # Under the session's lock: a first message sent with the identify may have just
    # started the conversation (its own start waits for this, see conversations.start).
    await visitors.lock(session, vs)
    changed = vs.contact_id != contact.id
    if changed:
        vs.contact_id = contact.id
        session.add(vs)
    linked: Any = await session.exec(
        update(Conversation)
        .where(col(Conversation.session_id) == vs.id, col(Conversation.contact_id).is_(None))
        .values(contact_id=contact.id)
    )
    await session.flush()
    if not changed and not linked.rowcount:
        return  # identify runs on every page load: nothing new, no event
    open_c = await conv_repo.open_for_session(session, vs.id)
    if open_c is not None:
        await session.refresh(open_c)
        # Agents' inbox shows the contact's name now (the event carries the summary).
        from app.conversations import service as conversations

        await conversations._status_event(session, open_c)


async def identify(
    session: AsyncSession, vs: VisitorSession, site: Site, body: IdentifyIn
) -> IdentifyOut:
    """Verify the visitor's identity and link them to their contact; otherwise keep what
    they told us on their own session only (a typed email never reveals anyone)."""
    assert site.id is not None
    proof: identity.VerifiedIdentity | None = None
    if body.jwt is not None:
        proof = identity.verify_token(site.identity_secret, body.jwt, body.id)
    elif body.signature is not None:
        assert body.id is not None
        proof = identity.verify_signature(site.identity_secret, body.id, body.signature)

    if proof is None:
        await _remember_unverified(session, vs, body)
        return IdentifyOut(verified=False)

    claims = proof.claims
    try:
        name = clean_name(claims["name"]) if isinstance(claims.get("name"), str) else body.name
        email = clean_email(claims["email"]) if isinstance(claims.get("email"), str) else body.email
        # With a JWT only its own claims are the site's word; page-supplied attributes
        # (editable by anyone in a browser console) are ignored.
        attributes = (
            clean_attributes(
                claims.get("attributes") if isinstance(claims.get("attributes"), dict) else {}
            )
            if proof.method == "jwt"
            else body.attributes
        )
    except ValueError as exc:
        raise InvalidInput(f"The identity token's claims are not valid: {exc}") from exc
    contact, _ = await upsert_verified(
        session,
        site.id,
        proof.external_id,
        name=name,
        email=email,
        attributes=attributes,
        source=f"identify:{proof.method}",
    )
    await link_session(session, vs, contact)
    assert contact.id is not None
    return IdentifyOut(
        verified=True,
        contact=ContactRef(
            id=contact.id, external_id=contact.external_id, name=contact.name, email=contact.email
        ),
    )


async def remember_typed(
    session: AsyncSession, vs: VisitorSession, *, name: str | None, email: str | None
) -> None:
    """A name or email the visitor typed (the pre-chat form): kept like an unverified
    identify, on their own session and open conversation only."""
    await _remember_unverified(session, vs, IdentifyIn(name=name, email=email))


# What an unverified identify keeps on the visitor session's context (and a conversation's).
UNVERIFIED_KEYS = ("name", "email", "email_verified", "unverified_user_id", "unverified_attributes")


async def _remember_unverified(session: AsyncSession, vs: VisitorSession, body: IdentifyIn) -> None:
    """Keep typed details on the session (and its open conversation), flagged unverified."""
    await visitors.lock(session, vs)  # as in link_session: either order finds the other
    details: dict[str, Any] = {}
    if body.name:
        details["name"] = body.name
    if body.email:
        details["email"] = body.email
        details["email_verified"] = False
    if body.id:
        details["unverified_user_id"] = body.id
    if body.attributes:
        details["unverified_attributes"] = body.attributes
    if vs.contact_id is not None and body.id is not None:
        linked = await repo.get(session, vs.contact_id)
        if linked is None or linked.external_id != body.id:
            # Someone else claims this browser now: later conversations are not linked to
            # the verified person any more (already linked ones stay theirs).
            vs.contact_id = None
    if details:
        vs.context = {**vs.context, **details}
    session.add(vs)
    open_c = await conv_repo.open_for_session(session, vs.id)
    if open_c is not None and details:
        open_c.context = {**open_c.context, **details}
        session.add(open_c)
    await session.flush()


# ---- the console ----


async def get(session: AsyncSession, contact_id: int) -> Contact:
    """The contact, or NotFound."""
    c = await repo.get(session, contact_id)
    if c is None:
        raise NotFound(f"Contact {contact_id} not found.")
    return c


async def outs(session: AsyncSession, rows: list[Contact]) -> list[ContactOut]:
    """Console rows with conversation counts and when each was last seen."""
    ids = [c.id for c in rows if c.id is not None]
    counts = await repo.conversation_counts(session, ids)
    seen = await repo.last_seen(session, ids)
    return [
        ContactOut.of(c, conversations=counts.get(c.id or 0, 0), last_seen_at=seen.get(c.id or 0))
        for c in rows
    ]


async def search(
    session: AsyncSession, q: str, site_id: int | None, limit: int, offset: int
) -> ContactList:
    """A page of contacts matching ``q``."""
    rows, total = await repo.search(session, q.strip(), site_id, limit, offset)
    return ContactList(items=await outs(session, list(rows)), total=total)


async def create(session: AsyncSession, body: ContactIn) -> Contact:
    """A contact an agent adds by hand (no user id: unverified)."""
    if await session.get(Site, body.site_id) is None:
        raise NotFound(f"Site {body.site_id} not found.")
    c = Contact(site_id=body.site_id)
    _apply(c, name=body.name, email=body.email, attributes=body.attributes)
    session.add(c)
    await session.flush()
    _changed(session, c, "contact.created", "console")
    return c


async def patch(session: AsyncSession, c: Contact, body: ContactPatch, agent: Agent) -> Contact:
    """Change a contact's name, email or attributes (replaced as a whole)."""
    fields = body.model_fields_set
    changed = _apply(
        c,
        name=body.name if "name" in fields else None,
        email=body.email if "email" in fields else None,
        attributes=body.attributes if "attributes" in fields else None,
        replace_attributes=True,
    )
    # An explicit null clears a name or an email.
    if "name" in fields and body.name is None and c.name is not None:
        c.name, changed = None, True
    if "email" in fields and body.email is None and c.email is not None:
        c.email, changed = None, True
    if changed:
        c.updated_at = utcnow()
        session.add(c)
        await session.flush()
        _changed(session, c, "contact.updated", "console", by=agent.name)
    return c


async def add_note(session: AsyncSession, c: Contact, agent: Agent, text: str) -> ContactNote:
    """A private note on the contact."""
    assert c.id is not None
    n = ContactNote(contact_id=c.id, author_id=agent.id, author_name=agent.name, text=text)
    session.add(n)
    await session.flush()
    return n


async def detail(session: AsyncSession, c: Contact) -> ContactDetail:
    """The contact with a timeline of conversations, page visits and notes, newest first."""
    assert c.id is not None
    (out,) = await outs(session, [c])
    convs = list(await repo.conversations(session, c.id))
    firsts = await repo.first_visitor_messages(session, [x.id for x in convs if x.id])
    items: list[TimelineItem] = [
        TimelineItem(
            kind="conversation",
            at=x.created_at,
            conversation_id=x.id,
            status=x.status.value,
            first_message=(firsts.get(x.id or 0) or "")[:300] or None,
            intent=x.intent,
            handoff_reason=(x.handoff or {}).get("reason"),
        )
        for x in convs
    ]
    session_ids = {vs.id for vs in await repo.sessions(session, c.id)}
    session_ids.update(x.session_id for x in convs)
    items += [
        TimelineItem(kind="page_view", at=p.created_at, url=p.url, title=p.title)
        for p in await repo.page_views(session, sorted(session_ids))
    ]
    items += [
        TimelineItem(kind="note", at=n.created_at, note=NoteOut.of(n))
        for n in await repo.notes(session, c.id)
    ]
    items.sort(key=lambda i: i.at, reverse=True)
    return ContactDetail(**out.model_dump(), timeline=items)


async def merge(session: AsyncSession, keep: Contact, other: Contact, agent: Agent) -> Contact:
    """Move everything of ``other`` (conversations, sessions, notes…) to ``keep``, then
    delete ``other``. Two contacts verified as different users are never merged."""
    assert keep.id is not None and other.id is not None
    if keep.id == other.id:
        raise InvalidInput("A contact cannot be merged into itself.")
    if keep.site_id != other.site_id:
        raise Conflict("Only contacts of the same site can be merged.")
    if keep.external_id and other.external_id and keep.external_id != other.external_id:
        raise Conflict(
            "Both contacts are verified users with different user ids; they are different people."
        )
    merged_from = {"id": other.id, "external_id": other.external_id}
    external_id = keep.external_id or other.external_id
    attributes = {**(other.attributes or {}), **(keep.attributes or {})}
    name, email = keep.name or other.name, keep.email or other.email
    # Every row that points at a contact follows it (tables other features add too).
    for table, column in contact_columns():
        await session.exec(
            update(table).where(column == other.id).values({column.name: keep.id})  # type: ignore[arg-type]
        )
    other.external_id = None
    session.add(other)
    await session.flush()
    await session.delete(other)
    await session.flush()
    keep.external_id = external_id
    _apply(keep, name=name, email=email, attributes=attributes, replace_attributes=True)
    keep.updated_at = utcnow()
    session.add(keep)
    await session.flush()
    _changed(session, keep, "contact.updated", "console", by=agent.name, merged_from=merged_from)
    return keep


async def brief(session: AsyncSession, c: Conversation, limit: int = 5) -> ContactBrief | None:
    """The conversation's contact and their earlier conversations (returning visitors)."""
    if c.contact_id is None:
        return None
    contact = await repo.get(session, c.contact_id)
    if contact is None or contact.id is None:
        return None
    convs = [x for x in await repo.conversations(session, contact.id) if x.id != c.id]
    earlier = [x for x in convs if x.id is not None and c.id is not None and x.id < c.id][:limit]
    firsts = await repo.first_visitor_messages(session, [x.id for x in earlier if x.id])
    return ContactBrief(
        id=contact.id,
        external_id=contact.external_id,
        verified=contact.external_id is not None,
        name=contact.name,
        email=contact.email,
        attributes=dict(contact.attributes or {}),
        conversations=len(convs) + 1,
        earlier=[
            EarlierConversation(
                conversation_id=x.id or 0,
                status=x.status.value if hasattr(x.status, "value") else str(x.status),
                started_at=x.created_at,
                first_message=(firsts.get(x.id or 0) or "")[:300] or None,
                handoff_reason=(x.handoff or {}).get("reason"),
                summary=(x.handoff or {}).get("summary"),
            )
            for x in earlier
        ],
    )
