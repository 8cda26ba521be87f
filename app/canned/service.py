"""Canned response rules: who sees, uses and manages which, unique shortcuts per scope,
and filling placeholders for a conversation. Services only flush.

Scopes: shared (every agent of the site), team (its members), personal (its owner).
Leads and admins manage shared and team responses and see every team's; each agent
manages their own personal ones, which nobody else sees.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from app.agents.models import Agent, Role
from app.canned import placeholders
from app.canned import repository as repo
from app.canned.models import CannedResponse
from app.canned.schemas import CannedIn, CannedOut, CannedPatch, RenderOut, Scope, TeamRef
from app.contacts.models import Contact
from app.conversations.models import Conversation
from app.conversations.repository import agent_names
from app.conversations.schemas import AgentRef
from app.db import utcnow
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.sites import service as sites
from app.teams import repository as teams_repo
from app.teams.models import Team

# Every usable response goes to the composer's suggestion list: keep a site's set sane.
MAX_PER_SITE = 1000


class Viewer:
    """The asking agent and the teams they belong to."""

    def __init__(self, agent: Agent, team_ids: set[int]) -> None:
        self.agent = agent
        self.team_ids = team_ids

    @property
    def manages_shared(self) -> bool:
        return self.agent.role in (Role.lead, Role.admin)


async def viewer(session: AsyncSession, agent: Agent) -> Viewer:
    """The agent with their teams."""
    assert agent.id is not None
    return Viewer(agent, {t.id for t in await teams_repo.teams_of(session, agent.id) if t.id})


def scope_of(r: CannedResponse) -> Scope:
    """shared, team or personal."""
    if r.owner_id is not None:
        return "personal"
    return "team" if r.team_id is not None else "shared"


def visible(v: Viewer, r: CannedResponse) -> bool:
    """Personal responses are their owner's alone; everything else every agent may read."""
    return r.owner_id is None or r.owner_id == v.agent.id


def usable(v: Viewer, r: CannedResponse) -> bool:
    """Offered in the agent's composer: shared, one of their teams', or their own."""
    if r.owner_id is not None:
        return r.owner_id == v.agent.id
    return r.team_id is None or r.team_id in v.team_ids


def can_edit(v: Viewer, r: CannedResponse) -> bool:
    """Owners edit their personal responses; leads and admins the shared and team ones."""
    if r.owner_id is not None:
        return r.owner_id == v.agent.id
    return v.manages_shared


def _may_write(v: Viewer, scope: Scope) -> None:
    if scope != "personal" and not v.manages_shared:
        raise Forbidden(
            "Only support leads and admins can add or change shared and team responses; "
            "save it as a personal response instead."
        )


async def get(session: AsyncSession, v: Viewer, canned_id: int) -> CannedResponse:
    """A response this agent may see, or NotFound (another agent's personal ones too)."""
    r = await repo.get(session, canned_id)
    if r is None or not visible(v, r):
        raise NotFound(f"Canned response {canned_id} not found.")
    return r


async def listing(
    session: AsyncSession,
    v: Viewer,
    site_id: int | None,
    *,
    query: str | None = None,
    only_usable: bool = False,
) -> list[CannedOut]:
    """The responses this agent may see (or use), narrowed by a search over shortcut,
    title and text."""
    rows = [r for r in await repo.listing(session, site_id) if visible(v, r)]
    if only_usable:
        rows = [r for r in rows if usable(v, r)]
    if query:
        words = query.lower().removeprefix("/").split()
        rows = [
            r for r in rows if all(w in f"{r.shortcut} {r.title} {r.body}".lower() for w in words)
        ]
    return await outs(session, v, rows)


async def outs(session: AsyncSession, v: Viewer, rows: list[CannedResponse]) -> list[CannedOut]:
    """Responses as the API shows them to this agent."""
    people = {x for r in rows for x in (r.owner_id, r.created_by, r.updated_by) if x is not None}
    names = await agent_names(session, people)
    teams: dict[int, Team] = {t.id: t for t in await teams_repo.all_teams(session) if t.id}

    def ref(agent_id: int | None) -> AgentRef | None:
        return AgentRef(id=agent_id, name=names.get(agent_id, "?")) if agent_id else None

    out = []
    for r in rows:
        assert r.id is not None
        team = teams.get(r.team_id) if r.team_id is not None else None
        out.append(
            CannedOut(
                id=r.id,
                site_id=r.site_id,
                shortcut=r.shortcut,
                title=r.title,
                body=r.body,
                scope=scope_of(r),
                team=TeamRef(id=team.id, key=team.key, name=team.name)
                if team and team.id
                else None,
                owner=ref(r.owner_id),
                created_by=ref(r.created_by),
                updated_by=ref(r.updated_by),
                created_at=r.created_at,
                updated_at=r.updated_at,
                usable=usable(v, r),
                can_edit=can_edit(v, r),
            )
        )
    return out


