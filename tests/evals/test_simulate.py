"""Simulated visitors: the script, and an LLM-played visitor against an OpenAI-compatible server.

The LLM is outside the product and none runs here, so a tiny local server speaks the
chat-completions protocol and records what it was sent.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from evals.results import TurnRecord
from evals.runner import RunConfig, run_eval
from evals.simulate import LLMConfig, LLMVisitor, ScriptedVisitor
from evals.suites import Conversation, Suite

ROOT = Path(__file__).resolve().parents[2]


class FakeLLM:
    """Answers chat completions with queued replies and keeps the requests."""

    def __init__(self, replies: list[str]) -> None:
        self.replies = replies
        self.requests: list[dict[str, Any]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append({"path": self.path, **body})
                content = fake.replies.pop(0) if fake.replies else "DONE"
                data = json.dumps(
                    {
                        "id": "x",
                        "object": "chat.completion",
                        "created": 0,
                        "model": body.get("model", "m"),
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": content},
                                "finish_reason": "stop",
                            }
                        ],
                        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                    }
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"


@pytest.fixture
def fake_llm() -> Iterator[FakeLLM]:
    """A fake OpenAI-compatible endpoint."""
    fake = FakeLLM(["what about e-bikes?", "ok and how long does it take?"])
    thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        fake.server.shutdown()
        fake.server.server_close()


CONV = Conversation.model_validate(
    {
        "id": "c",
        "turns": ["do you ship to the UK?", "what about e-bikes?"],
        "expected_final": "answered",
        "persona": "A rider in London.",
        "goal": "Find out whether an e-bike can ship to the UK.",
    }
)


def record(visitor: str, reply: str) -> TurnRecord:
    """A turn as the runner records it."""
    return TurnRecord(visitor, reply, "answer", "shipping", 0.9, "en", [], [], None, "sales", 10.0)


async def test_scripted_visitor_plays_the_turns_in_order() -> None:
    visitor = ScriptedVisitor(CONV)
    first = await visitor.next_message([])
    second = await visitor.next_message([record("x", "y")])
    assert [first and first.text, second and second.text] == [
        "do you ship to the UK?",
        "what about e-bikes?",
    ]
    assert await visitor.next_message([]) is None  # counted by the visitor, not the history


async def test_llm_visitor_follows_persona_and_goal(fake_llm: FakeLLM) -> None:
    visitor = LLMVisitor(CONV, LLMConfig(base_url=fake_llm.url, api_key="k", model="visitor-m"))
    opening = await visitor.next_message([])
    assert opening is not None and opening.text == "do you ship to the UK?"  # the script opens
    assert fake_llm.requests == []

    history = [record("do you ship to the UK?", "We ship to the UK & EU in 7–14 days.")]
    nxt = await visitor.next_message(history)
    assert nxt is not None and nxt.text == "what about e-bikes?"
    sent = fake_llm.requests[0]
    assert sent["path"] == "/v1/chat/completions" and sent["model"] == "visitor-m"
    system, *turns = sent["messages"]
    assert system["role"] == "system"
    assert "A rider in London." in system["content"] and "e-bike can ship" in system["content"]
    # The LLM plays the visitor: its own lines are "assistant", the bot's are "user".
    assert turns == [
        {"role": "assistant", "content": "do you ship to the UK?"},
        {"role": "user", "content": "We ship to the UK & EU in 7–14 days."},
    ]

    history.append(record("what about e-bikes?", "E-bikes are not available for the UK."))
    assert (await visitor.next_message(history)) is not None
    history.append(record("ok", "Standard delivery takes 7–14 business days."))
    assert await visitor.next_message(history) is None  # the server says DONE now
    # And never more than max_turns (the script's length + 2 by default).
    assert visitor.max_turns == 4
    assert await visitor.next_message([record("x", "y")] * 4) is None


async def test_runner_lets_the_llm_play_conversations_with_a_goal(
    fake_llm: FakeLLM, eval_cache: Path
) -> None:
    suite = Suite(conversations=[CONV], kb=ROOT / "knowledge" / "demo", name="llm")
    config = RunConfig(
        cache_dir=eval_cache, llm=LLMConfig(base_url=fake_llm.url, api_key="k", model="v")
    )
    run = await run_eval(suite, config)
    [result] = run.results
    assert result.simulated_by == "llm" and run.meta["llm"] == "v"
    assert not run.meta["graph_llm"]  # the graph still answers extractively
    said = [t.visitor for t in result.turns]
    assert said[0] == "do you ship to the UK?"
    assert "what about e-bikes?" in said
    assert all(t.reply for t in result.turns)
