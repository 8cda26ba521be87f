"""Simulated visitors for multi-turn cases: the script by default, an LLM when configured."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from evals.results import TurnRecord
from evals.suites import Conversation, Turn

__all__ = [
    "LLMConfig",
    "LLMVisitor",
    "ScriptedVisitor",
    "Visitor",
    "llm_config",
]

#: What the LLM answers when the visitor has nothing more to say.
DONE = "DONE"


class Visitor(Protocol):
    """Produces the visitor's next message given the conversation so far."""

    kind: str

    async def next_message(self, history: Sequence[TurnRecord]) -> Turn | None:
        """The next message, or None when the visitor is done."""
        ...


class ScriptedVisitor:
    """Plays the case's turns in order, whatever the bot says."""

    kind = "script"

    def __init__(self, conversation: Conversation) -> None:
        self._turns = conversation.script
        self._next = 0

    async def next_message(self, history: Sequence[TurnRecord]) -> Turn | None:
        """The next scripted turn (None once all were played)."""
        # Counted here, not from the history: answering a clarification adds a record.
        if self._next >= len(self._turns):
            return None
        self._next += 1
        return self._turns[self._next - 1]


@dataclass(frozen=True)
class LLMConfig:
    """An OpenAI-compatible endpoint (PARLEY_LLM_BASE_URL, _API_KEY, _MODEL)."""

    base_url: str
    api_key: str
    model: str


def llm_config() -> LLMConfig | None:
    """The configured LLM endpoint, or None when PARLEY_LLM_BASE_URL is unset."""
    from app.config import get_settings

    settings = get_settings()
    base = settings.llm_base_url or os.environ.get("PARLEY_LLM_BASE_URL", "")
    if not base:
        return None
    return LLMConfig(
        base_url=base,
        api_key=settings.llm_api_key or "not-needed",
        model=settings.llm_model or "default",
    )


_SYSTEM = """You play a visitor on an online bike shop's website, chatting with its support \
assistant. Stay in character.

Persona: {persona}
Goal: {goal}

Write only your next chat message: one or two short sentences, the way real people type \
in a chat box. Do not invent order numbers or emails unless your persona gives them. \
When your goal is reached, or you have been told a person will take over, reply with \
exactly {done}."""


class LLMVisitor:
    """An LLM plays the visitor from the case's persona and goal (opening with its first turn)."""

    kind = "llm"

    def __init__(
        self,
        conversation: Conversation,
        config: LLMConfig,
        *,
        client: Any | None = None,
        temperature: float = 0.3,
    ) -> None:
        from openai import AsyncOpenAI

        self._conversation = conversation
        self._config = config
        self._client = client or AsyncOpenAI(
            base_url=config.base_url, api_key=config.api_key, timeout=60.0, max_retries=1
        )
        self._temperature = temperature
        self.max_turns = conversation.max_turns or len(conversation.turns) + 2

    async def next_message(self, history: Sequence[TurnRecord]) -> Turn | None:
        """The opening turn of the script, then whatever the LLM visitor says next."""
        if not history:
            return self._conversation.script[0]
        if len(history) >= self.max_turns:
            return None
        conv = self._conversation
        system = _SYSTEM.format(
            persona=conv.persona or "A customer of the shop.",
            goal=conv.goal or "Get your question answered.",
            done=DONE,
        )
        # From the LLM's side it is the visitor ("assistant") talking to the bot ("user").
        messages: list[Any] = [{"role": "system", "content": system}]
        for record in history:
            messages.append({"role": "assistant", "content": record.visitor})
            messages.append({"role": "user", "content": record.reply})
        response = await self._client.chat.completions.create(
            model=self._config.model,
            messages=messages,
            temperature=self._temperature,
            max_tokens=80,
        )
        text = (response.choices[0].message.content or "").strip().strip('"')
        if not text or text.upper().rstrip(".!") == DONE or text.upper().startswith(DONE):
            return None
        return Turn(text=text[:500])
