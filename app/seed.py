"""Demo data: a site, the demo knowledge base and the first admin."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlmodel.ext.asyncio.session import AsyncSession

from app.agents.models import Role
from app.agents.service import ensure_agent
from app.articles import service as articles
from app.canned import repository as canned
from app.canned.models import CannedResponse
from app.config import Settings
from app.sites import repository as sites
from app.sites.models import Site
from app.triggers import repository as triggers
from app.triggers.models import Trigger, TriggerKind

DEMO_KB = Path(__file__).resolve().parent.parent / "knowledge" / "demo"


@dataclass
class SeedResult:
    """What seeding created; the admin password only when it was generated now."""

    site_key: str
    admin_email: str
    admin_password: str | None
    articles: int


async def ensure_site(session: AsyncSession, settings: Settings) -> Site:
    """The demo site, with its allowed origins kept in step with the settings."""
    origins = [o.strip() for o in settings.demo_allowed_origins.split(",") if o.strip()]
    public = settings.public_url.rstrip("/")
    if public not in origins:
        origins.append(public)
    site = await sites.get_by_key(session, settings.demo_site_key)
    if site is None:
        site = Site(
            key=settings.demo_site_key,
            name="Northwind Cycles",
            allowed_origins=origins,
            theme={
                "greeting": "Hi there! 👋 Ask me about orders, shipping, returns or e-bikes.",
                "color": "#1f7a4d",
                "launcher_label": "Chat with Northwind",
            },
        )
    else:
        site.allowed_origins = sorted(set(site.allowed_origins) | set(origins))
    session.add(site)
    await session.flush()
    return site


async def ensure_demo_triggers(session: AsyncSession, site: Site) -> None:
    """Two example proactive triggers, on demo pages the automated tests do not open."""
    assert site.id is not None
    if await triggers.count_for_site(session, site.id):
        return  # a lead's own set (or edits) stays as it is
    session.add_all(
        [
            Trigger(
                site_id=site.id,
                name="Help choosing an e-bike",
                kind=TriggerKind.time_on_page,
                params={"seconds": 30},
                pages=[{"match": "contains", "value": "/demo/e-bikes"}],
                message="Comparing e-bikes? Tell me how far you ride and I’ll suggest one.",
            ),
            Trigger(
                site_id=site.id,
                name="Questions before leaving shipping",
                kind=TriggerKind.exit_intent,
                params={},
                pages=[{"match": "contains", "value": "/demo/shipping"}],
                message="Before you go — any question about delivery or returns? Ask me here.",
                cooldown_minutes=60,
            ),
        ]
    )
    await session.flush()


DEMO_CANNED = [
    (
        "hello",
        "Greeting",
        "Hi {{visitor.name}}, I’m {{agent.name}} from Northwind Cycles. How can I help today?",
    ),
    (
        "refund",
        "Refund timing",
        "Thanks for your patience, {{visitor.first_name}}! Once your return reaches our "
        "warehouse we inspect it within **3 business days**, then refund your original "
        "payment method — it usually shows within 5–7 business days. We’ll email "
        "{{visitor.email}} as soon as it’s issued.",
    ),
    (
        "return-label",
        "How to start a return",
        "You can start a return from **Orders → Return items** in your account (guests: the "
        "Returns page, with your order number and email). We email a prepaid label within "
        "1 business day.",
    ),
    (
        "order-number",
        "Ask for the order number",
        "Could you share your order number? It starts with **NW-** and is in your "
        "confirmation email.",
    ),
    (
        "bye",
        "Closing the chat",
        "Glad I could help, {{visitor.name | there}}! If anything else comes up, just write "
        "here. — {{agent.first_name}}",
    ),
]


async def ensure_demo_canned(session: AsyncSession, site: Site) -> None:
    """A few shared canned responses to try the composer's ``/`` shortcut with."""
    assert site.id is not None
    if await canned.count_for_site(session, site.id):
        return  # the team's own set (or edits) stays as it is
    session.add_all(
        [
            CannedResponse(site_id=site.id, shortcut=k, title=t, body=b, scope="shared")
            for k, t, b in DEMO_CANNED
        ]
    )
    await session.flush()


async def seed(session: AsyncSession, settings: Settings, *, with_kb: bool = True) -> SeedResult:
    """Create what the demo needs; safe to run again."""
    site = await ensure_site(session, settings)
    await ensure_demo_triggers(session, site)
    await ensure_demo_canned(session, site)
    password = settings.admin_password or secrets.token_urlsafe(12)
    _, created = await ensure_agent(
        session, settings.admin_email, settings.admin_name, password, Role.admin
    )
    count = 0
    if with_kb:
        from app.articles.index import get_store
        from knowledge.loaders import load_path

        # Through the KB service: each article gets a version and goes live; chunks
        # already in the index are not embedded again.
        outcomes, _ = await articles.import_documents(
            session, load_path(DEMO_KB), author=None, publish=True, store=get_store(settings)
        )
        count = len(outcomes)
    return SeedResult(
        site_key=site.key,
        admin_email=settings.admin_email,
        admin_password=password if created and not settings.admin_password else None,
        articles=count,
    )
