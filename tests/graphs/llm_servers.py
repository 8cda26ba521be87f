"""Small local servers for the LLM tests: scripted OpenAI-compatible, stalling, failing.

They are real HTTP servers on 127.0.0.1 that the real ``openai`` client talks to, so
the client's time-outs, errors and streaming are exercised end to end; the scripted
one makes the grounding and retraction paths deterministic. The real model (SmolLM2
under llama.cpp's server) is started by the ``smollm2`` fixture in tests/llm_fixtures.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ScriptedLLM:
    """Streams the given tokens as chat.completion.chunk events (or answers a status)."""

    tokens: Sequence[str] = ()
    delay: float = 0.0  # seconds between tokens
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    stall: bool = False  # accept the connection and never answer
    requests: list[dict[str, object]] = field(default_factory=list)
    port: int = 0
    # Per-request tokens (e.g. JSON for a structured-output request); None: `tokens`.
    respond: Callable[[dict[str, Any]], Sequence[str] | None] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.decode("latin-1").split("\r\n"):
                if line.lower().startswith("content-length:"):
                    length = int(line.split(":", 1)[1])
            body = await reader.readexactly(length) if length else b""
            request = json.loads(body or b"{}")
            self.requests.append(request)
            tokens = self.tokens
            if self.respond is not None:
                chosen = self.respond(request)
                tokens = self.tokens if chosen is None else chosen
            if self.stall:
                await asyncio.sleep(3600)
                return
            if self.status != 200:
                payload = json.dumps({"error": {"message": "scripted", "type": "x"}}).encode()
                extra = "".join(f"{k}: {v}\r\n" for k, v in self.headers.items())
                writer.write(
                    f"HTTP/1.1 {self.status} Scripted\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(payload)}\r\n{extra}Connection: close\r\n\r\n".encode()
                    + payload
                )
                await writer.drain()
                return
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                b"Cache-Control: no-cache\r\nConnection: close\r\n\r\n"
            )
            await writer.drain()
            for i, token in enumerate(tokens):
                if self.delay:
                    await asyncio.sleep(self.delay)
                chunk = {
                    "id": "chatcmpl-1",
                    "object": "chat.completion.chunk",
                    "created": 0,
                    "model": "scripted",
                    "choices": [
                        {
                            "index": 0,
                            "delta": {"role": "assistant", "content": token}
                            if i == 0
                            else {"content": token},
                            "finish_reason": None,
                        }
                    ],
                }
                writer.write(f"data: {json.dumps(chunk)}\n\n".encode())
                await writer.drain()
            done = {
                "id": "chatcmpl-1",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": "scripted",
                "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
            }
            writer.write(f"data: {json.dumps(done)}\n\ndata: [DONE]\n\n".encode())
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()


@contextlib.asynccontextmanager
async def serve(llm: ScriptedLLM) -> AsyncIterator[ScriptedLLM]:
    """Run the scripted server on a free loopback port for the duration of the block."""
    handlers: set[asyncio.Task[None]] = set()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        handlers.add(task)
        try:
            await llm._handle(reader, writer)
        finally:
            handlers.discard(task)

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    llm.port = server.sockets[0].getsockname()[1]
    try:
        yield llm
    finally:
        server.close()
        for task in list(handlers):
            task.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(server.wait_closed(), 2)


def tokens_of(text: str) -> list[str]:
    """Split text into small model-like tokens (a word and its trailing space, or less)."""
    out: list[str] = []
    for word in text.split(" "):
        out.append(word + " ")
    out[-1] = out[-1].rstrip(" ")
    # Cut long words in two, as a tokenizer would.
    pieces: list[str] = []
    for token in out:
        if len(token) > 6:
            pieces += [token[:4], token[4:]]
        else:
            pieces.append(token)
    return [p for p in pieces if p]
