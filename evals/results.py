"""What one eval case produced: the record every metric and report is built from."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["CaseResult", "TurnRecord"]


@dataclass
class TurnRecord:
    """One visitor message and the bot's turn, as observed."""

    visitor: str
    reply: str
    outcome: str  # answer | escalate | smalltalk | out_of_scope
    intent: str
    confidence: float
    lang: str
    articles: list[str]  # slugs cited by the reply
    retrieved: list[str]  # distinct slugs retrieved, best first
    reason: str | None
    department: str
    latency_ms: float
    why: list[str] = field(default_factory=list)  # per-turn checks that failed


@dataclass
class CaseResult:
    """A case's expectation, what happened, and whether it passed (why not, if not)."""

    id: str
    kind: str  # "single" | "conversation"
    source: str  # "path:line" of the case
    lang: str
    tags: list[str]
    expected: (
        str  # single: answer|escalate|smalltalk|out_of_scope; conversation: answered|escalated
    )
    outcome: str
    intent: str
    articles: list[str]
    reply: str
    passed: bool
    why: list[str] = field(default_factory=list)
    text: str = ""
    expected_intent: str | None = None
    confidence: float = 0.0
    detected_lang: str = ""
    expected_articles: list[str] = field(default_factory=list)
    retrieved: list[str] = field(default_factory=list)
    retrieval_source: str | None = None  # "graph" (what it used) | "search" (it did not retrieve)
    rank: int | None = None
    facts: list[str] = field(default_factory=list)
    facts_missing: list[str] = field(default_factory=list)
    fact_recall: float | None = None
    groundedness: float | None = None
    unsupported: list[str] = field(default_factory=list)
    forbidden_found: list[str] = field(default_factory=list)
    reason: str | None = None
    department: str | None = None
    expected_department: str | None = None
    summary: str | None = None
    handoff_recall: float | None = None
    handoff_missing: list[str] = field(default_factory=list)
    answered_by: str = ""  # llm | extractive | phrase | clarify | handoff (when the graph says)
    clarified: list[str] = field(default_factory=list)  # articles a clarification offered first
    latency_ms: float = 0.0  # single: the visitor's turn; conversation: all turns
    turns: list[TurnRecord] = field(default_factory=list)
    simulated_by: str | None = None  # conversations: "script" | "llm"

    def to_json(self) -> dict[str, Any]:
        """JSON form; ``why`` becomes one readable string ("" when the case passed)."""
        data = asdict(self)
        data["why"] = "; ".join(self.why)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CaseResult:
        """Rebuild from :meth:`to_json` output (a saved report)."""
        known = {f for f in cls.__dataclass_fields__}
        values = {k: v for k, v in data.items() if k in known}
        why = values.get("why", "")
        values["why"] = [w for w in why.split("; ") if w] if isinstance(why, str) else list(why)
        values["turns"] = [TurnRecord(**t) for t in values.get("turns") or []]
        return cls(**values)
