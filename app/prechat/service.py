"""Pre-chat rules: the site's form, what a visitor is asked, checking and keeping answers.

The answers live in the visitor session's context (``context["prechat"]``) and in the
context of their open conversation; a conversation started later copies the session's
context, so routing (``app/routing``), the bot's handoff summary and the console read
them from ``Conversation.context``. Services only flush.

A name and an email typed here follow the rule for typed details (app/contacts): kept on
the visitor's own session and conversation, marked unverified, never linked to a contact
— so they never reveal or merge anyone's history. A verified visitor (Parley('identify')
with the site's signature) is not asked at all: their contact is the site's word.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from app.contacts import service as contacts
from app.contacts.models import Contact
from app.contacts.schemas import clean_email, clean_name
from app.conversations import repository as conv_repo
from app.db import utcnow
from app.errors import Conflict, InvalidInput
from app.prechat.schemas import (
    MAX_ANSWER,
    PrechatAnswer,
    PrechatConfig,
    PrechatField,
    PrechatStored,
    WidgetPrechat,
    loc,
    widget_view,
)
from app.sites.models import Site
from app.teams import repository as teams_repo
from app.visitors.models import VisitorSession


def config_of(site: Site) -> PrechatConfig:
    """The site's form; a stored form that no longer validates counts as no form."""
    try:
        return PrechatConfig.model_validate(site.prechat or {})
    except ValidationError:
        return PrechatConfig()


async def set_config(session: AsyncSession, site: Site, config: PrechatConfig) -> PrechatConfig:
    """Replace the site's form; every team a category routes to must exist."""
    errors = []
    for i, f in enumerate(config.fields):
        for j, cat in enumerate(f.categories):
            if cat.team and await teams_repo.by_key(session, cat.team) is None:
                errors.append(
                    {
                        "loc": ["body", "fields", i, "categories", j, "team"],
                        "msg": f"Category “{cat.label}”: there is no team {cat.team!r}.",
                    }
                )
    if errors:
        raise InvalidInput(errors)
    site.prechat = config.model_dump()
    session.add(site)
    await session.flush()
    return config


async def is_verified(session: AsyncSession, vs: VisitorSession) -> bool:
    """Whether the visitor is a user the site vouched for (a verified contact)."""
    if vs.contact_id is None:
        return False
    contact = await session.get(Contact, vs.contact_id)
    return contact is not None and contact.external_id is not None


def to_ask(config: PrechatConfig, context: dict[str, Any], verified: bool) -> list[PrechatField]:
    """The fields this visitor still has to answer: none when the form is off, they are
    verified or they answered already; a name or email they gave before is not asked."""
    if not config.enabled or verified or isinstance(context.get("prechat"), dict):
        return []
    known = {t for t in ("name", "email") if context.get(t)}
    return [f for f in config.fields if f.type not in known]


async def for_widget(session: AsyncSession, site: Site, vs: VisitorSession) -> WidgetPrechat | None:
    """What the widget asks before the first message (None: no form for this visitor)."""
    fields = to_ask(config_of(site), vs.context or {}, await is_verified(session, vs))
    return widget_view(fields) if fields else None


def _check(f: PrechatField, raw: str | bool) -> tuple[str | bool | None, str | None]:
    """(the clean value, or None when empty; an error message, or None)."""
    if f.type == "checkbox":
        if not isinstance(raw, bool):
            return None, f"{f.label}: answer true or false."
        return raw, None
    if not isinstance(raw, str):
        return None, f"{f.label}: answer with text."
    text = " ".join(raw.split()) if f.type != "text" else raw.strip()
    if not text:
        return None, None
    limit = MAX_ANSWER.get(f.type)
    if limit is not None and len(text) > limit:
        return None, f"{f.label} is longer than {limit} characters."
    if f.type == "email":
        try:
            return clean_email(text), None
        except ValueError:
            return None, f"{f.label}: enter an email address like name@example.com."
    if f.type == "name":
        return clean_name(text), None
    if f.type == "category":
        if not any(c.key == text for c in f.categories):
            return None, f"{f.label}: choose one of the listed options."
        return text, None
    if f.type == "select":
        if text not in f.options:
            return None, f"{f.label}: choose one of the listed options."
        return text, None
    return text, None


