"""Loading suites: JSONL and YAML, the manifest, and errors that name the file and line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.runner import QUICK_EVERY, quick_subset
from evals.suites import Conversation, SingleCase, SuiteError, load_suite

ROOT = Path(__file__).resolve().parents[2]

GOOD = {"id": "r1", "text": "how long does a refund take", "expected": "answer"}


def write_lines(path: Path, *items: object) -> Path:
    """One JSON line per item (strings are written as they are)."""
    path.write_text("\n".join(i if isinstance(i, str) else json.dumps(i) for i in items) + "\n")
    return path


def error_of(*targets: Path) -> SuiteError:
    """The SuiteError loading these raises."""
    with pytest.raises(SuiteError) as info:
        load_suite(list(targets))
    return info.value


def test_the_demo_suite_is_valid_and_big_enough() -> None:
    suite = load_suite([ROOT / "evals" / "demo"])
    assert len(suite.cases) >= 150 and len(suite.conversations) >= 20
    assert suite.kb == (ROOT / "knowledge" / "demo").resolve()
    langs = {c.lang for c in suite.cases}
    assert {"en", "es", "fr", "de", "pt"} <= langs
    assert {"injection", "typo", "paraphrase", "multilingual"} <= {
        t for c in suite.cases for t in c.tags
    }
    articles = {p.stem for p in (ROOT / "knowledge" / "demo").glob("*.md")}
    suite.check_articles(articles)  # every expected article exists


def test_jsonl_and_yaml_cases(tmp_path: Path) -> None:
    write_lines(
        tmp_path / "a.jsonl",
        "# comments and blank lines are skipped",
        "",
        {**GOOD, "article": ["returns-and-refunds", "financing"], "facts": ["5–7 business days"]},
    )
    (tmp_path / "b.yaml").write_text(
        "- id: c1\n"
        "  turns:\n"
        "    - hi\n"
        "    - text: how long does a refund take\n"
        "      article: returns-and-refunds\n"
        "  expected_final: answered\n"
        "  prechat: {name: Ana, email: ana@example.com, category: orders}\n"
    )
    suite = load_suite([tmp_path])
    assert suite.name == tmp_path.name and suite.kb is None
    [case] = suite.cases
    assert isinstance(case, SingleCase) and case.articles == ("returns-and-refunds", "financing")
    assert case.source == f"{tmp_path / 'a.jsonl'}:3"
    [conv] = suite.conversations
    assert isinstance(conv, Conversation) and conv.source == f"{tmp_path / 'b.yaml'}:1"
    assert [t.text for t in conv.script] == ["hi", "how long does a refund take"]
    assert conv.script[1].articles == ("returns-and-refunds",)
    assert conv.prechat is not None and conv.prechat.email == "ana@example.com"


def test_invalid_json_names_file_and_line(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "s.jsonl", GOOD, '{"id": "r2", "text": "hi" "expected": "smalltalk"}'
    )
    err = error_of(path)
    assert (err.path, err.line) == (str(path), 2)
    assert str(err).startswith(f"{path}:2: invalid JSON")


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ({**GOOD, "expected": "answered"}, "case 'r1': field 'expected': Input should be"),
        ({**GOOD, "fact": ["x"]}, "field 'fact': unknown field"),
        ({"id": "r1", "expected": "answer"}, "needs 'text' (single-turn) or 'turns'"),
        ({**GOOD, "facts": "5 days"}, "field 'facts'"),
        ({**GOOD, "facts": [""]}, "must not contain empty strings"),
        ({"id": "c", "turns": [], "expected_final": "answered"}, "field 'turns'"),
        ({"id": "c", "turns": ["hi"], "expected_final": "resolved"}, "field 'expected_final'"),
        ({"id": "c", "turns": [{"txt": "hi"}], "expected_final": "answered"}, "turns.0"),
        (["not", "an", "object"], "a case must be an object"),
    ],
)
def test_invalid_case_names_the_line(tmp_path: Path, case: object, message: str) -> None:
    path = write_lines(tmp_path / "s.jsonl", {**GOOD, "id": "ok"}, "", case)
    err = error_of(path)
    assert err.line == 3, str(err)
    assert message in str(err)
    assert str(err).startswith(f"{path}:3: ")


def test_duplicate_ids_across_files(tmp_path: Path) -> None:
    write_lines(tmp_path / "a.jsonl", GOOD)
    write_lines(tmp_path / "b.jsonl", {**GOOD, "text": "and again"})
    err = error_of(tmp_path)
    assert str(err).startswith(f"{tmp_path / 'b.jsonl'}:1: duplicate id 'r1'")
    assert f"{tmp_path / 'a.jsonl'}:1" in str(err)


def test_yaml_errors_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("- id: a\n  text: hello\n  expected: smalltalk\n- id: b\n  text: [unclosed\n")
    assert error_of(path).line in (5, 6)
    path.write_text(
        "- id: a\n  text: hello\n  expected: smalltalk\n- id: b\n  text: hi\n  expected: nope\n"
    )
    err = error_of(path)
    assert err.line == 4 and "field 'expected'" in str(err)


def test_missing_files_and_empty_suites(tmp_path: Path) -> None:
    assert "no such file" in str(error_of(tmp_path / "nope.jsonl"))
    assert "no .jsonl or .yaml case files" in str(error_of(tmp_path))
    (tmp_path / "x.txt").write_text("hi")
    assert "end in .jsonl" in str(error_of(tmp_path / "x.txt"))
    empty = tmp_path / "e.jsonl"
    empty.write_text("\n# nothing\n")
    assert "no cases" in str(error_of(empty))


def test_manifest_and_article_and_intent_checks(tmp_path: Path) -> None:
    (tmp_path / "suite.yaml").write_text("name: mine\nkb: ../kb\n")
    path = write_lines(
        tmp_path / "s.jsonl", {**GOOD, "id": "a"}, {**GOOD, "article": "nope", "intent": "x"}
    )
    suite = load_suite([path])  # a file also picks up its directory's manifest
    assert suite.name == "mine" and suite.kb == (tmp_path.parent / "kb").resolve()
    with pytest.raises(
        SuiteError, match=r"s\.jsonl:2: article 'nope' is not in the knowledge base"
    ):
        suite.check_articles({"returns-and-refunds"})
    with pytest.raises(SuiteError, match=r"s\.jsonl:2: intent 'x' is not defined"):
        suite.check_intents({"question"})
    (tmp_path / "suite.yaml").write_text("kb: x\nkbs: y\n")
    assert "unknown manifest keys: kbs" in str(error_of(path))


def test_quick_subset_keeps_every_group() -> None:
    suite = load_suite([ROOT / "evals" / "demo"])
    quick = quick_subset(suite)
    assert 0 < len(quick) < len(suite) / 2
    groups = {(c.tags[0], c.expected) for c in suite.cases}
    assert groups == {(c.tags[0], c.expected) for c in quick.cases}
    assert len(quick.conversations) == -(-len(suite.conversations) // QUICK_EVERY)
    assert [c.id for c in quick_subset(suite).cases] == [c.id for c in quick.cases]
