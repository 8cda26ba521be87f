"""A bot turn: run the support graph on a visitor message and store what it decided."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from app.bot.models import BotJob
from app.conversations import service as conversations
from app.conversations.models import Conversation, Message, Status
from app.events.service import publish_ephemeral, unit_of_work

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


def _sources(result: Any) -> list[dict[str, Any]]:
    return [
        {"slug": s.slug, "title": s.title, "url": s.url, "score": round(s.score, 4)}
        for s in result.sources
    ]


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

    runtime = get_runtime()
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

    try:
        result = await run_turn(
            runtime.graph,
            thread_id=str(conv_id),
            text=text,
            context=runtime.context,
            on_delta=on_delta,
        )
    except Exception:
        # Never leave a visitor in silence: after the last retry, hand over to a human.
        if job.attempts + 1 < 3:
            raise
        log.exception("bot turn failed for conversation %s; escalating", conv_id)
        async with unit_of_work() as s:
            c = await s.get(Conversation, conv_id)
            if c is not None and c.status == Status.bot:
                await conversations.escalate(s, c, reason="bot_error")
        return

    async with unit_of_work() as s:
        c = await s.get(Conversation, conv_id)
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
            )
