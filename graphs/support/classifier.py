"""Embedding-similarity intent classifier driven by prompts/intents.yaml."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, cast

import numpy as np
import yaml

from graphs.support.phrases import PROMPTS_DIR
from knowledge.embeddings import Embedder

__all__ = ["Action", "Intent", "IntentClassifier", "IntentMatch"]

Action = Literal["answer", "escalate", "smalltalk"]
_ACTIONS: tuple[Action, ...] = ("answer", "escalate", "smalltalk")


@dataclass(frozen=True, slots=True)
class Intent:
    """One intent from intents.yaml."""

    name: str
    description: str
    action: Action
    department: str
    examples: tuple[str, ...]
    patterns: tuple[re.Pattern[str], ...] = ()


@dataclass(frozen=True, slots=True)
class IntentMatch:
    """Classification of one message."""

    name: str
    confidence: float  # the winning intent's score (cosine-based, 0..1)
    action: Action
    department: str
    nearest_example: str
    runner_up: str | None
    margin: float  # winner score minus runner-up score
    by_pattern: bool = False  # decided by one of the intent's regex patterns
    by_llm: bool = False  # decided by the LLM among the embedding's candidates


class IntentClassifier:
    """Scores a message against each intent's examples (nearest and top-3 mean similarity).

    Mixing the single nearest example with the mean of the three nearest keeps one
    lucky example from winning alone, while still letting a close paraphrase of a
    single example decide. Optional regex patterns override the embeddings: a mixed
    message such as "I want a human to help with my refund" embeds close to
    "refund", but an explicit request for a person must never be missed.
    """

    #: Confidence reported when a pattern decides (at least; the embedding score if higher).
    PATTERN_CONFIDENCE = 0.9

    def __init__(
        self,
        intents: Sequence[Intent],
        embedder: Embedder,
        *,
        default_intent: str = "question",
        min_confidence: float = 0.45,
        top_n: int = 3,
        embedding_languages: Sequence[str] = ("en",),
    ) -> None:
        if not intents:
            raise ValueError("no intents")
        self.intents = {i.name: i for i in intents}
        if default_intent not in self.intents:
            raise ValueError(f"default intent {default_intent!r} is not defined")
        self.default_intent = default_intent
        self.min_confidence = min_confidence
        self.top_n = top_n
        self.embedder = embedder
        texts: list[str] = []
        owners: list[int] = []
        self._names = list(self.intents)
        for idx, name in enumerate(self._names):
            for example in self.intents[name].examples:
                texts.append(example)
                owners.append(idx)
        self._texts = texts
        # Embedded once at start-up (a few hundred short texts: well under a second).
        self._matrix = embedder.embed(texts)
        self._owners = np.asarray(owners)
        self._groups = [np.flatnonzero(self._owners == i) for i in range(len(self._names))]
        # all-MiniLM-L6-v2 is an English model: for other languages its similarities are
        # noise (measured: "¿Cómo cancelo mi pedido?" came out closest to "gracias, ya
        # está resuelto", and with a few Spanish examples in one intent every Spanish
        # question was pulled into it). Messages clearly in another language are
        # classified by the intents' patterns only, else left to retrieval as questions.
        self.embedding_languages = frozenset(embedding_languages)

    @classmethod
    def from_yaml(
        cls, embedder: Embedder, path: str | Path | None = None, **overrides: Any
    ) -> IntentClassifier:
        """Build from a YAML file (default prompts/intents.yaml)."""
        data = yaml.safe_load(Path(path or PROMPTS_DIR / "intents.yaml").read_text("utf-8"))
        intents = []
        for raw in data["intents"]:
            action = str(raw.get("action", "answer"))
            if action not in _ACTIONS:
                raise ValueError(f"intent {raw.get('name')!r}: unknown action {action!r}")
            examples = tuple(str(e) for e in raw.get("examples") or [])
            if not examples:
                raise ValueError(f"intent {raw.get('name')!r} has no examples")

            intents.append(
                Intent(
                    name=str(raw["name"]),
                    description=str(raw.get("description", "")),
                    action=cast(Action, action),
                    department=str(raw.get("department", "support")),
                    examples=examples,
                    patterns=tuple(
                        re.compile(str(p), re.IGNORECASE) for p in raw.get("patterns") or []
                    ),
                )
            )
        options: dict[str, Any] = {
            "default_intent": str(data.get("default_intent", "question")),
            "min_confidence": float(data.get("min_confidence", 0.45)),
            "embedding_languages": tuple(
                str(lang) for lang in data.get("embedding_languages") or ["en"]
            ),
        }
        options.update(overrides)
        return cls(intents, embedder, **options)

    def intent(self, name: str) -> Intent:
        """The intent with this name."""
        return self.intents[name]

    def _similarities(self, text: str) -> np.ndarray:
        return self._matrix @ self.embedder.embed_one(text)

    def scores(self, text: str) -> dict[str, float]:
        """Every intent's embedding score for a text."""
        return self._scores(self._similarities(text))

    def _scores(self, sims: np.ndarray) -> dict[str, float]:
        out: dict[str, float] = {}
        for idx, group in enumerate(self._groups):
            s = np.sort(sims[group])[::-1]
            out[self._names[idx]] = float(0.5 * s[0] + 0.5 * s[: self.top_n].mean())
        return out

    def _by_pattern(self, text: str) -> IntentMatch | None:
        for intent in self.intents.values():
            if any(p.search(text) for p in intent.patterns):
                return IntentMatch(
                    intent.name,
                    self.PATTERN_CONFIDENCE,
                    intent.action,
                    intent.department,
                    "",
                    None,
                    0.0,
                    by_pattern=True,
                )
        return None

    def classify(self, text: str, lang: str | None = None) -> IntentMatch:
        """The most likely intent; the default intent when nothing is close enough.

        ``lang`` is the message's language when clearly detected: outside the
        embedding languages only the patterns decide (see ``__init__``).
        """
        return self.classify_scored(text, lang)[0]

    def classify_scored(
        self, text: str, lang: str | None = None
    ) -> tuple[IntentMatch, dict[str, float]]:
        """classify() and every intent's score (the LLM's candidates come from these)."""
        if not text.strip():
            default = self.intents[self.default_intent]
            match = IntentMatch(
                default.name, 0.0, default.action, default.department, "", None, 0.0
            )
            return match, {}
        if lang is not None and lang not in self.embedding_languages:
            default = self.intents[self.default_intent]
            fallback = IntentMatch(
                default.name, 0.0, default.action, default.department, "", None, 0.0
            )
            return self._by_pattern(text) or fallback, {}
        sims = self._similarities(text)
        scores = self._scores(sims)
        ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
        best, score = ranked[0]
        runner_up, second = ranked[1] if len(ranked) > 1 else (None, 0.0)
        by_pattern = False
        for intent in self.intents.values():
            if any(p.search(text) for p in intent.patterns):
                if intent.name != best:
                    runner_up, second = best, score
                best, by_pattern = intent.name, True
                score = max(scores[intent.name], self.PATTERN_CONFIDENCE)
                break
        group = self._groups[self._names.index(best)]
        nearest = self._texts[int(group[int(np.argmax(sims[group]))])]
        if score < self.min_confidence and not by_pattern:
            # Not clearly anything: treat as a general question and let retrieval decide.
            runner_up, second, best = best, score, self.default_intent
        intent = self.intents[best]
        match = IntentMatch(
            name=intent.name,
            confidence=max(0.0, min(1.0, score)),
            action=intent.action,
            department=intent.department,
            nearest_example=nearest,
            runner_up=runner_up,
            margin=max(0.0, score - second),
            by_pattern=by_pattern,
        )
        return match, scores

    def chosen(self, name: str, scores: dict[str, float], fallback: IntentMatch) -> IntentMatch:
        """The match for an intent another judge (the LLM) chose among the candidates."""
        if name == fallback.name:
            return replace(fallback, by_llm=True)
        intent = self.intents[name]
        score = scores.get(name, 0.0)
        return IntentMatch(
            name=intent.name,
            confidence=max(0.0, min(1.0, score)),
            action=intent.action,
            department=intent.department,
            nearest_example="",
            runner_up=fallback.name,
            margin=max(0.0, score - scores.get(fallback.name, 0.0)),
            by_llm=True,
        )
