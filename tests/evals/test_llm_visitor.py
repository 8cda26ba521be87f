"""An LLM-played visitor against a real model: SmolLM2 under llama.cpp's server.

SmolLM2-135M is a weak model (DESIGN §6), so this checks the plumbing, not the quality:
the model writes the visitor's next turns, their number stays bounded, the case is
recorded as simulated by the LLM, and the run and its report complete.
"""

from __future__ import annotations

from pathlib import Path

from evals.reports import build_report
from evals.runner import RunConfig, run_eval
from evals.simulate import DONE, LLMConfig
from evals.suites import Conversation, Suite
from knowledge.ingest import DEMO_DIR

OPENING = "How long does a refund take?"


async def test_an_llm_played_visitor_talks_to_the_bot_until_done_or_bounded(
    smollm2: str, eval_cache: Path
) -> None:
    conversation = Conversation(
        id="llm-refund",
        turns=[OPENING],
        persona="Sam, who sent a bike back last week and checks on the money.",
        goal="Learn how long the refund takes and whether shipping is refunded too.",
        expected_final="answered",
        max_turns=3,
        tags=["llm"],
    )
    suite = Suite(conversations=[conversation], name="llm-visitor")
    config = RunConfig(
        kb=DEMO_DIR,
        cache_dir=eval_cache,
        llm=LLMConfig(base_url=smollm2, api_key="not-needed", model="smollm2"),
    )

    run = await run_eval(suite, config)
    report = build_report(run.results, run.meta)

    assert report["meta"]["llm"] == "smollm2"  # the report says who played the visitor
    assert report["metrics"]["cases"] == 1
    [case] = report["cases"]
    assert case["kind"] == "conversation" and case["simulated_by"] == "llm"
    turns = case["turns"]
    # The script opens; the model writes what follows, within the case's bound.
    assert turns[0]["visitor"] == OPENING and turns[0]["reply"]
    assert turns[0]["outcome"] == "answer", "the opening must get an answer for the LLM to go on"
    assert 2 <= len(turns) <= conversation.max_turns  # type: ignore[operator]
    for turn in turns[1:]:
        said = turn["visitor"]
        assert said.strip() and len(said) <= 500
        assert not said.upper().startswith(DONE)  # "DONE" ends the conversation, unsent
        assert turn["reply"]  # and the bot answered each one
    # Judged like any conversation: scripted per-turn checks do not apply to the LLM.
    assert case["outcome"] in ("answered", "escalated")
    assert case["passed"] == (case["why"] == "")
