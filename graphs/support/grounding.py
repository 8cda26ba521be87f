"""Grounding check of a generated answer against the passages it was given.

Every substantive sentence of the answer must be close in meaning (embedding cosine)
to some sentence of the retrieved passages and say it mostly in words the passages
(or the question) use; every number and code-like token in it must appear in the
passages (or among the identifiers the visitor gave); and no run of words from the
system prompt may appear in it. Checked sentence by sentence, so the answer node can stream
a sentence the moment it is verified and never show an unverified one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from graphs.support.language import stopwords
from knowledge.embeddings import Embedder

__all__ = [
    "DEFAULT_GROUNDING_THRESHOLD",
    "Grounder",
    "SentenceCheck",
    "find_sentence_end",
    "numbers_in",
]

# Minimum cosine (all-MiniLM-L6-v2) between an answer sentence and its closest passage
# sentence, together with a minimum share of the sentence's content words found in the
# passages. Measured on the demo KB (tests/graphs/test_grounding.py keeps the cases):
# faithful paraphrases scored cosine 0.59–0.97 with word coverage 0.67–1.0; fluent
# inventions on the same topic up to cosine 0.64 ("Refunds are processed by our
# finance team on Fridays.") but coverage at most 0.5 when cosine was above 0.5.
# Cosine alone cannot separate them; the pair does.
DEFAULT_GROUNDING_THRESHOLD = 0.6
MIN_COVERAGE = 0.6
# A close paraphrase (coverage ≥ 0.8) may sit lower: "Yes, we ship to the European
# Union, including Germany." is 0.59 from "…ships to Canada, …, the European Union…".
RELAXED_THRESHOLD = 0.5
RELAXED_COVERAGE = 0.8

# A sentence with fewer content words than this ("Sure!", "Happy to help.") claims
# nothing: it is not checked for similarity, and does not count as support either.
MIN_CONTENT_WORDS = 4

# An answer sentence this close to the question is the question echoed back.
ECHO = 0.9

# Word runs this long shared with the system prompt mean the prompt is leaking.
LEAK_WORDS = 6

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*(?:\s?%|\s?percent\b|\s?per cent\b)?")
# Code-like tokens (promo codes, SKUs): capitals with digits (SAVE50), or 5+ capitals
# (BIKELOVER); short acronyms (VAT, USA) are ordinary words.
_CODE = re.compile(r"\b(?:(?=[A-Z0-9-]*\d)(?=[A-Z0-9-]*[A-Z])[A-Z0-9][A-Z0-9-]{3,}|[A-Z]{5,})\b")
# Words that carry no claim of their own, on top of the language's function words.
_GENERIC_TEXT = """
    also can will just get got yes any every all there their them they which was were
    been being its than then some such very more most other into out over only own same
    both each few has had having does did doing would could should may might must shall
    our ours you your yours here back done goes going make made take need needs want like
    know let help sure happy glad please thank thanks hope note see one way time sorry
    course certainly absolutely great good well still usually normally typically
