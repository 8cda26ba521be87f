"""A bot turn: run the support graph on a visitor message and store what it decided."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from app.bot.models import BotJob
from app.config import Settings
from app.contacts.models import Contact
from app.conversations import repository as repo
from app.conversations import service as conversations
from app.conversations.models import Conversation, Message, Sender, Status
from app.events.service import publish_ephemeral, unit_of_work
from app.prechat.service import describe as describe_prechat
from app.sites import service as sites
from app.sites.models import Site

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Target:
    """Where a turn's live events go."""

    id: int
    site_id: int
    session_id: str


@dataclass
class BotRuntime:
    """What a bot turn needs: the compiled graph and its runtime context."""

    graph: Any
    context: Any


_runtime: BotRuntime | None = None


def set_runtime(runtime: BotRuntime | None) -> None:
    """Install the process's bot runtime (app start-up)."""
    global _runtime
    _runtime = runtime


def get_runtime() -> BotRuntime:
    """The process's bot runtime."""
    if _runtime is None:
        raise RuntimeError("The bot runtime is not started.")
    return _runtime


def build_bot_context(settings: Settings, store: Any) -> Any:
    """The support graph's context for these settings: LLM (if configured) and policy."""
    from graphs.support.runtime import LLMConfig, build_context

    llm = None
    if settings.llm_base_url and settings.llm_model:
        llm = LLMConfig(
            base_url=settings.llm_base_url,
            model=settings.llm_model,
            api_key=settings.llm_api_key,
            first_token_timeout=settings.llm_first_token_seconds,
            total_timeout=settings.llm_total_seconds,
            max_tokens=settings.llm_max_tokens,
            temperature=settings.llm_temperature,
            cooldown_seconds=settings.llm_cooldown_seconds,
            structured_output=settings.llm_structured_output,
        )
    return build_context(store, llm=llm, policy_path=settings.bot_policy_path or None)


def _sources(result: Any) -> list[dict[str, Any]]:
    return [
        {"slug": s.slug, "title": s.title, "url": s.url, "score": round(s.score, 4)}
        for s in result.sources
    ]


async def _turn_inputs(
    s: AsyncSession, c: Conversation, m: Message
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, str]]]:
    """What the graph needs besides the text: contact attributes, earlier conversations,
    and what was said since the bot last spoke (a human's part, after a hand-back)."""
    assert c.id is not None
    contact: dict[str, Any] = {}
    history: list[dict[str, Any]] = []
    if c.contact_id is not None:
        person = await s.get(Contact, c.contact_id)
        contact = dict(person.attributes or {}) if person else {}
        for earlier in await repo.earlier_for_contact(s, c.contact_id, c.id):
            assert earlier.id is not None
            first = await repo.first_visitor_message(s, earlier.id)
            history.append(
                {
                    "started_at": earlier.created_at.isoformat(),
                    "status": earlier.status.value,
                    "first_message": first.text if first else "",
                    "handoff_reason": (earlier.handoff or {}).get("reason"),
                    "intent": earlier.intent,
                }
            )
        history.reverse()  # oldest first
    transcript: list[dict[str, str]] = []
    for earlier_message in reversed(await repo.messages(s, c.id)):
        if earlier_message.seq >= m.seq:
            continue
        if earlier_message.sender == Sender.bot:
            break
        if earlier_message.sender in (Sender.agent, Sender.visitor):
            transcript.append(
                {"role": earlier_message.sender.value, "content": earlier_message.text}
            )
    transcript.reverse()
    # Visitor messages the bot answered are in the graph already; only a human's
    # stretch (an agent spoke) is new to it.
    if not any(item["role"] == "agent" for item in transcript):
        transcript = []
    return contact, history, transcript