def check_answers(
    config: PrechatConfig, asked: list[PrechatField], answers: dict[str, str | bool]
) -> PrechatStored:
    """The answers checked against the form, or InvalidInput naming every field at fault:
    unknown fields, required ones left empty (a required checkbox must be ticked), bad
    emails, choices not offered, text over its length."""
    errors: list[dict[str, Any]] = []
    for key in answers:
        if config.field(key) is None:
            errors.append(
                {
                    "loc": loc(key),
                    "msg": f"Unknown field {key[:40]!r}: the form has no such question.",
                }
            )
    must = {f.name for f in asked if f.required}
    stored: list[PrechatAnswer] = []
    for f in config.fields:
        value, error = (None, None) if f.name not in answers else _check(f, answers[f.name])
        if error is None and f.name in must and value in (None, False):
            error = (
                f"Tick “{f.label}” to continue."
                if f.type == "checkbox"
                else f"{f.label} is required."
            )
        if error is not None:
            errors.append({"loc": loc(f.name), "msg": error})
        elif value is not None:
            shown = next((c.label for c in f.categories if c.key == value), value)
            stored.append(PrechatAnswer(key=f.name, type=f.type, label=f.label, value=shown))
    if errors:
        raise InvalidInput(errors)
    category = next((f for f in config.fields if f.type == "category"), None)
    chosen = answers.get("category") if category is not None else None
    cat = next((c for c in category.categories if c.key == chosen), None) if category else None
    return PrechatStored(
        answers=stored,
        category=cat.key if cat else None,
        category_label=cat.label if cat else None,
        department=cat.team if cat else None,
        at=utcnow(),
    )


async def submit(
    session: AsyncSession, site: Site, vs: VisitorSession, answers: dict[str, str | bool]
) -> PrechatStored:
    """Check the visitor's answers against the site's form and keep them on their session
    and open conversation; nothing is stored when any answer is refused."""
    config = config_of(site)
    if not config.enabled:
        raise Conflict("This site has no pre-chat form.")
    verified = await is_verified(session, vs)
    context = dict(vs.context or {})
    context.pop("prechat", None)  # a resend (a lost answer) replaces the answers
    result = check_answers(config, to_ask(config, context, verified), answers)
    if verified:
        # The site vouched for who they are: a typed name or email does not replace it.
        result.answers = [a for a in result.answers if a.type not in ("name", "email")]
    else:
        typed = {a.type: str(a.value) for a in result.answers if a.type in ("name", "email")}
        if typed:
            await contacts.remember_typed(
                session, vs, name=typed.get("name"), email=typed.get("email")
            )
    stored = result.model_dump(mode="json")
    vs.context = {**(vs.context or {}), "prechat": stored}
    session.add(vs)
    c = await conv_repo.open_for_session(session, vs.id)
    if c is not None:
        c.context = {**(c.context or {}), "prechat": stored}
        session.add(c)
    await session.flush()
    return result


def describe(prechat: Any) -> list[str]:
    """The stored answers as "Label: value" lines (the handoff summary, transcripts)."""
    if not isinstance(prechat, dict):
        return []
    out: list[str] = []
    for a in prechat.get("answers") or []:
        if not isinstance(a, dict) or a.get("value") in (None, ""):
            continue
        value = a["value"]
        text = ("yes" if value else "no") if isinstance(value, bool) else str(value)
        if a.get("type") == "email":
            text += " (typed, not verified)"
        label = str(a.get("label") or a.get("key"))
        # "What is it about? Billing", not "What is it about?: Billing".
        out.append(f"{label} {text}" if label.endswith(("?", ":")) else f"{label}: {text}")
    return out