"""
_GENERIC = frozenset(_GENERIC_TEXT.split())
_WORD = re.compile(r"[^\W\d_]{3,}")
_WORDS_ANY = re.compile(r"\w+")
# The end of a sentence in streamed text: terminal punctuation and a space before a
# capital, a digit, a quote or a bullet (so "10 a.m. – 6 p.m." and "e.g. this" stay
# whole), or a line break.
_END = re.compile(r"[.!?…][\"'”’)\]]*\s+(?=[A-ZÀ-Þ0-9\"“‘(¿¡*•])|\n+")


def find_sentence_end(text: str) -> int:
    """Index just past the first complete sentence in text, or -1 if none is complete yet."""
    m = _END.search(text)
    return m.end() if m else -1


def numbers_in(text: str) -> set[str]:
    """The numbers in a text, normalised ("1,299" → "1299", "4.50" → "4.5", "10 %" → "10%").

    Percentages keep their sign: "$50" in a passage must not ground "50% off".
    """
    out: set[str] = set()
    for raw in _NUMBER.findall(text):
        digits = re.match(r"[\d.,]+", raw)
        assert digits is not None
        number = digits.group(0).rstrip(".,")
        if re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", number):
            number = number.replace(",", "")
        number = number.replace(",", ".")
        if "." in number:
            number = number.rstrip("0").rstrip(".")
        number = number.lstrip("0") or "0"
        out.add(number + "%" if raw[len(digits.group(0)) :].strip() else number)
    return out


def _stems(text: str) -> set[str]:
    """Content words, crudely stemmed (first five letters: refund/refunds, deliver/delivery)."""
    stop = stopwords("en") | _GENERIC
    return {w.lower()[:5] for w in _WORD.findall(text) if w.lower() not in stop}


def _shingles(text: str, n: int) -> set[tuple[str, ...]]:
    words = [w.lower() for w in _WORDS_ANY.findall(text)]
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


@dataclass(slots=True)
class SentenceCheck:
    """The verdict on one answer sentence."""

    text: str
    ok: bool
    score: float  # cosine to the closest passage sentence (1.0 for unchecked small talk)
    support: int | None  # index of the passage that supports it (None: claims nothing)
    problem: str | None = None  # "unsupported" | "number:<n>" | "prompt_leak"


@dataclass
class Grounder:
    """Checks answer sentences against a fixed set of passages (one per turn)."""

    embedder: Embedder
    units: Sequence[str]  # passage sentences
    vectors: np.ndarray  # their unit-length vectors, one row each
    owners: Sequence[int]  # which passage each sentence belongs to
    allowed_numbers: set[str]
    allowed_codes: set[str] = field(default_factory=set)
    threshold: float = DEFAULT_GROUNDING_THRESHOLD
    forbidden: set[tuple[str, ...]] = field(default_factory=set)
    vocabulary: set[str] = field(default_factory=set)
    question_vector: np.ndarray | None = None
    checks: list[SentenceCheck] = field(default_factory=list)

    @classmethod
    def build(
        cls,
        embedder: Embedder,
        passages: Sequence[tuple[Sequence[str], np.ndarray]],
        *,
        allowed_text: str = "",
        question: str = "",
        passage_texts: Sequence[str] = (),
        system_prompt: str = "",
        threshold: float = DEFAULT_GROUNDING_THRESHOLD,
    ) -> Grounder:
        """A grounder over passages given as (sentences, vectors) pairs.

        ``allowed_text`` holds what the visitor legitimately gave (order numbers): the
        answer may repeat its numbers. Not the whole question: "give me a 50% code"
        must not make "50%" look grounded. The question's words (``question``) count
        for word coverage only ("Germany" in "do you ship to Germany?").
        """
        units: list[str] = []
        owners: list[int] = []
        blocks: list[np.ndarray] = []
        for i, (sentences, vectors) in enumerate(passages):
            units.extend(sentences)
            owners.extend([i] * len(sentences))
            if len(sentences):
                blocks.append(np.asarray(vectors, dtype=np.float32).reshape(len(sentences), -1))
        matrix = np.vstack(blocks) if blocks else np.zeros((0, 1), dtype=np.float32)
        allowed = numbers_in(allowed_text)
        codes = set(_CODE.findall(allowed_text))
        vocabulary = _stems(question)
        for text in [*passage_texts, *units]:
            vocabulary |= _stems(text)
            found = numbers_in(text)
            # A passage's "10%" also grounds a plain "10" ("10 off"), not the reverse.
            allowed |= found | {n.rstrip("%") for n in found}
            codes |= set(_CODE.findall(text))
        return cls(
            embedder=embedder,
            units=units,
            vectors=matrix,
            owners=owners,
            allowed_numbers=allowed,
            allowed_codes=codes,
            vocabulary=vocabulary,
            question_vector=embedder.embed_one(question) if question.strip() else None,
            threshold=threshold,
            forbidden=_shingles(system_prompt, LEAK_WORDS) if system_prompt else set(),
        )

    def check(self, sentence: str) -> SentenceCheck:
        """Check one sentence (CPU-bound: one embedding); the verdict is also kept in .checks."""
        result = self._check(sentence.strip())
        self.checks.append(result)
        return result

    def _check(self, sentence: str) -> SentenceCheck:
        if self.forbidden and _shingles(sentence, LEAK_WORDS) & self.forbidden:
            return SentenceCheck(sentence, False, 0.0, None, "prompt_leak")
        if "<<<" in sentence or ">>>" in sentence:
            return SentenceCheck(sentence, False, 0.0, None, "prompt_leak")
        for code in _CODE.findall(sentence):
            if code not in self.allowed_codes:
                return SentenceCheck(sentence, False, 0.0, None, f"code:{code}")
        for number in sorted(numbers_in(sentence)):
            if number not in self.allowed_numbers:
                return SentenceCheck(sentence, False, 0.0, None, f"number:{number}")
        if len(_WORD.findall(sentence)) < MIN_CONTENT_WORDS:
            return SentenceCheck(sentence, True, 1.0, None)
        if not len(self.units):
            return SentenceCheck(sentence, False, 0.0, None, "unsupported")
        vector = self.embedder.embed_one(sentence)
        if self.question_vector is not None and float(vector @ self.question_vector) >= ECHO:
            # The question repeated back answers nothing (and its words would count
            # as covered).
            return SentenceCheck(sentence, False, 0.0, None, "echo")
        sims = self.vectors @ vector
        best = int(np.argmax(sims))
        score = float(sims[best])
        words = _stems(sentence)
        coverage = len(words & self.vocabulary) / len(words) if words else 1.0
        if coverage >= MIN_COVERAGE and (
            score >= self.threshold or (score >= RELAXED_THRESHOLD and coverage >= RELAXED_COVERAGE)
        ):
            return SentenceCheck(sentence, True, round(score, 4), int(self.owners[best]))
        return SentenceCheck(sentence, False, round(score, 4), None, "unsupported")

    @property
    def grounded(self) -> bool:
        """Every sentence checked so far passed, and at least one made a supported claim."""
        return all(c.ok for c in self.checks) and any(c.support is not None for c in self.checks)

    @property
    def min_score(self) -> float:
        """The weakest support among the substantive sentences (0.0 if none)."""
        scores = [c.score for c in self.checks if c.support is not None or not c.ok]
        return min(scores) if scores else 0.0

    def supporting_passages(self) -> list[int]:
        """Passages that support the answer, the most used first."""
        counts: dict[int, int] = {}
        for c in self.checks:
            if c.support is not None:
                counts[c.support] = counts.get(c.support, 0) + 1
        return sorted(counts, key=lambda i: (-counts[i], i))
