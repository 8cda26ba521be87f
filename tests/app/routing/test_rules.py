"""Routing rules, table-driven: every condition (both ways) and every action, pure."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from app.routing.models import RoutingRule
from app.routing.rules import Facts, evaluate, matches, page_matches
from app.routing.schemas import Condition, RuleIn

# A Wednesday, 10:30 UTC.
WED_1030 = datetime(2026, 12, 2, 10, 30, tzinfo=UTC)
OFFICE = {"timezone": "UTC", "days": {"wed": [["09:00", "17:00"]]}}
PARIS_OFFICE = {"timezone": "Europe/Paris", "days": {"wed": [["11:00", "12:00"]]}}
COND: TypeAdapter[Condition] = TypeAdapter(Condition)


def facts(**kw: Any) -> Facts:
    base: dict[str, Any] = {
        "now": WED_1030,
        "category": ["Billing"],
        "department": "billing",
        "intent": "billing_dispute",
        "language": "en-GB",
        "customer": "identified",
        "attributes": {"plan": "Pro", "vip": True, "seats": 25, "region": "emea"},
        "priority": 1,
        "url": "https://shop.example.com/checkout/pay?step=2",
        "hours": OFFICE,
    }
    base.update(kw)
    return Facts(**base)


# (condition, facts overrides, expected)
CASES: list[tuple[dict[str, Any], dict[str, Any], bool]] = [
    # pre-chat category / department
    ({"field": "category", "value": ["billing"]}, {}, True),
    ({"field": "category", "value": ["sales"]}, {}, False),
    ({"field": "category", "op": "not_in", "value": ["sales"]}, {}, True),
    ({"field": "category", "value": ["billing"]}, {"category": []}, False),
    # department the bot escalated to
    ({"field": "department", "value": ["billing", "sales"]}, {}, True),
    ({"field": "department", "value": ["sales"]}, {}, False),
    ({"field": "department", "op": "not_in", "value": ["billing"]}, {}, False),
    ({"field": "department", "value": ["billing"]}, {"department": None}, False),
    # detected intent
    ({"field": "intent", "value": ["Billing_Dispute"]}, {}, True),
    ({"field": "intent", "value": ["order_status"]}, {}, False),
    ({"field": "intent", "op": "not_in", "value": ["order_status"]}, {}, True),
    # language: exact, primary subtag either way
    ({"field": "language", "value": ["en"]}, {}, True),
    ({"field": "language", "value": ["en-gb"]}, {}, True),
    ({"field": "language", "value": ["fr"]}, {}, False),
    ({"field": "language", "value": ["pt-br"]}, {"language": "pt"}, True),
    ({"field": "language", "op": "not_in", "value": ["en"]}, {}, False),
    ({"field": "language", "value": ["en"]}, {"language": None}, False),
    # customer type
    ({"field": "customer", "value": ["identified"]}, {}, True),
    ({"field": "customer", "value": ["anonymous"]}, {}, False),
    ({"field": "customer", "value": ["anonymous"]}, {"customer": "anonymous"}, True),
    ({"field": "customer", "value": ["identified"]}, {"customer": "returning"}, True),
    ({"field": "customer", "value": ["returning"]}, {"customer": "identified"}, False),
    ({"field": "customer", "op": "not_in", "value": ["anonymous"]}, {}, True),
    # contact attributes
    ({"field": "attribute", "key": "plan", "value": "pro"}, {}, True),
    ({"field": "attribute", "key": "plan", "value": "free"}, {}, False),
    ({"field": "attribute", "key": "plan", "op": "not_equals", "value": "free"}, {}, True),
    ({"field": "attribute", "key": "vip", "value": True}, {}, True),
    ({"field": "attribute", "key": "vip", "value": True}, {"attributes": {"vip": "yes"}}, True),
    ({"field": "attribute", "key": "vip", "value": True}, {"attributes": {"vip": False}}, False),
    ({"field": "attribute", "key": "region", "op": "in", "value": ["emea", "apac"]}, {}, True),
    ({"field": "attribute", "key": "region", "op": "in", "value": ["amer"]}, {}, False),
    ({"field": "attribute", "key": "seats", "op": "gte", "value": 20}, {}, True),
    ({"field": "attribute", "key": "seats", "op": "lte", "value": 20}, {}, False),
    (
        {"field": "attribute", "key": "seats", "op": "gte", "value": 20},
        {"attributes": {"seats": "30"}},
        True,
    ),
    (
        {"field": "attribute", "key": "seats", "op": "gte", "value": 1},
        {"attributes": {"seats": "many"}},
        False,
    ),
    ({"field": "attribute", "key": "plan", "op": "exists"}, {}, True),
    ({"field": "attribute", "key": "plan", "op": "exists"}, {"attributes": {"plan": ""}}, False),
    ({"field": "attribute", "key": "vip", "op": "not_exists"}, {"attributes": {}}, True),
    ({"field": "attribute", "key": "plan", "value": "pro"}, {"attributes": {}}, False),
    # priority
    ({"field": "priority", "op": "gte", "value": 1}, {}, True),
    ({"field": "priority", "op": "gte", "value": 2}, {}, False),
    ({"field": "priority", "op": "lte", "value": 0}, {}, False),
    ({"field": "priority", "op": "eq", "value": 1}, {}, True),
    # page URL: contains, glob on the whole URL, glob on path+query
    ({"field": "page", "match": "contains", "value": "/checkout"}, {}, True),
    ({"field": "page", "match": "contains", "value": "/CHECKOUT"}, {}, True),
    ({"field": "page", "match": "contains", "value": "/pricing"}, {}, False),
    ({"field": "page", "match": "glob", "value": "/checkout/*"}, {}, True),
    ({"field": "page", "match": "glob", "value": "/checkout"}, {}, False),
    ({"field": "page", "match": "glob", "value": "https://shop.example.com/*"}, {}, True),
    ({"field": "page", "match": "glob", "value": "https://blog.example.com/*"}, {}, False),
    ({"field": "page", "match": "contains", "value": "/checkout"}, {"url": ""}, False),
    # time: in/out of business hours (team's, else site's; None = always open)
    ({"field": "hours", "value": "in"}, {}, True),
    ({"field": "hours", "value": "out"}, {}, False),
    ({"field": "hours", "value": "out"}, {"now": datetime(2026, 12, 2, 18, 0, tzinfo=UTC)}, True),
    ({"field": "hours", "value": "out"}, {"hours": None}, False),
    ({"field": "hours", "value": "in"}, {"hours": PARIS_OFFICE}, True),  # 11:30 in Paris
    # weekday, in the hours' time zone
    ({"field": "weekday", "value": ["wed"]}, {}, True),
    ({"field": "weekday", "value": ["sat", "sun"]}, {}, False),
    (
        {"field": "weekday", "value": ["thu"]},
        {
            "now": datetime(2026, 12, 2, 23, 30, tzinfo=UTC),
            "hours": {"timezone": "Asia/Tokyo", "days": {}},
        },
        True,
    ),
]


@pytest.mark.parametrize(("cond", "overrides", "expected"), CASES)
def test_each_condition(cond: dict[str, Any], overrides: dict[str, Any], expected: bool) -> None:
    assert matches(COND.validate_python(cond), facts(**overrides)) is expected


def test_every_condition_field_is_covered() -> None:
    covered = {c["field"] for c, _, _ in CASES}
    assert covered == {
        "category",
        "department",
        "intent",
        "language",
        "customer",
        "attribute",
        "priority",
        "page",
        "hours",
        "weekday",
    }


def rule(
    id_: int, position: int, conditions: list[dict[str, Any]], actions: dict[str, Any], **kw: Any
) -> RoutingRule:
    return RoutingRule(
        id=id_, name=f"rule {id_}", position=position, conditions=conditions, actions=actions, **kw
    )


@pytest.mark.parametrize(
    ("actions", "expected"),
    [
        ({"team": "billing"}, {"team": "billing"}),
        ({"priority": 2}, {"priority": 2}),
        ({"agent_id": 7}, {"agent_id": 7}),
        ({"labels": ["vip", "refund"]}, {"labels": ["vip", "refund"]}),
        (
            {"team": "sales", "priority": -1, "agent_id": 3, "labels": ["lead"]},
            {"team": "sales", "priority": -1, "agent_id": 3, "labels": ["lead"]},
        ),
    ],
)
def test_each_action_comes_back_from_the_matching_rule(
    actions: dict[str, Any], expected: dict[str, Any]
) -> None:
    d = evaluate(
        [rule(1, 1, [{"field": "intent", "value": ["billing_dispute"]}], actions)], facts()
    )
    assert d.rule is not None and d.rule.id == 1 and not d.is_default
    got = d.actions.model_dump(exclude_defaults=True)
    assert got == expected
    assert d.reasons == ["intent is billing_dispute"]


def test_first_match_wins_in_position_order_and_disabled_rules_are_skipped() -> None:
    rules = [
        rule(1, 3, [], {"team": "third"}),
        rule(2, 1, [{"field": "intent", "value": ["order_status"]}], {"team": "first"}),
        rule(3, 2, [{"field": "language", "value": ["en"]}], {"team": "second"}, enabled=False),
        rule(4, 0, [], {"team": "default"}, is_default=True),
    ]
    d = evaluate(rules, facts())
    assert d.rule is not None and d.rule.id == 1 and d.actions.team == "third"
    assert d.reasons == ["always"]
    rules[2].enabled = True
    assert evaluate(rules, facts()).actions.team == "second"


def test_all_conditions_must_hold() -> None:
    r = rule(
        1,
        1,
        [
            {"field": "intent", "value": ["billing_dispute"]},
            {"field": "attribute", "key": "plan", "value": "enterprise"},
        ],
        {"team": "vip"},
    )
    d = evaluate([r, rule(9, 0, [], {"team": "support"}, is_default=True)], facts())
    assert d.is_default and d.actions.team == "support" and d.reasons == ["no rule matched"]


def test_no_rules_at_all_means_the_default_without_actions() -> None:
    d = evaluate([], facts())
    assert d.rule is None and d.is_default and d.actions.is_empty()


def test_a_broken_stored_rule_is_skipped_not_fatal() -> None:
    broken = rule(1, 1, [{"field": "moon_phase", "value": "full"}], {"team": "x"})
    ok = rule(2, 2, [], {"team": "support"})
    assert evaluate([broken, ok], facts()).actions.team == "support"


def test_page_globs() -> None:
    assert page_matches("https://a.example/blog/post?x=1", "glob", "/blog/*")
    assert page_matches("https://a.example/", "glob", "/")
    assert not page_matches("https://a.example/blog", "glob", "/blog/*")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"name": "x", "actions": {}}, "at least one action"),
        ({"name": " ", "actions": {"team": "billing"}}, "needs a name"),
        ({"name": "x", "actions": {"team": "Bad Key!"}}, "team key"),
        ({"name": "x", "actions": {"priority": 5}}, "less than or equal to 2"),
        ({"name": "x", "actions": {"labels": ["ok", "no/slash"]}}, "is not a label"),
        ({"name": "x", "actions": {"colour": "red"}}, "Extra inputs"),
        ({"name": "x", "actions": {"team": "b"}, "conditions": [{"field": "moon"}]}, "tag"),
        (
            {
                "name": "x",
                "actions": {"team": "b"},
                "conditions": [{"field": "intent", "value": []}],
            },
            "at least 1",
        ),
        (
            {
                "name": "x",
                "actions": {"team": "b"},
                "conditions": [{"field": "language", "value": ["english!"]}],
            },
            "not a valid language",
        ),
        (
            {
                "name": "x",
                "actions": {"team": "b"},
                "conditions": [
                    {"field": "attribute", "key": "seats", "op": "gte", "value": "many"}
                ],
            },
            "needs a number",
        ),
        (
            {
                "name": "x",
                "actions": {"team": "b"},
                "conditions": [{"field": "attribute", "key": "plan", "op": "in", "value": "pro"}],
            },
            "non-empty list",
        ),
        (
            {
                "name": "x",
                "actions": {"team": "b"},
                "conditions": [{"field": "page", "value": "a b"}],
            },
            "without spaces",
        ),
        (
            {
                "name": "x",
                "actions": {"team": "b"},
                "conditions": [{"field": "weekday", "value": ["someday"]}],
            },
            "mon",
        ),
        (
            {
                "name": "x",
                "actions": {"team": "b"},
                "conditions": [{"field": "hours", "value": "maybe"}],
            },
            "'in' or 'out'",
        ),
    ],
)
def test_bad_rules_are_refused_with_a_clear_message(body: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as err:
        RuleIn.model_validate(body)
    assert message in str(err.value)
