"""Placeholders of canned responses: filled, or a fallback that reads naturally."""

from __future__ import annotations

from app.canned.placeholders import fill, first_name, problems

ALL = {
    "visitor.name": "Ada Lovelace",
    "visitor.first_name": "Ada",
    "visitor.email": "ada@example.com",
    "agent.name": "Grace Hopper",
    "agent.first_name": "Grace",
}


def test_known_placeholders_are_filled() -> None:
    text, missing = fill(
        "Hi {{visitor.name}} ({{ visitor.email }}), {{agent.first_name}} here. {{visitor.first_name}}!",
        ALL,
    )
    assert text == "Hi Ada Lovelace (ada@example.com), Grace here. Ada!"
    assert missing == []


def test_a_missing_value_gets_its_fallback_never_undefined() -> None:
    empty = {k: None for k in ALL} | {"visitor.name": "  "}
    text, missing = fill(
        "Hi {{visitor.name}}, we'll write to {{visitor.email}}. Bye {{visitor.name | friend}}! "
        "— {{agent.name}}",
        empty,
    )
    assert text == "Hi there, we'll write to your email address. Bye friend! — our team"
    assert missing == ["visitor.name", "visitor.email", "agent.name"]
    assert "undefined" not in text and "None" not in text and "{{" not in text


def test_unknown_placeholders_are_reported_and_left_alone() -> None:
    assert problems("Hi {{visitor.name}} {{visitor.phone}} {{ order.id }}") == [
        "Unknown placeholder {{visitor.phone}}: use {{visitor.name}}, {{visitor.first_name}}, "
        "{{visitor.email}}, {{agent.name}}, {{agent.first_name}}.",
        "Unknown placeholder {{order.id}}: use {{visitor.name}}, {{visitor.first_name}}, "
        "{{visitor.email}}, {{agent.name}}, {{agent.first_name}}.",
    ]
    assert problems("{{visitor.name | " + "x" * 61 + "}}")
    assert problems("Plain text, {single} braces and {{visitor.email|you}}") == []
    assert fill("{{order.id}}", ALL) == ("{{order.id}}", [])


def test_first_name() -> None:
    assert first_name("  Ada  Lovelace ") == "Ada"
    assert first_name("") is None and first_name(None) is None