async def _files_only(runtime: BotRuntime, conv_id: int) -> None:
    """The visitor sent only files: the bot cannot read them, so it says so and offers a
    person, without a graph turn (there are no words to classify)."""
    async with unit_of_work() as s:
        c = await repo.lock(s, conv_id)
        if c is None or c.status != Status.bot:
            return
        phrases, lang = runtime.context.phrases, c.lang or "en"
        await conversations.bot_message(
            s,
            c,
            phrases.get("attachment_only", lang),
            sources=[],
            stream_id=None,
            intent=c.intent,
            confidence=c.confidence,
            lang=c.lang,
            quick_replies=[phrases.get("talk_to_person", lang)],
        )


async def handle_job(job: BotJob) -> None:
    """Answer or escalate one accepted visitor message (the worker's job handler)."""
    from graphs.support.runtime import run_turn

    async with unit_of_work() as s:
        c = await s.get(Conversation, job.conversation_id)
        m = await s.get(Message, job.message_id)
        if c is None or m is None or c.status != Status.bot:
            return  # a human has it (or it is closed): the bot stays quiet
        text, conv_id = m.text, job.conversation_id
        target = Target(conv_id, c.site_id, c.session_id)
        contact, history, transcript = await _turn_inputs(s, c, m)
        prechat = describe_prechat((c.context or {}).get("prechat"))
        # Out of business hours an escalation offers the offline form, not a queue.
        site = await s.get(Site, c.site_id)
        offline = site is not None and sites.is_offline(site)

    runtime = get_runtime()
    if not text.strip():
        await _files_only(runtime, conv_id)
        return
    stream_id = f"bot-{job.id}"
    await publish_ephemeral(
        target, "typing", {"conversation_id": conv_id, "sender": "bot", "typing": True}
    )
    index = 0

    async def on_delta(delta: str) -> None:
        nonlocal index
        # index lets a client that joined mid-answer know it missed the beginning.
        await publish_ephemeral(
            target,
            "bot.delta",
            {"conversation_id": conv_id, "stream_id": stream_id, "delta": delta, "index": index},
        )
        index += 1

    async def on_retract() -> None:
        nonlocal index
        # A generated answer failed its grounding check after some of it was shown:
        # clients clear the streaming bubble; the deltas that follow restart at 0.
        await publish_ephemeral(
            target, "bot.retract", {"conversation_id": conv_id, "stream_id": stream_id}
        )
        index = 0

    try:
        result = await run_turn(
            runtime.graph,
            thread_id=str(conv_id),
            text=text,
            context=runtime.context,
            on_delta=on_delta,
            on_retract=on_retract,
            # A retried job replaces its visitor message in the graph, not adds it twice.
            message_id=f"m-{job.message_id}",
            transcript=transcript or None,
            contact=contact,
            history=history,
            offline=offline,
            prechat=prechat,
        )
    except Exception:
        # Never leave a visitor in silence: after the last retry, hand over to a human.
        if job.attempts + 1 < 3:
            raise
        log.exception("bot turn failed for conversation %s; escalating", conv_id)
        async with unit_of_work() as s:
            c = await repo.lock(s, conv_id)
            if c is not None and c.status == Status.bot:
                await conversations.escalate(s, c, reason="bot_error", offline=offline)
        return

    async with unit_of_work() as s:
        # Locked: an agent closing or taking the conversation meanwhile wins, the bot
        # stays quiet, and its escalation can never overwrite their change.
        c = await repo.lock(s, conv_id)
        if c is None or c.status != Status.bot:
            return
        sources = _sources(result)
        await conversations.bot_message(
            s,
            c,
            result.reply,
            sources=[] if result.escalated else sources,
            stream_id=stream_id,
            intent=result.intent,
            confidence=result.confidence,
            lang=result.lang,
            # Stored with the message so a reload or another tab shows the same buttons;
            # an escalation offers none (a person is on the way).
            quick_replies=[] if result.escalated else list(result.quick_replies),
        )
        if result.escalated:
            await conversations.escalate(
                s,
                c,
                reason=result.reason or "unknown",
                intent=result.intent,
                confidence=result.confidence,
                summary=result.summary,
                sources=sources,
                offline=result.offline,
                department=result.department,
            )
