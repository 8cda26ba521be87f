"""Contact endpoints: the widget's identify call, the console's contacts, and the site's
identity secret (admins)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, status
from fastapi.responses import FileResponse
from pydantic import BaseModel
from starlette.background import BackgroundTask

from app.agents.models import Agent, Role
from app.contacts import privacy, service
from app.contacts.schemas import (
    ContactDetail,
    ContactIn,
    ContactList,
    ContactOut,
    ContactPatch,
    IdentifyIn,
    IdentifyOut,
    MergeIn,
    NoteIn,
    NoteOut,
)
from app.db import SessionDep
from app.deps import CurrentAgent, CurrentVisitor, current_agent
from app.errors import Forbidden
from app.sites import service as sites
from app.sites.models import new_identity_secret

router = APIRouter(prefix="/api/v1/contacts", tags=["contacts"])
widget_router = APIRouter(prefix="/api/v1/widget", tags=["widget"])
identity_router = APIRouter(prefix="/api/v1/sites", tags=["sites"])


async def _lead(agent: Annotated[Agent, Depends(current_agent)]) -> Agent:
    if agent.role not in (Role.lead, Role.admin):
        raise Forbidden("Only support leads and admins can do this to contacts.")
    return agent


async def _admin(agent: Annotated[Agent, Depends(current_agent)]) -> Agent:
    if agent.role != Role.admin:
        raise Forbidden("Only admins can do this.")
    return agent


ContactLead = Annotated[Agent, Depends(_lead)]
Admin = Annotated[Agent, Depends(_admin)]


# ---- widget ----


@widget_router.post("/identify", response_model=IdentifyOut)
async def identify(body: IdentifyIn, visitor: CurrentVisitor, session: SessionDep) -> IdentifyOut:
    """``Parley('identify', …)``: verified (signature or jwt) links the visitor to their
    contact; otherwise the details stay on this visitor's session, unverified."""
    return await service.identify(session, visitor.session, visitor.site, body)


# ---- console ----


@router.get("", response_model=ContactList)
async def list_contacts(
    agent: CurrentAgent,
    session: SessionDep,
    q: Annotated[str, Query(max_length=200, description="Name, email or user id.")] = "",
    site_id: int | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> ContactList:
    """Contacts matching a search, most recently updated first."""
    return await service.search(session, q, site_id, limit, offset)


@router.post("", response_model=ContactOut, status_code=status.HTTP_201_CREATED)
async def create_contact(body: ContactIn, agent: CurrentAgent, session: SessionDep) -> ContactOut:
    """Add a contact by hand (unverified: no user id)."""
    c = await service.create(session, body)
    return (await service.outs(session, [c]))[0]


@router.get("/{contact_id}", response_model=ContactDetail)
async def get_contact(contact_id: int, agent: CurrentAgent, session: SessionDep) -> ContactDetail:
    """A contact with its timeline: conversations, page visits and notes."""
    return await service.detail(session, await service.get(session, contact_id))


@router.patch("/{contact_id}", response_model=ContactDetail)
async def update_contact(
    contact_id: int, body: ContactPatch, agent: CurrentAgent, session: SessionDep
) -> ContactDetail:
    """Change name, email or attributes (attributes are replaced as a whole)."""
    c = await service.patch(session, await service.get(session, contact_id), body, agent)
    return await service.detail(session, c)


@router.post("/{contact_id}/notes", response_model=NoteOut, status_code=status.HTTP_201_CREATED)
async def add_note(
    contact_id: int, body: NoteIn, agent: CurrentAgent, session: SessionDep
) -> NoteOut:
    """A private note on the contact."""
    c = await service.get(session, contact_id)
    return NoteOut.of(await service.add_note(session, c, agent, body.text))


@router.post("/{contact_id}/merge", response_model=ContactDetail)
async def merge(
    contact_id: int, body: MergeIn, lead: ContactLead, session: SessionDep
) -> ContactDetail:
    """Merge another contact into this one: its conversations, visits and notes move here."""
    keep = await service.get(session, contact_id)
    other = await service.get(session, body.other_id)
    return await service.detail(session, await service.merge(session, keep, other, lead))


@router.get("/{contact_id}/export", response_model=None)
async def export_contact(
    contact_id: int,
    lead: ContactLead,
    session: SessionDep,
    format: Annotated[Literal["json", "zip"], Query()] = "json",
) -> dict[str, object] | FileResponse:
    """Everything stored about the contact (a data-subject access request): one JSON
    document with their files in base64, or (``format=zip``) an archive of that document
    and the files themselves."""
    contact = await service.get(session, contact_id)
    if format == "json":
        return await privacy.export(session, contact)
    path = await privacy.export_archive(session, contact)
    return FileResponse(
        path,
        media_type="application/zip",
        filename=f"contact-{contact_id}-export.zip",
        headers={"Cache-Control": "no-store"},
        background=BackgroundTask(path.unlink, missing_ok=True),
    )


@router.post("/{contact_id}/erase", response_model=privacy.ErasureOut)
async def erase_contact(contact_id: int, admin: Admin, session: SessionDep) -> privacy.ErasureOut:
    """Erase the contact and everything of theirs: conversations, messages, events,
    page visits, files, the bot's memory of them, vectors and undelivered webhooks."""
    return await privacy.erase(session, await service.get(session, contact_id))


# ---- the site's identity secret ----


class IdentitySecretOut(BaseModel):
    """The secret the site's backend signs identities with."""

    site_id: int
    identity_secret: str


@identity_router.get("/{site_id}/identity-secret", response_model=IdentitySecretOut)
async def get_identity_secret(site_id: int, admin: Admin, session: SessionDep) -> IdentitySecretOut:
    """The site's identity secret (admins only; keep it on your server)."""
    site = await sites.get(session, site_id)
    return IdentitySecretOut(site_id=site_id, identity_secret=site.identity_secret)


@identity_router.post("/{site_id}/identity-secret/rotate", response_model=IdentitySecretOut)
async def rotate_identity_secret(
    site_id: int, admin: Admin, session: SessionDep
) -> IdentitySecretOut:
    """Replace the identity secret: signatures made with the old one stop verifying."""
    site = await sites.get(session, site_id)
    site.identity_secret = new_identity_secret()
    session.add(site)
    await session.flush()
    return IdentitySecretOut(site_id=site_id, identity_secret=site.identity_secret)
