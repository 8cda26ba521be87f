"""Placeholders in canned responses: ``{{visitor.name}}``, optionally with a fallback
(``{{visitor.name | friend}}``). Pure functions; the service supplies the values.

A missing value never leaves a hole or "undefined": the placeholder's own fallback, else
a default that reads naturally ("Hi there", "your email address").
"""

from __future__ import annotations

import re
from collections.abc import Mapping

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_.]*)\s*(?:\|\s*([^{}]*?)\s*)?\}\}")

# name → default when the value is missing.
DEFAULTS: dict[str, str] = {
    "visitor.name": "there",
    "visitor.first_name": "there",
    "visitor.email": "your email address",
    "agent.name": "our team",
    "agent.first_name": "our team",
}
KNOWN = tuple(DEFAULTS)
MAX_FALLBACK = 60


def problems(body: str) -> list[str]:
    """What is wrong with the placeholders of a body (unknown names, long fallbacks)."""
    out: list[str] = []
    for m in PLACEHOLDER.finditer(body):
        name, fallback = m.group(1), m.group(2)
        if name not in DEFAULTS:
            out.append(
                f"Unknown placeholder {{{{{name}}}}}: use "
                + ", ".join(f"{{{{{k}}}}}" for k in KNOWN)
                + "."
            )
        elif fallback is not None and len(fallback) > MAX_FALLBACK:
            out.append(f"The fallback of {{{{{name}}}}} is longer than {MAX_FALLBACK} characters.")
    return out


def first_name(full: str | None) -> str | None:
    """The first word of a name (None for none)."""
    parts = (full or "").split()
    return parts[0] if parts else None


def fill(body: str, values: Mapping[str, str | None]) -> tuple[str, list[str]]:
    """The body with every placeholder replaced; also the names that had no value."""
    missing: list[str] = []

    def sub(m: re.Match[str]) -> str:
        name, fallback = m.group(1), m.group(2)
        if name not in DEFAULTS:
            return m.group(0)  # not ours: left for the agent to see and edit
        value = (values.get(name) or "").strip()
        if value:
            return value
        missing.append(name)
        return fallback if fallback else DEFAULTS[name]

    return PLACEHOLDER.sub(sub, body), list(dict.fromkeys(missing))
