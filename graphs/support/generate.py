"""Generated answers: prompt the LLM, stream verified sentences, fall back on any doubt.

Streaming and grounding meet here. Tokens are held back until the sentence they belong
to is complete and has passed the grounding check (graphs/support/grounding.py); then
that sentence's tokens go out as they came. So a visitor never sees an unverified
sentence, and the first words arrive one sentence after the model starts rather than
after the whole answer. If a later sentence fails (or the model stalls or errors
mid-answer), a ``retract`` event tells the caller to drop what was streamed, and the
extractive answer is streamed instead; the stored message is always the final text.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from graphs.support.grounding import Grounder, find_sentence_end
from graphs.support.llm import ChatLLM, LLMUnavailable
from graphs.support.phrases import PROMPTS_DIR

__all__ = ["Generated", "LLMPrompts", "generate_answer"]

log = logging.getLogger(__name__)

Writer = Callable[[Any], None]


@dataclass(frozen=True, slots=True)
class LLMPrompts:
    """The prompt templates of prompts/llm.yaml."""

    system: str
    user: str
    earlier: str
    passage: str
    languages: Mapping[str, str]
    intent_system: str = ""
    intent_user: str = ""
    intent_earlier: str = ""
    summary_system: str = ""
    summary_user: str = ""

    @classmethod
    def from_yaml(cls, path: str | Path | None = None) -> LLMPrompts:
        """Load prompts/llm.yaml (or another file of the same shape)."""
        data: dict[str, Any] = yaml.safe_load(
            Path(path or PROMPTS_DIR / "llm.yaml").read_text(encoding="utf-8")
        )
        return cls(
            system=str(data["system"]).strip(),
            user=str(data["user"]),
            earlier=str(data.get("earlier", "")),
            passage=str(data.get("passage", "[{n}] {title}: {text}")),
            languages={str(k): str(v) for k, v in (data.get("languages") or {}).items()},
            intent_system=str(data.get("intent_system", "")).strip(),
            intent_user=str(data.get("intent_user", "")),
            intent_earlier=str(data.get("intent_earlier", "")),
            summary_system=str(data.get("summary_system", "")).strip(),
            summary_user=str(data.get("summary_user", "")),
        )

    def system_message(self, company: str, lang: str) -> str:
        """Our instructions only: operator settings, never visitor or knowledge-base text."""
        return self.system.format(company=company, language=self.languages.get(lang, "English"))

    def messages(
        self,
        *,
        company: str,
        lang: str,
        passages: Sequence[tuple[str, str]],
        question: str,
        previous: str | None = None,
    ) -> list[dict[str, str]]:
        """Chat messages: our system prompt, then passages and question as the user's."""
        # str.replace, not format: visitor and KB text may contain braces.
        blocks = "\n".join(
            self.passage.replace("{n}", str(i + 1))
            .replace("{title}", title)
            .replace("{text}", " ".join(text.split()))
            for i, (title, text) in enumerate(passages)
        )
        earlier = self.earlier.replace("{previous}", _fence(previous)) if previous else ""
        user = (
            self.user.replace("{passages}", blocks)
            .replace("{earlier}", earlier)
            .replace("{question}", _fence(question))
        )
        return [
            {"role": "system", "content": self.system_message(company, lang)},
            {"role": "user", "content": user},
        ]


def fence(text: str) -> str:
    """Visitor text made safe to put between our <<< >>> markers."""
    return _fence(text)


def _fence(text: str) -> str:
    # The visitor cannot close our <<< >>> fence early.
    return text.replace("<<<", "«").replace(">>>", "»")


@dataclass
class Generated:
    """The outcome of one generation attempt."""

    text: str | None  # the verified answer, or None when the caller must fall back
    supporting: list[int] = field(default_factory=list)  # passage indices, most used first
    fallback: str | None = None  # why not: timeout | connection | ungrounded | ...
    retracted: bool = False  # streamed text was withdrawn
    grounding: float | None = None  # weakest sentence support
    first_token_ms: float | None = None
    total_ms: float = 0.0
    problems: list[str] = field(default_factory=list)


