"""The LLM's side jobs in the support graph: intent classification and the handoff note.

Both are optional refinements of what the embedding classifier and the extractive
summary already give, so every failure (time-out, outage, malformed or unverifiable
output) simply keeps the embedding/extractive result. Visitor text only ever goes in
the user message, fenced; the system message holds our instructions and the
operator's intent descriptions.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Sequence
from typing import Any

from graphs.support.classifier import IntentClassifier, IntentMatch
from graphs.support.generate import LLMPrompts, fence
from graphs.support.llm import ChatLLM, LLMUnavailable
from knowledge.embeddings import Embedder

__all__ = [
    "candidate_intents",
    "classify_intent",
    "handoff_note",
    "note_is_grounded",
    "note_support",
]

log = logging.getLogger(__name__)

_JSON_OBJECT = re.compile(r"\{.*?\}", re.DOTALL)
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?;])\s+")
# Each sentence of a handoff note must be about something said in the chat: measured on
# MiniLM, faithful notes score 0.50-0.70 against their transcript, off-topic or
# confabulated ones (SmolLM2-135M's "You can't access the chat transcript...") 0.20-0.26.
NOTE_MIN_SUPPORT = 0.4
# Anything carrying a digit (order numbers, amounts, dates, phones) or an @ (emails).
_CLAIM_TOKEN = re.compile(r"[\w$€£.,:/+#@-]*[\d@][\w$€£.,:/+#@-]*")


def candidate_intents(classifier: IntentClassifier, scores: dict[str, float], n: int) -> list[str]:
    """The n intents the embeddings rank highest, plus the default (general question)."""
    ranked = sorted(scores, key=lambda name: scores[name], reverse=True)[:n]
    if classifier.default_intent not in ranked:
        ranked.append(classifier.default_intent)
    return ranked


def _describe(classifier: IntentClassifier, names: Sequence[str]) -> str:
    lines = []
    for name in names:
        intent = classifier.intent(name)
        about = intent.description or "; ".join(intent.examples[:2])
        lines.append(f"- {name}: {' '.join(about.split())}")
    return "\n".join(lines)


def _parse_intent(raw: str, allowed: Sequence[str]) -> str | None:
    """The intent name in the model's JSON reply, if it is one of the candidates."""
    text = raw.strip()
    for candidate in (text, *(m.group(0) for m in _JSON_OBJECT.finditer(text))):
        try:
            data = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(data, dict):
            name = str(data.get("intent", "")).strip()
            return name if name in allowed else None
    return None


async def classify_intent(
    llm: ChatLLM,
    prompts: LLMPrompts,
    classifier: IntentClassifier,
    text: str,
    fast: IntentMatch,
    scores: dict[str, float],
    *,
    company: str,
    previous: str | None = None,
    candidates: int = 8,
    wait_seconds: float = 6.0,
) -> IntentMatch:
    """Ask the LLM to choose among the embedding's top candidates; ``fast`` on any doubt.

    Only the candidates are listed, so the prompt stays small with 150 intents, and the
    reply is constrained to them by the JSON schema (and checked again here).
    """
    if not prompts.intent_system or not scores:
        return fast
    names = candidate_intents(classifier, scores, candidates)
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {"intent": {"type": "string", "enum": names}},
        "required": ["intent"],
        "additionalProperties": False,
    }
    earlier = (
        prompts.intent_earlier.replace("{previous}", fence(previous[:500])) if previous else ""
    )
    messages = [
        {
            "role": "system",
            "content": prompts.intent_system.replace("{company}", company).replace(
                "{intents}", _describe(classifier, names)
            ),
        },
        {
            "role": "user",
            "content": prompts.intent_user.replace("{earlier}", earlier).replace(
                "{message}", fence(text)
            ),
        },
    ]
    try:
        raw = await asyncio.wait_for(
            llm.complete(messages, json_schema=schema, max_tokens=40), wait_seconds
        )
    except (LLMUnavailable, TimeoutError) as exc:
        log.info("LLM intent classification skipped (%s)", getattr(exc, "reason", "timeout"))
        return fast
    name = _parse_intent(raw, names)
    if name is None:
        log.info("LLM intent reply was not one of the candidates: %r", raw[:80])
        return fast
    return classifier.chosen(name, scores, fast)


def _claims(text: str) -> set[str]:
    return {t.strip(".,:").casefold() for t in _CLAIM_TOKEN.findall(text) if t.strip(".,:")}


def note_is_grounded(note: str, transcript_text: str) -> bool:
    """Every number, identifier or email in the note appears in the transcript."""
    said = transcript_text.casefold()
    return all(claim in said for claim in _claims(note))


def note_support(note: str, lines: Sequence[str], embedder: Embedder) -> float:
    """The weakest note sentence's best cosine to a transcript line (0 if none)."""
    sentences = [s for s in _SENTENCE_SPLIT.split(note) if s.strip()]
    said = [line for line in lines if line.strip()]
    if not sentences or not said:
        return 0.0
    sims = embedder.embed(sentences) @ embedder.embed(said).T
    return float(sims.max(axis=1).min())


async def handoff_note(
    llm: ChatLLM,
    prompts: LLMPrompts,
    *,
    company: str,
    reason: str,
    transcript: Sequence[tuple[str, str]],
    embedder: Embedder | None = None,
    wait_seconds: float = 20.0,
    max_chars: int = 600,
    min_support: float = NOTE_MIN_SUPPORT,
) -> str | None:
    """A short note for the agent written by the LLM, or None to use the extractive one.

    ``transcript`` is (role, text) pairs, role "Visitor", "Bot" or "Agent". A note that
    mentions an order number, email or amount the transcript does not contain is
    dropped: an agent acting on an invented order number is worse than no note. With
    an ``embedder``, so is a note with a sentence unrelated to anything said in the chat.
    """
    if not prompts.summary_system or not transcript:
        return None
    lines = "\n".join(f"{role}: {' '.join(text.split())[:600]}" for role, text in transcript[-12:])
    messages = [
        {"role": "system", "content": prompts.summary_system.replace("{company}", company)},
        {
            "role": "user",
            "content": prompts.summary_user.replace("{reason}", reason.replace("_", " ")).replace(
                "{transcript}", fence(lines)
            ),
        },
    ]
    try:
        raw = await asyncio.wait_for(llm.complete(messages, max_tokens=160), wait_seconds)
    except (LLMUnavailable, TimeoutError) as exc:
        log.info("LLM handoff note skipped (%s)", getattr(exc, "reason", "timeout"))
        return None
    note = " ".join(raw.split())[:max_chars].strip()
    if not note:
        return None
    if not note_is_grounded(note, lines):
        log.info("LLM handoff note dropped: it names something the visitor never said")
        return None
    if embedder is not None:
        said = [text for _, text in transcript[-12:]]
        support = await asyncio.to_thread(note_support, note, said, embedder)
        if support < min_support:
            log.info("LLM handoff note dropped: weakly related to the chat (%.2f)", support)
            return None
    return note
