"""High-level API the backend calls: build the graph, run one visitor turn, checkpointers."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.messages import HumanMessage
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command

from graphs.support.context import SupportContext, build_context
from graphs.support.graph import build_graph
from graphs.support.llm import LLMConfig

__all__ = [
    "LLMConfig",
    "Source",
    "SupportContext",
    "TurnResult",
    "build_context",
    "build_graph",
    "make_checkpointer",
    "run_turn",
]


@dataclass
class Source:
    """An article the bot cited (answers) or considered (escalations)."""

    slug: str
    title: str
    url: str
    score: float


@dataclass
class TurnResult:
    """The outcome of one visitor message."""

    reply: str  # the full text streamed to the visitor (the handoff message on escalation)
    intent: str
    confidence: float
    lang: str
    sources: list[Source]
    escalated: bool  # the graph is paused at an interrupt, waiting for a human
    reason: str | None  # why it escalated (intent name or "low_confidence")
    summary: str | None  # handoff summary for the agent
    facts: dict[str, list[str]] | None = None  # order numbers, emails... the visitor gave
    # Buttons to show under the reply (clarification choices, "Talk to a person"); a
    # click sends the label as the visitor's next message.
    quick_replies: list[str] = field(default_factory=list)
    answered_by: str = ""  # llm | extractive | phrase | clarify | handoff
    llm_fallback: str | None = None  # why a configured LLM did not answer: timeout, ungrounded...
    grounding: float | None = None  # weakest sentence support of the generated answer
    department: str | None = None  # where the escalation should be routed
    intent_by: str = ""  # pattern | embedding | llm: who decided the intent
    summary_by: str | None = None  # llm | extractive: who wrote the handoff summary
    offline: bool = False  # escalated out of business hours: show the offline form
    retracted: bool = False  # streamed deltas were withdrawn before the final reply
    phrase: str | None = None  # the fixed phrase replied with (refuse_injection, unhelpful...)


async def run_turn(
    graph: CompiledStateGraph[Any, Any, Any, Any],
    *,
    thread_id: str,
    text: str,
    context: SupportContext,
    on_delta: Callable[[str], Awaitable[None]] | None = None,
    message_id: str | None = None,
    transcript: Sequence[Mapping[str, str]] | None = None,
    contact: Mapping[str, Any] | None = None,
    history: Sequence[Mapping[str, Any]] | None = None,
    on_retract: Callable[[], Awaitable[None]] | None = None,
    offline: bool | None = None,
    prechat: Sequence[str] | None = None,
) -> TurnResult:
    """Run one visitor message through the graph, streaming reply deltas to on_delta.

    If the thread is paused at a handoff (a human had the conversation and handed it
    back), the graph is resumed with this message, which is then processed like any
    other. ``transcript`` ({"role": "agent"|"visitor", "content": ...} items) adds what
    was said while a human had the conversation. ``message_id`` makes a retried turn
    replace its visitor message instead of adding it twice. ``contact`` holds the
    contact's attributes (customer-type escalation rules, e.g. {"vip": True});
    ``history`` the contact's earlier conversations ({"started_at", "first_message" or
    "messages", "status", "handoff_reason", "summary"} items), shown in a handoff.

    ``prechat`` holds the visitor's pre-chat answers ("Label: value"), which a handoff
    summary repeats so the agent does not ask again.

    ``offline`` says the team is out of business hours: an escalation then tells the
    visitor to leave a message (TurnResult.offline) instead of promising a person.

    A generated answer that fails its grounding check after some of it was streamed
    is withdrawn: ``on_retract`` is awaited, and the deltas that follow restart the
    reply (the extractive answer). TurnResult.reply is always the final text.
    """
    config: RunnableConfig = {"configurable": {"thread_id": thread_id}}
    message = (
        HumanMessage(content=text, id=message_id) if message_id else HumanMessage(content=text)
    )
    known: dict[str, Any] = {}
    if contact is not None:
        known["contact"] = dict(contact)
    if history is not None:
        known["history"] = [dict(item) for item in history]
    if offline is not None:
        known["offline"] = offline
    if prechat is not None:
        known["prechat"] = list(prechat)
    payload: Any = {"messages": [message], **known}
    if graph.checkpointer is not None:
        snapshot = await graph.aget_state(config)
        if snapshot.interrupts:
            payload = Command(
                resume={
                    "text": text,
                    "message_id": message_id,
                    "transcript": [dict(item) for item in transcript or []],
                },
                update=known or None,
            )
        elif transcript:
            payload = {
                "messages": [
                    *_transcript_messages(transcript),
                    message,
                ],
                **known,
            }

    final: dict[str, Any] = {}
    retracted = False
    async for part in graph.astream(
        payload, config, context=context, stream_mode=["custom", "values"], version="v2"
    ):
        if part["type"] == "custom":
            data = part["data"]
            kind = data.get("type") if isinstance(data, dict) else None
            if kind == "delta" and on_delta is not None:
                await on_delta(str(data["text"]))
            elif kind == "retract":
                retracted = True
                if on_retract is not None:
                    await on_retract()
        elif part["type"] == "values":
            final = part["data"]
    result = _result(final)
    result.retracted = retracted
    return result


def _transcript_messages(transcript: Sequence[Mapping[str, str]]) -> list[Any]:
    from langchain_core.messages import AIMessage

    out: list[Any] = []
    for item in transcript:
        content = str(item.get("content", ""))
        if not content:
            continue
        if item.get("role") in ("visitor", "user", "human"):
            out.append(HumanMessage(content=content))
        else:
            out.append(AIMessage(content=content, name="agent"))
    return out


def _result(state: Mapping[str, Any]) -> TurnResult:
    escalation = state.get("escalation")
    raw_sources = (escalation or {}).get("sources") if escalation else state.get("sources")
    return TurnResult(
        reply=str(state.get("reply", "")),
        intent=str(state.get("intent", "")),
        confidence=float(escalation["confidence"] if escalation else state.get("confidence", 0.0)),
        lang=str(state.get("lang", "en")),
        sources=[
            Source(slug=s["slug"], title=s["title"], url=s["url"], score=float(s["score"]))
            for s in raw_sources or []
        ],
        escalated=bool(escalation),
        reason=escalation["reason"] if escalation else None,
        summary=escalation["summary"] if escalation else None,
        facts=escalation["facts"] if escalation else None,
        quick_replies=list(state.get("quick_replies") or []),
        answered_by=str(state.get("answered_by") or ""),
        llm_fallback=state.get("llm_fallback"),
        grounding=state.get("grounding"),
        department=(escalation or {}).get("department") if escalation else None,
        offline=bool((escalation or {}).get("offline")),
        intent_by=str(state.get("intent_by") or ""),
        summary_by=(escalation or {}).get("summary_by") if escalation else None,
        phrase=state.get("phrase"),
    )


class _NoLock:
    """Stands in for AsyncPostgresSaver's per-saver lock when it owns a connection pool."""

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, *exc: object) -> None:
        return None


