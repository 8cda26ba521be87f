"""Find what the knowledge base is missing: escalations for low confidence, grouped by meaning.

A visitor question is a gap when the bot handed the conversation over because retrieval
was not confident enough (reason ``low_confidence``). The question is the visitor's last
message before the handoff; every handoff counts, read from the durable event log, so a
conversation handed back to the bot that escalates again yields a second question.
Questions are grouped greedily by cosine similarity of their embeddings (the same model
the knowledge base uses), so "do you sell skateboards" and "can I buy a skateboard here"
land together without any tuning per site.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.articles.index import get_store
from app.conversations.models import ConversationEvent, Message, Sender, Status
from app.db import utcnow
from app.gaps.schemas import Coverage, GapExample, GapGroup, GapReport

GAP_REASONS = frozenset({"low_confidence", "no_answer"})
# The event every status change records, with the inbox row as it was then.
STATUS_EVENT = "conversation.updated"
# Cosine similarity for two questions to be "the same gap" (all-MiniLM-L6-v2): paraphrases
# score 0.6-0.9, different topics in one domain 0.2-0.5.
SIMILARITY = 0.6
MAX_CONVERSATIONS = 5000  # most recent conversations with a gap, per report


@dataclass
class Question:
    """An unanswered visitor question."""

    text: str
    conversation_id: int
    at: datetime
    score: float | None


def _escalations(
    events: Sequence[tuple[int, int, Mapping[str, Any], datetime]], since: datetime
) -> list[tuple[int, int, datetime, float | None]]:
    """(conversation id, event seq, when, confidence) of every bot → human handoff for a gap.

    Each status change records a ``conversation.updated`` event carrying the inbox row
    (status, handoff reason, confidence at that moment). A handoff is the step from
    ``bot`` to any other open status; assigning, offline follow-ups and closing a
    conversation that is already with a human are not new handoffs. ``events`` are one
    or more conversations' status events, in (conversation, seq) order, from the first.
    """
    out: list[tuple[int, int, datetime, float | None]] = []
    status: dict[int, str] = {}
    for conversation_id, seq, data, at in events:
        row = data.get("agent") if isinstance(data, Mapping) else None
        if not isinstance(row, dict) or not isinstance(row.get("status"), str):
            continue
        before = status.get(conversation_id, Status.bot.value)  # a conversation starts with the bot
        now = row["status"]
        status[conversation_id] = now
        if (
            before == Status.bot.value
            and now not in (Status.bot.value, Status.closed.value)
            and row.get("handoff_reason") in GAP_REASONS
            and at >= since
        ):
            conf = row.get("confidence")
            score = float(conf) if isinstance(conf, int | float) else None
            out.append((conversation_id, seq, at, score))
    return out


async def unanswered(session: AsyncSession, *, days: int) -> list[Question]:
    """Questions that ended in a low-confidence handoff in the last ``days`` days.

    Every handoff counts, not only a conversation's latest: a conversation handed back
    to the bot that escalates again on another question is two gaps. The source is the
    durable event log (``conversation.handoff`` holds only the latest handoff).
    """
    since = utcnow() - timedelta(days=days)
    updated = col(ConversationEvent.type) == STATUS_EVENT
    reason = col(ConversationEvent.data)["agent"]["handoff_reason"].as_string()
    ids = (
        await session.exec(
            select(ConversationEvent.conversation_id)
            .where(
                updated, col(ConversationEvent.created_at) >= since, reason.in_(sorted(GAP_REASONS))
            )
            .group_by(col(ConversationEvent.conversation_id))
            .order_by(func.max(ConversationEvent.created_at).desc())
            .limit(MAX_CONVERSATIONS)
        )
    ).all()
    if not ids:
        return []
    # Their whole status history: whether an event is a handoff depends on the one before.
    rows = (
        await session.exec(
            select(
                ConversationEvent.conversation_id,
                ConversationEvent.seq,
                ConversationEvent.data,
                ConversationEvent.created_at,
            )
            .where(updated, col(ConversationEvent.conversation_id).in_(list(ids)))
            .order_by(col(ConversationEvent.conversation_id), col(ConversationEvent.seq))
        )
    ).all()
    escalations = _escalations([(r[0], r[1], r[2], r[3]) for r in rows], since)
    if not escalations:
        return []
    msgs = (
        await session.exec(
            select(Message)
            .where(
                col(Message.conversation_id).in_({e[0] for e in escalations}),
                Message.sender == Sender.visitor,
            )
            .order_by(col(Message.conversation_id), col(Message.seq))
        )
    ).all()
    by_conv: dict[int, list[Message]] = {}
    for m in msgs:
        by_conv.setdefault(m.conversation_id, []).append(m)
    out: list[Question] = []
    for cid, seq, at, score in escalations:
        # The question is the visitor's last message before this handoff.
        before = [m for m in by_conv.get(cid, []) if m.seq < seq]
        if not before:
            continue
        out.append(
            Question(
                text=" ".join(before[-1].text.split())[:500],
                conversation_id=cid,
                at=at,
                score=score,
            )
        )
    return out


def group(questions: Sequence[Question], vectors: np.ndarray, similarity: float) -> list[list[int]]:
    """Greedy grouping: each question joins the closest group centroid above the similarity."""
    groups: list[list[int]] = []
    centroids: list[np.ndarray] = []
    order = sorted(range(len(questions)), key=lambda i: questions[i].at, reverse=True)
    for i in order:
        v = vectors[i]
        if centroids:
            sims = np.asarray([float(c @ v) for c in centroids])
            j = int(sims.argmax())
            if sims[j] >= similarity:
                groups[j].append(i)
                mean = vectors[groups[j]].mean(axis=0)
                centroids[j] = mean / max(float(np.linalg.norm(mean)), 1e-12)
                continue
        groups.append([i])
        centroids.append(v)
    return groups


def _threshold() -> float:
    from app.bot import service as bot_service

    try:
        return float(bot_service.get_runtime().context.answer_threshold)
    except RuntimeError:
        from graphs.support.context import DEFAULT_ANSWER_THRESHOLD

        return DEFAULT_ANSWER_THRESHOLD


async def report(
    session: AsyncSession, *, days: int = 30, similarity: float = SIMILARITY, limit: int = 50
) -> GapReport:
    """Groups of unanswered questions, largest first, with whether live content now covers them."""
    questions = await unanswered(session, days=days)
    threshold = _threshold()
    if not questions:
        return GapReport(days=days, total=0, groups=[], threshold=threshold, similarity=similarity)
    store = get_store()
    vectors = await asyncio.to_thread(store.embedder.embed_many_cached, [q.text for q in questions])
    groups = group(questions, vectors, similarity)
    groups.sort(key=lambda g: (len(g), max(questions[i].at for i in g)), reverse=True)
    out: list[GapGroup] = []
    for members in groups[:limit]:
        vecs = vectors[members]
        centre = vecs.mean(axis=0)
        typical = members[int((vecs @ centre).argmax())]
        label = questions[typical].text
        seen: set[str] = set()
        examples: list[GapExample] = []
        for i in sorted(members, key=lambda i: questions[i].at, reverse=True):
            key = questions[i].text.lower().strip(" ?!.")
            if key in seen:
                continue
            seen.add(key)
            q = questions[i]
            examples.append(
                GapExample(text=q.text, conversation_id=q.conversation_id, at=q.at, score=q.score)
            )
            if len(examples) == 5:
                break
        hits = await asyncio.to_thread(store.search, label, 1)
        covered = (
            Coverage(slug=hits[0].slug, title=hits[0].title, score=round(hits[0].score, 4))
            if hits and hits[0].score >= threshold
            else None
        )
        out.append(
            GapGroup(
                id=hashlib.sha1(label.lower().encode()).hexdigest()[:12],
                label=label,
                count=len(members),
                conversations=len({questions[i].conversation_id for i in members}),
                last_at=max(questions[i].at for i in members),
                examples=examples,
                covered_by=covered,
            )
        )
    return GapReport(
        days=days, total=len(questions), groups=out, threshold=threshold, similarity=similarity
    )


def draft_body(questions: Sequence[str]) -> str:
    """The starting text of an article drafted from a gap: what visitors asked."""
    lines = [f"- {' '.join(q.split())}" for q in questions if q.strip()][:20]
    asked = "\n".join(lines) or "- (no examples)"
    return (
        "_Draft started from the gap report. Replace this line with the answer, then publish._\n\n"
        f"## What visitors asked\n\n{asked}\n"
    )
