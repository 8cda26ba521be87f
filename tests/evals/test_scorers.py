"""Each scorer on hand-built inputs whose right value is known."""

from __future__ import annotations

import pytest

from evals import scorers


def test_normalize_unifies_dashes_case_quotes_and_emphasis() -> None:
    assert scorers.normalize("  **5–7** Business\u00a0Days ") == "5-7 business days"
    assert scorers.normalize("it\u2019s 10 %") == "it's 10%"
    assert scorers.contained("5-7 business days", "usually within **5–7 business days**.")


def test_fact_recall_counts_the_facts_found() -> None:
    reply = "Refunds appear within 5–7 business days, depending on your bank."
    recall, missing = scorers.fact_recall(["5-7 business days", "bank", "store credit"], reply)
    assert recall == pytest.approx(2 / 3)
    assert missing == ["store credit"]
    assert scorers.fact_recall([], reply) == (None, [])


def test_forbidden_and_mentions() -> None:
    assert scorers.found_forbidden(["system prompt", "391"], "My System Prompt is…") == [
        "system prompt"
    ]
    recall, missing = scorers.mention_recall(
        ["NW-55120", "dana@example.com"], ["Order numbers: NW-55120", "Visitor: hi"]
    )
    assert (recall, missing) == (0.5, ["dana@example.com"])
    assert scorers.mention_recall([], ["anything"]) == (None, [])


@pytest.mark.parametrize(
    ("kwargs", "outcome"),
    [
        ({"escalated": True, "reason": "low_confidence"}, "out_of_scope"),
        ({"escalated": True, "reason": "human_request"}, "escalate"),
        ({"escalated": False, "reason": None, "answered_by": "clarify"}, "clarify"),
        ({"escalated": False, "reason": None, "phrase": "refuse_injection"}, "out_of_scope"),
        ({"escalated": False, "reason": None, "action": "smalltalk"}, "smalltalk"),
        ({"escalated": False, "reason": None, "answered_by": "phrase"}, "smalltalk"),
        ({"escalated": False, "reason": None, "answered_by": "extractive"}, "answer"),
        ({"escalated": False, "reason": None, "action": "answer"}, "answer"),
    ],
)
def test_classify_outcome(kwargs: dict[str, object], outcome: str) -> None:
    assert scorers.classify_outcome(**kwargs) == outcome  # type: ignore[arg-type]


def test_retrieval_ranks() -> None:
    ranked = scorers.ranked_slugs(["warranty", "warranty", "returns", "", "shipping"])
    assert ranked == ["warranty", "returns", "shipping"]
    assert scorers.rank_of(["returns"], ranked) == 2
    assert scorers.rank_of(["gift-cards", "shipping"], ranked) == 3
    assert scorers.rank_of(["gift-cards"], ranked) is None
    assert (scorers.hit_at(2, 1), scorers.hit_at(2, 3), scorers.hit_at(None, 3)) == (0.0, 1.0, 0.0)
    assert scorers.reciprocal_rank(4) == 0.25
    assert scorers.reciprocal_rank(None) == 0.0


def test_groundedness_needs_every_number_and_most_words() -> None:
    passages = [
        "Refunds are issued to your original payment method within 5–7 business days.",
        "Bikes can be exchanged once for a different size within 30 days.",
    ]
    reply = (
        "Refunds are issued to your original payment method within 5-7 business days. "
        "Bikes can be exchanged twice within 60 days."
    )
    score, unsupported = scorers.groundedness(reply, passages)
    assert score == 0.5
    assert unsupported == ["Bikes can be exchanged twice within 60 days."]
    # A clipped extractive answer is judged on what it says; links by their text.
    clipped = "Bikes can be exchanged once for a [different size](https://x.test/help) within…"
    assert scorers.groundedness(clipped, passages) == (1.0, [])
    assert scorers.groundedness("", passages) == (None, [])
    assert not scorers.sentence_supported("We ship to Mars in 3 days.", passages)


def test_split_sentences() -> None:
    text = "First one. Second one?\n- a list item\n1. numbered\n\nLast! 2 p.m. works."
    assert scorers.split_sentences(text) == [
        "First one.",
        "Second one?",
        "a list item",
        "numbered",
        "Last!",
        "2 p.m. works.",
    ]


def test_precision_recall_from_pairs() -> None:
    # tp=2, fp=1, fn=1, tn=1
    pairs = [(True, True), (True, True), (False, True), (True, False), (False, False)]
    pr = scorers.precision_recall(pairs)
    assert pr.precision == pytest.approx(2 / 3)
    assert pr.recall == pytest.approx(2 / 3)
    assert pr.f1 == pytest.approx(2 / 3)
    assert (pr.support, pr.predicted) == (3, 3)
    nothing = scorers.precision_recall([(True, False), (False, False)])
    assert (nothing.precision, nothing.recall, nothing.f1) == (None, 0.0, None)
    assert scorers.precision_recall([]).as_dict()["support"] == 0


def test_confusion_matrix_keeps_every_label() -> None:
    matrix = scorers.confusion_matrix(
        [("answer", "answer"), ("answer", "out_of_scope"), ("escalate", "escalate")],
        ("answer", "smalltalk"),
    )
    assert list(matrix) == ["answer", "smalltalk", "escalate", "out_of_scope"]
    assert matrix["answer"] == {"answer": 1, "smalltalk": 0, "escalate": 0, "out_of_scope": 1}
    assert sum(matrix["smalltalk"].values()) == 0


def test_percentile_interpolates() -> None:
    values = [40.0, 10.0, 30.0, 20.0]
    assert scorers.percentile(values, 50) == 25.0
    assert scorers.percentile(values, 95) == pytest.approx(38.5)
    assert scorers.percentile(values, 0) == 10.0
    assert scorers.percentile(values, 100) == 40.0
    assert scorers.percentile([], 50) is None
    with pytest.raises(ValueError):
        scorers.percentile(values, 101)


def test_mean_share_counts() -> None:
    assert scorers.mean([1.0, None, 0.0]) == 0.5
    assert scorers.mean([None]) is None
    assert scorers.share([True, False, True, True]) == 0.75
    assert scorers.share([]) is None
    assert dict(scorers.counts(["b", "a", "b"])) == {"b": 2, "a": 1}
