"""Facts a visitor gave (order numbers, emails, phones) and the agent handoff summary."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["Facts", "build_summary", "describe_conversation", "extract_facts", "redact_facts"]

# Northwind order numbers look like NW-12345; also accept "order #12345"/"order 123456".
_ORDER = re.compile(r"\b([A-Z]{2,4}-\d{4,10})\b", re.IGNORECASE)
_ORDER_WORD = re.compile(
    r"\b(?:order|pedido|commande|bestellung|encomenda)\s*(?:number|no\.?|n[°º]|nr\.?|#)?\s*[:#]?\s*"
    r"(\d{4,10})\b",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_PHONE = re.compile(r"(?<![\w-])\+?\d[\d\s().-]{7,}\d(?![\w-])")

Facts = dict[str, list[str]]


def _unique(items: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:
        seen.setdefault(item, None)
    return list(seen)


def extract_facts(texts: Sequence[str]) -> Facts:
    """Order numbers, emails and phone numbers mentioned in the visitor's messages."""
    orders: list[str] = []
    emails: list[str] = []
    phones: list[str] = []
    for text in texts:
        emails += [m.lower() for m in _EMAIL.findall(text)]
        without_emails = _EMAIL.sub(" ", text)
        orders += [m.upper() for m in _ORDER.findall(without_emails)]
        orders += _ORDER_WORD.findall(without_emails)
        without_orders = _ORDER.sub(" ", without_emails)
        # 9+ digits: shorter runs are dates, prices or quantities far more often than phones.
        phones += [
            re.sub(r"\s+", " ", m).strip()
            for m in _PHONE.findall(without_orders)
            if sum(c.isdigit() for c in m) >= 9
        ]
    facts: Facts = {}
    if orders:
        facts["order_numbers"] = _unique(orders)
    if emails:
        facts["emails"] = _unique(emails)
    if phones:
        facts["phones"] = _unique(phones)
    return facts


def redact_facts(text: str) -> str:
    """Replace order numbers and emails with neutral words before retrieval.

    The identifiers carry no meaning for the knowledge base, and the help articles
    themselves contain an example order number, which would otherwise pull every
    "where is NW-12345?" towards whichever article mentions "NW-12345".
    """
    text = _EMAIL.sub("email", text)
    return _ORDER.sub("order", text)


_LABELS = {"order_numbers": "Order numbers", "emails": "Emails", "phones": "Phones"}


def build_summary(
    *,
    reason: str,
    intent: str,
    confidence: float,
    lang: str,
    visitor_messages: Sequence[str],
    facts: Facts,
    sources: Sequence[dict[str, object]] = (),
    history: Sequence[Mapping[str, Any]] = (),
    prechat: Sequence[str] = (),
    bot_answers: Sequence[str] = (),
    max_quote: int = 300,
    note: str | None = None,
) -> str:
    """Plain-text handoff summary so the agent never asks the visitor to repeat themselves.

    ``note`` (an LLM-written, checked note) opens the summary; the extractive lines
    follow, so the facts are there even when the note leaves one out. ``prechat`` lines
    ("Label: value") are what the visitor filled in before the chat.
    """
    lines = [note.strip()] if note else []
    lines.append(
        f"Escalated: {reason.replace('_', ' ')} (intent {intent}, confidence {confidence:.2f},"
        f" language {lang})."
    )
    if prechat:
        lines.append("Pre-chat form: " + "; ".join(prechat))
    if visitor_messages:
        last = visitor_messages[-1].strip()
        lines.append(f'Visitor\'s last message: "{last[:max_quote]}"')
        earlier = [m.strip() for m in visitor_messages[:-1] if m.strip()][-3:]
        if earlier:
            lines.append("Earlier: " + " | ".join(f'"{m[:120]}"' for m in earlier))
    if facts:
        lines.append(
            "Facts given: "
            + "; ".join(f"{_LABELS.get(k, k)}: {', '.join(v)}" for k, v in facts.items())
        )
    else:
        lines.append("Facts given: none")
    if sources:
        lines.append(
            "Closest articles: "
            + ", ".join(
                f"{s.get('title')} ({float(str(s.get('score', 0))):.2f})" for s in sources[:3]
            )
        )
    if bot_answers:
        lines.append(
            "Bot answered: " + " | ".join(f'"{a.strip()[:120]}"' for a in bot_answers[-2:])
        )
    if history:
        lines.append(f"Earlier conversations ({len(history)}):")
        lines.extend(f"- {describe_conversation(h)}" for h in list(history)[-3:])
    return "\n".join(lines)


def describe_conversation(item: Mapping[str, Any], max_quote: int = 120) -> str:
    """One line about an earlier conversation: when, what about, and how it ended."""
    when = str(item.get("started_at") or item.get("created_at") or "")[:10]
    first = str(item.get("first_message") or "")
    if not first:
        for m in item.get("messages") or item.get("transcript") or []:
            if str(m.get("role", m.get("sender", ""))) in ("visitor", "user", "human"):
                first = str(m.get("content", m.get("text", "")))
                break
    parts = [when] if when else []
    if item.get("summary") and not first:
        parts.append(str(item["summary"]).splitlines()[0][:max_quote])
    if first:
        parts.append(f'"{" ".join(first.split())[:max_quote]}"')
    outcome = item.get("handoff_reason") or item.get("reason")
    status = item.get("status")
    if outcome:
        parts.append(f"escalated ({str(outcome).replace('_', ' ')})")
    elif status:
        parts.append(str(status))
    return " ".join(parts) or "(no details)"
