"""An OpenAI-compatible chat model, used for generated answers when one is configured.

Any OpenAI-compatible endpoint works (OpenAI, vLLM, Ollama, llama.cpp's server) through
the ``openai`` SDK. Failures never reach the visitor as silence: every error becomes an
``LLMUnavailable`` the answer node turns into the extractive answer. The SDK's own
retries are off (``max_retries=0``): a visitor is better served by an extractive answer
now than by three back-off retries, and retrying every turn against a struggling
server is how retry storms start. Instead, after an outage, a rate limit or a time-out
the client stays closed for a cool-down and turns answer extractively meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncGenerator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import openai
from openai import AsyncOpenAI

__all__ = ["ChatLLM", "LLMConfig", "LLMUnavailable"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LLMConfig:
    """Where the model is and how long a visitor may wait for it."""

    base_url: str
    model: str
    api_key: str = ""
    # Connecting and the first token: a slow or stalled server must not hold a visitor.
    first_token_timeout: float = 8.0
    # The whole answer, first token included.
    total_timeout: float = 30.0
    max_tokens: int = 300
    temperature: float = 0.2
    # After an outage, a 429 (unless it says Retry-After) or a time-out, skip the model
    # for this long: the next visitors get extractive answers at once.
    cooldown_seconds: float = 30.0
    seed: int | None = 0
    # How the server wants a JSON schema: OpenAI's {"type": "json_schema", ...} (OpenAI,
    # vLLM, Ollama, llama-server) or {"type": "json_object", "schema": ...}
    # (llama-cpp-python's server, which rejects the former).
    structured_output: str = "json_schema"


class LLMUnavailable(Exception):
    """The model could not answer now; ``reason`` says why (for logs, evals and tests)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


class ChatLLM:
    """Streams chat completions with a first-token and a total deadline, and a cool-down."""

    def __init__(self, config: LLMConfig, client: AsyncOpenAI | None = None) -> None:
        self.config = config
        self.client = client or AsyncOpenAI(
            base_url=config.base_url,
            # Local servers (llama.cpp, Ollama) ignore the key but the SDK wants one.
            api_key=config.api_key or "not-needed",
            max_retries=0,
            timeout=openai.Timeout(
                config.total_timeout,
                connect=config.first_token_timeout,
            ),
        )
        self._closed_until = 0.0

    @property
    def available(self) -> bool:
        """False while cooling down after a failure."""
        return time.monotonic() >= self._closed_until

    def _trip(self, seconds: float | None = None) -> None:
        self._closed_until = time.monotonic() + (
            self.config.cooldown_seconds if seconds is None else seconds
        )

    def reset(self) -> None:
        """Forget a past failure (tests, or an operator who fixed the endpoint)."""
        self._closed_until = 0.0

    async def complete(
        self,
        messages: Sequence[Mapping[str, str]],
        *,
        json_schema: Mapping[str, Any] | None = None,
        max_tokens: int | None = None,
    ) -> str:
        """The whole reply as one string (structured output when json_schema is given)."""
        parts: list[str] = []
        async with contextlib.aclosing(
            self.stream(messages, json_schema=json_schema, max_tokens=max_tokens)
        ) as deltas:
            async for delta in deltas:
                parts.append(delta)
        return "".join(parts)

    async def stream(
        self,
        messages: Sequence[Mapping[str, str]],
        *,
        json_schema: Mapping[str, Any] | None = None,
        max_tokens: int | None = None,
    ) -> AsyncGenerator[str, None]:
        """Yield the answer's text deltas; raise LLMUnavailable on any failure or time-out.

        With ``json_schema`` the server is asked for structured output (OpenAI's
        ``response_format`` of type ``json_schema``, which vLLM, Ollama and llama.cpp's
        servers also constrain decoding to); callers still validate what comes back.
        """
        if not self.available:
            raise LLMUnavailable("cooldown")
        cfg = self.config
        loop = asyncio.get_running_loop()
        deadline = loop.time() + cfg.total_timeout
        first_deadline = min(deadline, loop.time() + cfg.first_token_timeout)
        got_text = False
        stream: Any = None

        def left() -> float:
            # Per-step waits rather than one timeout scope around the loop: a scope
            # spanning `yield` would cancel whatever the consumer awaits meanwhile.
            remaining = (deadline if got_text else first_deadline) - loop.time()
            if remaining <= 0:
                raise TimeoutError
            return remaining

        try:
            stream = await asyncio.wait_for(
                self.client.chat.completions.create(
                    model=cfg.model,
                    messages=cast(Any, [dict(m) for m in messages]),
                    stream=True,
                    max_tokens=max_tokens or cfg.max_tokens,
                    response_format=_response_format(json_schema, cfg.structured_output),
                    temperature=cfg.temperature,
                    seed=cfg.seed if cfg.seed is not None else openai.omit,
                ),
                left(),
            )
            chunks = stream.__aiter__()
            while True:
                try:
                    chunk = await asyncio.wait_for(anext(chunks), left())
                except StopAsyncIteration:
                    break
                choices = getattr(chunk, "choices", None) or []
                text = (getattr(choices[0].delta, "content", None) or "") if choices else ""
                if text:
                    # From the first token on, only the total deadline applies.
                    got_text = True
                    yield text
        except TimeoutError as exc:
            self._trip()
            raise LLMUnavailable("timeout", "no answer in time") from exc
        except openai.APITimeoutError as exc:
            self._trip()
            raise LLMUnavailable("timeout", str(exc)) from exc
        except openai.RateLimitError as exc:
            self._trip(_retry_after(exc.response))
            raise LLMUnavailable("rate_limited", str(exc)) from exc
        except openai.APIConnectionError as exc:
            self._trip()
            raise LLMUnavailable("connection", str(exc)) from exc
        except openai.APIStatusError as exc:
            if exc.status_code >= 500:
                self._trip()
                raise LLMUnavailable("server_error", f"HTTP {exc.status_code}") from exc
            # 4xx other than 429 is a configuration problem (model name, key): no
            # cool-down would fix it, but the visitor still gets an answer.
            log.error("LLM request rejected (HTTP %s): check PARLEY_LLM_*", exc.status_code)
            raise LLMUnavailable("rejected", f"HTTP {exc.status_code}") from exc
        except openai.OpenAIError as exc:
            raise LLMUnavailable("error", str(exc)) from exc
        finally:
            if stream is not None:
                close = getattr(stream, "close", None)
                if close is not None:
                    try:
                        await close()
                    except Exception:  # closing a broken stream may fail too
                        log.debug("closing the LLM stream failed", exc_info=True)


def _response_format(schema: Mapping[str, Any] | None, style: str) -> Any:
    if schema is None:
        return openai.omit
    if style == "json_object":
        return {"type": "json_object", "schema": dict(schema)}
    return {
        "type": "json_schema",
        "json_schema": {"name": "reply", "strict": True, "schema": dict(schema)},
    }


def _retry_after(response: Any) -> float | None:
    """Seconds from a 429's Retry-After header (capped), if it has one."""
    headers = getattr(response, "headers", None) or {}
    try:
        value = float(headers.get("retry-after", ""))
    except (TypeError, ValueError):
        return None
    return max(0.0, min(value, 300.0))
