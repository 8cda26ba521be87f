"""Scorers: small pure functions that turn one bot turn (or many) into numbers.

Every function here is deterministic and independent of the graph, so each can be
tested on hand-built cases whose right value is known.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "Outcome",
    "PrecisionRecall",
    "classify_outcome",
    "confusion_matrix",
    "contained",
    "counts",
    "fact_recall",
    "found_forbidden",
    "groundedness",
    "hit_at",
    "mean",
    "mention_recall",
    "normalize",
    "percentile",
    "precision_recall",
    "rank_of",
    "ranked_slugs",
    "reciprocal_rank",
    "sentence_supported",
    "share",
    "split_sentences",
]

Outcome = Literal["answer", "escalate", "smalltalk", "out_of_scope", "clarify"]

_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"), "-")
_QUOTES = {ord(c): "'" for c in "\u2018\u2019\u201a\u201b\u2032"} | {
    ord(c): '"' for c in "\u201c\u201d\u201e\u201f\u2033"
}
_MARKUP = re.compile(r"(\*\*|__|`)")
_SPACE = re.compile(r"\s+")


def normalize(text: str) -> str:
    """Casefold, unify dashes/quotes/spaces and drop Markdown emphasis, for lenient matching.

    "5–7 business days" in an article and "5-7 Business Days" in a case mean the same.
    """
    text = unicodedata.normalize("NFKC", text).translate(_DASHES).translate(_QUOTES)
    text = _MARKUP.sub("", text)
    # "10 %" and "10%" or "6 V"/"6V" differ only in a space before a unit sign.
    text = re.sub(r"(\d)\s+(%|°)", r"\1\2", text)
    return _SPACE.sub(" ", text).strip().casefold()


def contained(needle: str, haystack: str) -> bool:
    """Whether needle occurs in haystack after normalisation."""
    return normalize(needle) in normalize(haystack)


def fact_recall(facts: Sequence[str], reply: str) -> tuple[float | None, list[str]]:
    """Share of the facts the reply contains (None without facts) and the missing ones."""
    if not facts:
        return None, []
    missing = [f for f in facts if not contained(f, reply)]
    return (len(facts) - len(missing)) / len(facts), missing


def found_forbidden(forbidden: Sequence[str], reply: str) -> list[str]:
    """The forbidden strings the reply contains."""
    return [f for f in forbidden if contained(f, reply)]


def mention_recall(must: Sequence[str], texts: Iterable[str]) -> tuple[float | None, list[str]]:
    """Share of the strings found in any of the texts (None when nothing is required)."""
    if not must:
        return None, []
    pool = " \n ".join(texts)
    missing = [m for m in must if not contained(m, pool)]
    return (len(must) - len(missing)) / len(must), missing


def classify_outcome(
    *,
    escalated: bool,
    reason: str | None,
    action: str | None = None,
    answered_by: str | None = None,
    phrase: str | None = None,
) -> Outcome:
    """What the bot did with a message, in the suite's vocabulary.

    A knowledge-base miss escalates with reason ``low_confidence`` after telling the
    visitor it does not know, and a guardrail refuses politely: both decline to answer,
    which is the right behaviour for an out-of-scope message. Any other escalation is a
    deliberate handoff; a question back ("which of these do you mean?") is ``clarify``.
    """
    if escalated:
        return "out_of_scope" if reason == "low_confidence" else "escalate"
    if answered_by == "clarify":
        return "clarify"
    if phrase and phrase.startswith("refuse"):
        return "out_of_scope"
    if answered_by == "phrase" or action == "smalltalk":
        return "smalltalk"
    return "answer"


# -- retrieval -------------------------------------------------------------


def ranked_slugs(slugs: Iterable[str]) -> list[str]:
    """Distinct article slugs in rank order (several chunks of one article count once)."""
    return list(dict.fromkeys(s for s in slugs if s))


def rank_of(expected: Sequence[str], ranked: Sequence[str]) -> int | None:
    """1-based rank of the first acceptable article in the ranking, None if absent."""
    wanted = set(expected)
    for i, slug in enumerate(ranked, start=1):
        if slug in wanted:
            return i
    return None


def hit_at(rank: int | None, k: int) -> float:
    """1.0 when the right article is within the top k, else 0.0."""
    return 1.0 if rank is not None and rank <= k else 0.0


def reciprocal_rank(rank: int | None) -> float:
    """1/rank of the right article (0.0 when not retrieved): the term MRR averages."""
    return 1.0 / rank if rank else 0.0


# -- groundedness ----------------------------------------------------------

_SENTENCE = re.compile(r"(?<=[.!?…])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9€$£¿¡])")
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+", re.UNICODE)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_STOP_WORDS = (
    "a an the and or but of to in on at for from by with as is are was were be been it its "
    "this that these those you your we our us i my me they their them he she his her not no "
    "can will would should could do does did have has had if then than so such there here "
    "also only just any all each every some more most other into about over under up out"
)
_STOP = frozenset(_STOP_WORDS.split())


def split_sentences(text: str) -> list[str]:
    """Sentences of a reply (line breaks and list items also split)."""
    out: list[str] = []
    for line in text.splitlines():
        line = re.sub(r"^\s*([-*+]|\d+[.)])\s+", "", line).strip()
        if line:
            out.extend(s.strip() for s in _SENTENCE.split(line) if s.strip())
    return out


def _content_tokens(text: str) -> list[str]:
    return [
        t for t in _TOKEN.findall(normalize(text)) if t not in _STOP and (len(t) > 1 or t.isdigit())
    ]


def sentence_supported(
    sentence: str, passages: Sequence[str], *, min_overlap: float = 0.75
) -> bool:
    """Whether one passage backs the sentence: it holds all its numbers and most of its words.

    Numbers are where an unsupported answer does harm (prices, days, limits), so every
    number must appear; the words may be paraphrased a little (an LLM reformulates).
    A clipped sentence ("…") is judged on what it says.
    """
    sentence = sentence.rstrip("…").strip()
    tokens = _content_tokens(sentence)
    if not tokens:
        return True  # punctuation or a lone "OK": nothing to support
    numbers = set(_NUMBER.findall(normalize(sentence)))
    for passage in passages:
        plain = normalize(passage)
        words = set(_TOKEN.findall(plain))
        if not numbers <= set(_NUMBER.findall(plain)):
            continue
        overlap = sum(t in words for t in tokens) / len(tokens)
        if overlap >= min_overlap:
            return True
    return False


def groundedness(
    reply: str, passages: Sequence[str], *, min_overlap: float = 0.75
) -> tuple[float | None, list[str]]:
    """Share of the reply's sentences a retrieved passage supports, and the unsupported ones.

    None for an empty reply. Markdown links are judged by their text.
    """
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", reply)
    sentences = split_sentences(text)
    if not sentences:
        return None, []
    unsupported = [
        s for s in sentences if not sentence_supported(s, passages, min_overlap=min_overlap)
    ]
    return (len(sentences) - len(unsupported)) / len(sentences), unsupported


# -- aggregates ------------------------------------------------------------


@dataclass(frozen=True)
class PrecisionRecall:
    """Precision/recall of one label; None where undefined (nothing predicted/expected)."""

    precision: float | None
    recall: float | None
    f1: float | None
    support: int  # how many cases expected the label
    predicted: int  # how many cases got it

    def as_dict(self) -> dict[str, float | int | None]:
        """JSON-friendly form."""
        return {
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "support": self.support,
            "predicted": self.predicted,
        }


def precision_recall(pairs: Iterable[tuple[bool, bool]]) -> PrecisionRecall:
    """Precision/recall from (expected, predicted) booleans, one pair per case."""
    tp = fp = fn = 0
    for gold, pred in pairs:
        tp += gold and pred
        fp += pred and not gold
        fn += gold and not pred
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    f1 = (
        2 * precision * recall / (precision + recall)
        if precision is not None and recall is not None and precision + recall
        else (0.0 if precision is not None and recall is not None else None)
    )
    return PrecisionRecall(precision, recall, f1, tp + fn, tp + fp)


def confusion_matrix(
    pairs: Iterable[tuple[str, str]], labels: Sequence[str] = ()
) -> dict[str, dict[str, int]]:
    """Counts by expected label (rows) then predicted label (columns), all labels present."""
    items = list(pairs)
    order = list(dict.fromkeys([*labels, *(g for g, _ in items), *(p for _, p in items)]))
    matrix = {g: dict.fromkeys(order, 0) for g in order}
    for gold, pred in items:
        matrix[gold][pred] += 1
    return matrix


def percentile(values: Sequence[float], p: float) -> float | None:
    """The p-th percentile (0..100) with linear interpolation, None for no values."""
    if not values:
        return None
    if not 0 <= p <= 100:
        raise ValueError("p must be within 0..100")
    data = sorted(values)
    pos = (len(data) - 1) * p / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


def mean(values: Iterable[float | None]) -> float | None:
    """Mean of the values that are not None (None when there are none)."""
    got = [v for v in values if v is not None]
    return sum(got) / len(got) if got else None


def share(flags: Iterable[bool]) -> float | None:
    """Share of True among flags (None when empty)."""
    got = list(flags)
    return sum(got) / len(got) if got else None


def counts(items: Iterable[str]) -> Mapping[str, int]:
    """How often each item occurs, most frequent first."""
    out: dict[str, int] = {}
    for item in items:
        out[item] = out.get(item, 0) + 1
    return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0])))