async def _place(
    session: AsyncSession, v: Viewer, r: CannedResponse, scope: Scope, team_key: str | None
) -> None:
    """Set the response's owner, team and stored scope key."""
    _may_write(v, scope)
    r.owner_id = r.team_id = None
    if scope == "personal":
        r.owner_id = v.agent.id
        r.scope = f"agent:{v.agent.id}"
    elif scope == "team":
        with session.no_autoflush:  # nothing is written before the shortcut check
            team = await teams_repo.by_key(session, team_key or "")
        if team is None or team.id is None:
            raise InvalidInput(f"There is no team {team_key!r}.")
        r.team_id = team.id
        r.scope = f"team:{team.id}"
    else:
        r.scope = "shared"


def _where(scope: str) -> str:
    if scope == "shared":
        return "the shared responses"
    return "your personal responses" if scope.startswith("agent:") else "this team's responses"


async def _unique(session: AsyncSession, r: CannedResponse) -> None:
    with session.no_autoflush:  # the check comes before this response is written
        taken = await repo.by_shortcut(session, r.site_id, r.scope, r.shortcut)
    if taken is not None and taken.id != r.id:
        raise Conflict(
            f"The shortcut /{r.shortcut} is already used by “{taken.title}” in "
            f"{_where(r.scope)}: pick another one or edit that response."
        )


async def _flush(session: AsyncSession, r: CannedResponse) -> None:
    await _unique(session, r)
    try:
        await session.flush()
    except IntegrityError:
        # Someone took the shortcut between the check and the write.
        raise Conflict(f"The shortcut /{r.shortcut} was just taken: pick another one.") from None


async def create(session: AsyncSession, v: Viewer, body: CannedIn) -> CannedResponse:
    """Add a canned response to a site."""
    await sites.get(session, body.site_id)
    if await repo.count_for_site(session, body.site_id) >= MAX_PER_SITE:
        raise InvalidInput(
            f"A site can have at most {MAX_PER_SITE} canned responses: delete or reuse one."
        )
    r = CannedResponse(
        site_id=body.site_id,
        shortcut=body.shortcut,
        title=body.title,
        body=body.body,
        scope="shared",
        created_by=v.agent.id,
        updated_by=v.agent.id,
    )
    await _place(session, v, r, body.scope, body.team)
    session.add(r)
    await _flush(session, r)
    return r


async def update(
    session: AsyncSession, v: Viewer, r: CannedResponse, patch: CannedPatch
) -> CannedResponse:
    """Change a response this agent may edit (moving it to another scope needs the
    right to write there too)."""
    _may_write(v, scope_of(r))  # a visible personal response is the agent's own
    changes = patch.model_dump(exclude_unset=True)
    for name in ("shortcut", "title", "body"):
        if changes.get(name) is not None:
            setattr(r, name, changes[name])
    if "scope" in changes or "team" in changes:
        scope: Scope = changes.get("scope") or scope_of(r)
        team = changes.get("team")
        if scope == "team" and team is None and r.team_id is not None:
            with session.no_autoflush:
                current = await session.get(Team, r.team_id)
            team = current.key if current else None
        if scope == "team" and not team:
            raise InvalidInput("A team response needs its team's key.")
        if scope != "team" and team:
            raise InvalidInput("Only a team response names a team (scope: team).")
        await _place(session, v, r, scope, team)
    r.updated_at = utcnow()
    r.updated_by = v.agent.id
    session.add(r)
    await _flush(session, r)
    return r


async def delete(session: AsyncSession, v: Viewer, r: CannedResponse) -> None:
    """Remove a response this agent may edit."""
    _may_write(v, scope_of(r))
    await session.delete(r)
    await session.flush()


async def values_for(session: AsyncSession, agent: Agent, c: Conversation) -> dict[str, str | None]:
    """What the placeholders stand for in this conversation, for this agent.

    The visitor's name and email: their verified contact's, else what they typed (the
    pre-chat form, ``identify`` without proof, the offline form's email). Never the
    "Visitor #12" the console shows for an anonymous visitor.
    """
    contact = await session.get(Contact, c.contact_id) if c.contact_id else None
    ctx = c.context or {}
    name = (contact.name if contact else None) or _text(ctx.get("name"))
    email = (
        (contact.email if contact else None)
        or _text((c.handoff or {}).get("email"))
        or _text(ctx.get("email"))
    )
    return {
        "visitor.name": name,
        "visitor.first_name": placeholders.first_name(name),
        "visitor.email": email,
        "agent.name": agent.name,
        "agent.first_name": placeholders.first_name(agent.name),
    }


def _text(v: object) -> str | None:
    return v.strip() if isinstance(v, str) and v.strip() else None


async def render(
    session: AsyncSession, agent: Agent, r: CannedResponse, c: Conversation
) -> RenderOut:
    """The response's text ready for this conversation's composer."""
    if r.site_id != c.site_id:
        raise InvalidInput("This canned response belongs to another site.")
    text, missing = placeholders.fill(r.body, await values_for(session, agent, c))
    return RenderOut(text=text, missing=missing)