def _split_tokens(tokens: list[str], at: int) -> tuple[list[str], list[str]]:
    """Split a token list at a character offset (a token spanning it is cut in two)."""
    out: list[str] = []
    seen = 0
    for i, token in enumerate(tokens):
        if seen + len(token) <= at:
            out.append(token)
            seen += len(token)
            continue
        cut = at - seen
        if cut > 0:
            out.append(token[:cut])
        return out, [token[cut:], *tokens[i + 1 :]]
    return out, []


async def generate_answer(
    llm: ChatLLM,
    messages: Sequence[Mapping[str, str]],
    grounder: Grounder,
    writer: Writer,
    *,
    max_chars: int = 700,
) -> Generated:
    """Stream a grounded LLM answer through writer, or return why the caller must fall back."""
    started = time.perf_counter()
    released: list[str] = []  # tokens sent to the visitor
    held: list[str] = []  # verified sentences that claim nothing yet ("Sure!")
    pending: list[str] = []  # tokens of the sentence being written
    out = Generated(text=None)

    def elapsed() -> float:
        return round((time.perf_counter() - started) * 1000, 1)

    async def settle(tokens: list[str]) -> bool:
        """Check one complete sentence; send it (and held ones) once a claim is verified."""
        sentence = "".join(tokens)
        if not sentence.strip():
            held.extend(tokens)
            return True
        verdict = await asyncio.to_thread(grounder.check, sentence)
        if not verdict.ok:
            out.problems.append(f"{verdict.problem}: {sentence.strip()[:80]!r}")
            return False
        held.extend(tokens)
        if any(c.support is not None for c in grounder.checks):
            for token in held:
                if not released and not token.strip():
                    continue  # no leading whitespace in the bubble
                if not released:
                    token = token.lstrip()
                writer({"type": "delta", "text": token})
                released.append(token)
            held.clear()
        return True

    def fail(reason: str) -> Generated:
        out.fallback = reason
        out.total_ms = elapsed()
        out.grounding = grounder.min_score if grounder.checks else None
        if released:
            writer({"type": "retract"})
            out.retracted = True
        return out

    try:
        async with contextlib.aclosing(llm.stream(messages)) as tokens:
            async for token in tokens:
                if out.first_token_ms is None:
                    out.first_token_ms = elapsed()
                pending.append(token)
                while True:
                    text = "".join(pending)
                    # Leading whitespace (a newline after the previous sentence) is no
                    # sentence end: search after it, so each pass makes progress.
                    lead = len(text) - len(text.lstrip())
                    end = find_sentence_end(text[lead:])
                    if end < 0:
                        break
                    # The space after a sentence travels with the next one.
                    sentence_end = len(text[: lead + end].rstrip())
                    sentence, pending = _split_tokens(pending, sentence_end)
                    if not await settle(sentence):
                        return fail("ungrounded")
                if sum(map(len, released)) + sum(map(len, held)) > max_chars:
                    return fail("too_long")
    except LLMUnavailable as exc:
        log.warning("LLM unavailable (%s); answering extractively", exc.reason)
        return fail(exc.reason)
    except Exception:
        log.exception("LLM answer failed; answering extractively")
        return fail("error")

    rest, _ = _split_tokens(pending, len("".join(pending).rstrip()))
    if "".join(rest).strip() and not await settle(rest):
        return fail("ungrounded")
    if not grounder.grounded:
        # Nothing it said was supported ("I don't know." or only pleasantries).
        return fail("ungrounded")
    for token in held:  # pleasantries after the last claim ("Hope this helps!")
        writer({"type": "delta", "text": token})
        released.append(token)
    out.text = "".join(released)
    out.supporting = grounder.supporting_passages()
    out.grounding = grounder.min_score
    out.total_ms = elapsed()
    return out
