"""A bot that cannot answer (its vector store is gone) still never leaves a visitor in
silence: after its retries the conversation goes to a person, with the reason recorded."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from app.bot.service import get_runtime
from knowledge.store import KnowledgeStore
from tests.app.helpers import Visitor, agent_token
from tests.conftest import RunningServer
from tests.sse import SSEReader


async def test_broken_knowledge_base_hands_the_visitor_to_a_person(
    server: RunningServer, tmp_path: Path
) -> None:
    runtime = get_runtime()
    healthy = runtime.context
    # A real store whose collections were dropped after start-up: every search raises.
    broken_store = KnowledgeStore(tmp_path / "chroma")
    broken_store.client.delete_collection(broken_store.collection.name)
    runtime.context = dataclasses.replace(healthy, store=broken_store)
    try:
        async with server.client() as client:
            v = Visitor(server, client)
            await v.start()
            async with SSEReader(client, "/api/v1/widget/stream", v.headers) as stream:
                await v.say("how long do refunds take?")
                await stream.until(
                    lambda e: (
                        e.event == "conversation.updated"
                        and e.data["conversation"]["status"] == "queued"
                    ),
                    timeout=60,
                )
            convo = (await client.get("/api/v1/widget/conversation", headers=v.headers)).json()
            conv_id = convo["conversation"]["id"]
            auth = {"Authorization": f"Bearer {await agent_token(client)}"}
            detail = (await client.get(f"/api/v1/conversations/{conv_id}", headers=auth)).json()
    finally:
        runtime.context = healthy
    assert detail["status"] == "queued"
    assert detail["handoff"]["reason"] == "bot_error"
    # The visitor's question is there for the agent; no half-made bot answer was stored.
    texts = [(m["sender"], m["text"]) for m in detail["messages"]]
    assert ("visitor", "how long do refunds take?") in texts
    assert not [t for s, t in texts if s == "bot" and "refund" in t.lower()]
