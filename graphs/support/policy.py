"""The escalation policy and guardrails, loaded from prompts/policy.yaml.

Pure functions of the turn (intent, text, contact attributes, counters): the graph's
``check_policy`` node calls ``Policy.decide`` and routes on its verdict, so support
leads change who goes to a human by editing a file, and nothing a visitor writes can
switch the policy off (it never goes through a model).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from graphs.support.phrases import PROMPTS_DIR

__all__ = ["CustomerRule", "Policy", "Verdict", "frustration_score"]


@dataclass(frozen=True, slots=True)
class CustomerRule:
    """Contacts whose attributes match ``when`` go to a human (once per conversation)."""

    name: str
    reason: str
    when: Mapping[str, Any]
    department: str | None = None

    def matches(self, contact: Mapping[str, Any]) -> bool:
        """Every attribute in ``when`` matches (a list means any of its values)."""
        for key, expected in self.when.items():
            actual = contact.get(key)
            options = expected if isinstance(expected, list) else [expected]
            if isinstance(actual, str):
                if actual.lower() not in [str(o).lower() for o in options]:
                    return False
            elif actual not in options:
                return False
        return True


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the policy decided for this visitor message."""

    escalate: str | None = None  # the escalation reason, None to carry on
    confidence: float = 0.0  # how sure the rule is (recorded with the escalation)
    department: str | None = None  # overrides the intent's department
    refuse: str | None = None  # a guardrail phrase name to reply with instead of answering
    unhelpful: bool = False  # the visitor said the last answer did not help
    streak: int = 0  # unhelpful answers in a row, this message included
    fired: tuple[str, ...] = ()  # once-per-conversation rules that fired


