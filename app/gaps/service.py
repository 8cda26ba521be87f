"""Find what the knowledge base is missing: escalations for low confidence, grouped by meaning.

A visitor question is a gap when the bot handed the conversation over because retrieval
was not confident enough (reason ``low_confidence``). The question is the visitor's last
message before the handoff. Questions are grouped greedily by cosine similarity of their
embeddings (the same model the knowledge base uses), so "do you sell skateboards" and
"can I buy a skateboard here" land together without any tuning per site.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.articles.index import get_store
from app.conversations.models import Conversation, Message, Sender
from app.db import utcnow
from app.gaps.schemas import Coverage, GapExample, GapGroup, GapReport

GAP_REASONS = frozenset({"low_confidence", "no_answer"})
# Cosine similarity for two questions to be "the same gap" (all-MiniLM-L6-v2): paraphrases
# score 0.6-0.9, different topics in one domain 0.2-0.5.
SIMILARITY = 0.6
MAX_CONVERSATIONS = 5000


@dataclass
class Question:
    """An unanswered visitor question."""

    text: str
    conversation_id: int
    at: datetime
    score: float | None


def _parse_at(value: object, fallback: datetime) -> datetime:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return fallback
    return fallback


async def unanswered(session: AsyncSession, *, days: int) -> list[Question]:
    """Questions that ended in a low-confidence handoff in the last ``days`` days."""
    since = utcnow() - timedelta(days=days)
    convs = (
        await session.exec(
            select(Conversation)
            .where(col(Conversation.handoff).is_not(None), col(Conversation.updated_at) >= since)
            .order_by(col(Conversation.updated_at).desc())
            .limit(MAX_CONVERSATIONS)
        )
    ).all()
    gaps = {
        c.id: c
        for c in convs
        if c.id is not None and (c.handoff or {}).get("reason") in GAP_REASONS
    }
    if not gaps:
        return []
    msgs = (
        await session.exec(
            select(Message)
            .where(col(Message.conversation_id).in_(list(gaps)), Message.sender == Sender.visitor)
            .order_by(col(Message.conversation_id), col(Message.seq))
        )
    ).all()
    by_conv: dict[int, list[Message]] = {}
    for m in msgs:
        by_conv.setdefault(m.conversation_id, []).append(m)
    out: list[Question] = []
    for cid, c in gaps.items():
        handoff = c.handoff or {}
        at = _parse_at(handoff.get("at"), c.updated_at)
        before = [m for m in by_conv.get(cid, []) if m.created_at <= at] or by_conv.get(cid, [])
        if not before:
            continue
        last = before[-1]
        if at < since:
            continue
        conf = handoff.get("confidence")
        out.append(
            Question(
                text=" ".join(last.text.split())[:500],
                conversation_id=cid,
                at=at,
                score=float(conf) if isinstance(conf, int | float) else None,
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