@contextlib.asynccontextmanager
async def make_checkpointer(
    database_url: str | None, sqlite_path: str, *, pool_size: int = 10
) -> AsyncIterator[BaseCheckpointSaver[str]]:
    """LangGraph checkpointer: AsyncPostgresSaver for a postgresql:// URL, else AsyncSqliteSaver."""
    if database_url and database_url.startswith(("postgresql", "postgres:")):
        from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
        from psycopg.rows import dict_row
        from psycopg_pool import AsyncConnectionPool

        # psycopg wants a libpq URL, not SQLAlchemy's "postgresql+psycopg://".
        scheme, rest = database_url.split("://", 1)
        url = f"postgresql://{rest}" if "+" in scheme or scheme == "postgres" else database_url
        async with AsyncConnectionPool(
            url,
            min_size=1,
            max_size=pool_size,
            open=False,
            kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row},
        ) as pool:
            saver = AsyncPostgresSaver(pool)  # type: ignore[arg-type]
            # The saver serialises every call behind one asyncio.Lock even with a pool
            # (DESIGN §6: ~484 vs ~1,310 ops/s); each call takes its own pooled
            # connection, so the lock buys nothing here.
            saver.lock = _NoLock()  # type: ignore[assignment]
            await saver.setup()
            yield saver
        return

    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    Path(sqlite_path).parent.mkdir(parents=True, exist_ok=True)
    async with AsyncSqliteSaver.from_conn_string(sqlite_path) as sqlite_saver:
        await sqlite_saver.setup()
        yield sqlite_saver
