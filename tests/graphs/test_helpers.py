"""Language detection, fact extraction and passage selection."""

from __future__ import annotations

import numpy as np

from graphs.support.facts import build_summary, extract_facts, redact_facts
from graphs.support.language import LanguageDetector
from graphs.support.passages import select_passage, stream_pieces


def test_language_detection_is_deterministic_and_cautious() -> None:
    detect = LanguageDetector().detect
    assert detect("quiero hablar con una persona") == "es"
    assert detect("je veux parler à un humain") == "fr"
    assert detect("ich möchte mit einem Menschen sprechen") == "de"
    assert detect("quero falar com um atendente") == "pt"
    assert detect("how long does a refund take") == "en"
    # Short or ambiguous text keeps the conversation's language.
    assert detect("do gift cards expire") == "en"
    assert detect("hello", previous="fr") == "fr"
    assert detect("NW-12345", previous="de") == "de"
    assert {detect("puedo devolver mi bicicleta") for _ in range(5)} == {"es"}


def test_facts_are_extracted_and_deduplicated() -> None:
    facts = extract_facts(
        [
            "my order is nw-12345, email JO@example.com",
            "also order #884421 and NW-12345 again; call me on +1 (503) 555-0199",
            "it was delivered on 2024-05-01 and cost $1,299",
        ]
    )
    assert facts == {
        "order_numbers": ["NW-12345", "884421"],
        "emails": ["jo@example.com"],
        "phones": ["+1 (503) 555-0199"],
    }
    assert extract_facts(["nothing here"]) == {}
    assert "NW-" not in redact_facts("where is NW-12345, mail a@b.co")


def test_summary_lists_reason_quotes_and_facts() -> None:
    summary = build_summary(
        reason="human_request",
        intent="human_request",
        confidence=0.9,
        lang="en",
        visitor_messages=["where is NW-1234?", "get me a human"],
        facts={"order_numbers": ["NW-1234"]},
        sources=[{"title": "Tracking your order", "score": 0.61}],
    )
    assert "human request" in summary and "get me a human" in summary
    assert "NW-1234" in summary and "Tracking your order (0.61)" in summary


def test_passage_keeps_best_sentences_in_order_within_limit() -> None:
    units = ["Intro sentence.", "We ship to Canada and the EU.", "Not elsewhere.", "Unrelated."]
    sims = np.array([0.1, 0.5, 0.9, 0.05])
    # The short best sentence brings its predecessor along.
    assert select_passage(units, sims) == "We ship to Canada and the EU. Not elsewhere."
    long_units = ["A" * 200 + ".", "B" * 200 + "."]
    passage = select_passage(long_units, np.array([0.9, 0.89]), max_chars=350)
    assert passage == "A" * 200 + "."
    assert len(select_passage(["word " * 200], np.array([1.0]), max_chars=100)) <= 100


def test_stream_pieces_concatenate_to_the_text() -> None:
    text = "Refunds take 5–7 business days.\n\nSource: [Returns](/help/returns)"
    pieces = stream_pieces(text, 3)
    assert "".join(pieces) == text and len(pieces) > 2