@dataclass
class Policy:
    """Escalation rules in the order they are checked (first match wins)."""

    sensitive_intents: dict[str, str] = field(default_factory=dict)  # intent → reason
    customer_rules: list[CustomerRule] = field(default_factory=list)
    frustration_enabled: bool = True
    frustration_min_score: float = 1.0
    frustration_lexicon: tuple[str, ...] = ()
    unhelpful_max: int = 2
    unhelpful_intent: str = "unhelpful"
    unhelpful_patterns: tuple[re.Pattern[str], ...] = ()
    repeat_similarity: float = 0.92
    guardrails: dict[str, tuple[re.Pattern[str], ...]] = field(default_factory=dict)
    answer_threshold: float | None = None  # overrides the context default when set
    _lexicon_re: re.Pattern[str] | None = None

    def __post_init__(self) -> None:
        if self.frustration_lexicon:
            words = sorted(self.frustration_lexicon, key=len, reverse=True)
            self._lexicon_re = re.compile(
                r"\b(" + "|".join(re.escape(w) for w in words) + r")\b", re.IGNORECASE
            )

    @classmethod
    def from_yaml(cls, path: str | Path | None = None) -> Policy:
        """Load prompts/policy.yaml (or another file of the same shape)."""
        data: dict[str, Any] = yaml.safe_load(
            Path(path or PROMPTS_DIR / "policy.yaml").read_text(encoding="utf-8")
        )
        frustration = data.get("frustration") or {}
        unhelpful = data.get("unhelpful") or {}
        low = data.get("low_confidence") or {}
        threshold = low.get("answer_threshold")
        return cls(
            sensitive_intents={
                str(k): str(v or k) for k, v in (data.get("sensitive_intents") or {}).items()
            },
            customer_rules=[
                CustomerRule(
                    name=str(r.get("name", r.get("reason", "customer_rule"))),
                    reason=str(r.get("reason", "customer_rule")),
                    when=dict(r.get("when") or {}),
                    department=r.get("department"),
                )
                for r in data.get("customer_rules") or []
            ],
            frustration_enabled=bool(frustration.get("enabled", True)),
            frustration_min_score=float(frustration.get("min_score", 1.0)),
            frustration_lexicon=tuple(str(w) for w in frustration.get("lexicon") or []),
            unhelpful_max=int(unhelpful.get("max_in_a_row", 2)),
            unhelpful_intent=str(unhelpful.get("intent", "unhelpful")),
            unhelpful_patterns=_compile(unhelpful.get("patterns")),
            repeat_similarity=float(unhelpful.get("repeat_similarity", 0.92)),
            guardrails={
                str(name): _compile(patterns)
                for name, patterns in (data.get("guardrails") or {}).items()
            },
            answer_threshold=float(threshold) if threshold is not None else None,
        )

    def frustration(self, text: str) -> float:
        """How angry the message reads (lexicon, shouting, exclamation marks)."""
        return frustration_score(text, self._lexicon_re)

    def is_unhelpful_feedback(self, text: str, intent: str) -> bool:
        """The visitor says the previous answer did not help."""
        return intent == self.unhelpful_intent or any(
            p.search(text) for p in self.unhelpful_patterns
        )

    def guardrail(self, text: str) -> str | None:
        """The name of the first guardrail this message trips (prompt injection, privacy)."""
        for name, patterns in self.guardrails.items():
            if any(p.search(text) for p in patterns):
                return name
        return None

    def decide(
        self,
        *,
        text: str,
        intent: str,
        intent_action: str,
        intent_confidence: float,
        contact: Mapping[str, Any] | None = None,
        fired: Sequence[str] = (),
        streak: int = 0,
        repeated: bool = False,
        bot_answered_last: bool = False,
    ) -> Verdict:
        """Apply the rules to one visitor message; ``streak`` is the count before it."""
        # 1. An explicit request for a person always wins.
        if intent == "human_request":
            return Verdict(escalate="human_request", confidence=intent_confidence)
        # 2. Customer-type rules, once per conversation (so a handed-back VIP is answered).
        for rule in self.customer_rules:
            if rule.name not in fired and contact and rule.matches(contact):
                return Verdict(
                    escalate=rule.reason,
                    confidence=1.0,
                    department=rule.department,
                    fired=(rule.name,),
                )
        # 3. Sensitive intents (billing disputes, legal threats, injuries, complaints).
        if intent in self.sensitive_intents:
            return Verdict(escalate=self.sensitive_intents[intent], confidence=intent_confidence)
        if intent_action == "escalate":  # an intent added to the file with action escalate
            return Verdict(escalate=intent, confidence=intent_confidence)
        # 4. Frustration or anger that the classifier did not call a complaint.
        if self.frustration_enabled:
            score = self.frustration(text)
            if score >= self.frustration_min_score:
                return Verdict(escalate="frustration", confidence=round(min(1.0, score / 2), 4))
        # 5. N unhelpful answers in a row: "that doesn't help", or the same question again.
        unhelpful = bot_answered_last and (self.is_unhelpful_feedback(text, intent) or repeated)
        new_streak = streak + 1 if unhelpful else 0
        if unhelpful and new_streak >= self.unhelpful_max:
            return Verdict(
                escalate="repeated_failure",
                confidence=1.0,
                unhelpful=True,
                streak=new_streak,
            )
        # 6. Guardrails: injections and requests for other people's data get a refusal.
        refuse = self.guardrail(text)
        return Verdict(
            refuse=refuse,
            unhelpful=unhelpful and not repeated,
            streak=new_streak,
        )


_SHOUT = re.compile(r"[A-Z]")
_LETTER = re.compile(r"[^\W\d_]")


def frustration_score(text: str, lexicon: re.Pattern[str] | None) -> float:
    """Lexicon hits (0.6 each, up to 1.2), shouting (0.6) and "!!" runs (0.4, 0.6 for "!!!")."""
    score = 0.0
    if lexicon is not None:
        score += min(1.2, 0.6 * len(lexicon.findall(text)))
    letters = _LETTER.findall(text)
    words = [w for w in re.findall(r"[^\W\d_]+", text) if len(w) >= 2]
    if len(letters) >= 12 and len(words) >= 3:
        caps = sum(1 for c in letters if _SHOUT.match(c)) / len(letters)
        if caps >= 0.6:
            score += 0.6
    if "!!!" in text or "?!?" in text:
        score += 0.6
    elif "!!" in text:
        score += 0.4
    return round(score, 4)


def _compile(patterns: Any) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(str(p), re.IGNORECASE) for p in patterns or [])
