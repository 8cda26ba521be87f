"""Eval suites: single-turn cases and scripted conversations, loaded from JSONL or YAML.

A suite is one or more files (or directories of files). Each JSONL line, or each item of
a YAML list, is a case: it is a conversation when it has ``turns``, else a single-turn
case with ``text``. A directory may hold a ``suite.yaml`` manifest naming the knowledge
base the suite was written for (``kb: path``, relative to the manifest). Any problem is
reported as a :class:`SuiteError` naming the file and line.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

__all__ = [
    "CASE_FILE_SUFFIXES",
    "MANIFEST",
    "Conversation",
    "Expected",
    "FinalOutcome",
    "Prechat",
    "SingleCase",
    "Suite",
    "SuiteError",
    "Turn",
    "load_suite",
]

Expected = Literal["answer", "escalate", "smalltalk", "out_of_scope"]
FinalOutcome = Literal["answered", "escalated"]

#: The optional manifest of a suite directory (not a case file).
MANIFEST = "suite.yaml"
CASE_FILE_SUFFIXES = (".jsonl", ".yaml", ".yml")


class SuiteError(ValueError):
    """A suite file is malformed; the message starts with ``path:line:``."""

    def __init__(self, path: Path | str, line: int | None, message: str) -> None:
        self.path = str(path)
        self.line = line
        self.message = message
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {message}")


class _Model(BaseModel):
    # Unknown keys are errors: a typo such as "fact" must not silently drop a check.
    model_config = ConfigDict(extra="forbid", frozen=True)


def _as_slugs(value: str | list[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


class SingleCase(_Model):
    """One visitor message and what the bot should do with it."""

    id: str = Field(min_length=1)
    text: str
    expected: Expected
    # The slug of the article that answers it; a list when several articles do.
    article: str | list[str] | None = None
    facts: list[str] = Field(default_factory=list)  # strings a correct answer contains
    lang: str = "en"
    tags: list[str] = Field(default_factory=list)
    intent: str | None = None  # the expected intent name, when it matters
    forbidden: list[str] = Field(default_factory=list)  # strings the reply must never contain
    source: str = Field(default="", exclude=True)  # "path:line", set by the loader

    @property
    def articles(self) -> tuple[str, ...]:
        """Acceptable article slugs (empty when none answers it)."""
        return _as_slugs(self.article)

    @field_validator("facts", "forbidden", "tags")
    @classmethod
    def _no_blank(cls, items: list[str]) -> list[str]:
        if any(not item.strip() for item in items):
            raise ValueError("must not contain empty strings")
        return items


class Turn(_Model):
    """A visitor message in a conversation, optionally with what its answer must show."""

    text: str = Field(min_length=1)
    article: str | list[str] | None = None
    facts: list[str] = Field(default_factory=list)
    forbidden: list[str] = Field(default_factory=list)

    @property
    def articles(self) -> tuple[str, ...]:
        """Acceptable article slugs for this turn's answer."""
        return _as_slugs(self.article)


class Prechat(_Model):
    """What the visitor filled in the pre-chat form."""

    name: str | None = None
    email: str | None = None
    category: str | None = None


class Conversation(_Model):
    """A scripted conversation (or, with an LLM, a persona and a goal) and its expected end."""

    id: str = Field(min_length=1)
    turns: list[str | Turn] = Field(min_length=1)
    pages: list[str] = Field(default_factory=list)
    prechat: Prechat | None = None
    expected_final: FinalOutcome
    expected_department: str | None = None
    handoff_must_mention: list[str] = Field(default_factory=list)
    lang: str = "en"
    tags: list[str] = Field(default_factory=list)
    persona: str | None = None  # for an LLM-played visitor
    goal: str | None = None
    max_turns: int | None = Field(default=None, ge=1, le=20)
    source: str = Field(default="", exclude=True)

    @property
    def script(self) -> list[Turn]:
        """The turns, every one as a :class:`Turn`."""
        return [Turn(text=t) if isinstance(t, str) else t for t in self.turns]


@dataclass
class Suite:
    """Cases from one or more files."""

    cases: list[SingleCase] = field(default_factory=list)
    conversations: list[Conversation] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    kb: Path | None = None  # knowledge base named by a manifest
    name: str = ""

    def __len__(self) -> int:
        return len(self.cases) + len(self.conversations)

    def article_refs(self) -> Iterable[tuple[str, str]]:
        """Every (slug, "path:line") an expectation refers to."""
        for case in self.cases:
            for slug in case.articles:
                yield slug, case.source
        for conv in self.conversations:
            for turn in conv.script:
                for slug in turn.articles:
                    yield slug, conv.source

    def check_articles(self, known: set[str]) -> None:
        """Raise a SuiteError for the first expected article the knowledge base lacks."""
        for slug, source in self.article_refs():
            if slug not in known:
                raise _at(
                    source,
                    f"article {slug!r} is not in the knowledge base "
                    f"({len(known)} articles; is --kb the right directory?)",
                )

    def check_intents(self, known: set[str]) -> None:
        """Raise a SuiteError for the first expected intent the intents file lacks."""
        for case in self.cases:
            if case.intent and case.intent not in known:
                raise _at(
                    case.source,
                    f"intent {case.intent!r} is not defined (known: {', '.join(sorted(known))})",
                )


def _at(source: str, message: str) -> SuiteError:
    path, _, line = source.rpartition(":")
    return SuiteError(path, int(line) if line.isdigit() else None, message)


def _format_validation(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:3]:
        loc = ".".join(str(p) for p in err["loc"] if not str(p).startswith(("str", "Turn")))
        got = err.get("input")
        shown = (
            f" (got {json.dumps(got, ensure_ascii=False)[:60]})" if err["type"] != "missing" else ""
        )
        msg = err["msg"] if err["type"] != "extra_forbidden" else "unknown field"
        parts.append(f"field {loc!r}: {msg}{shown}" if loc else f"{msg}{shown}")
    more = len(exc.errors()) - 3
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def _parse_case(obj: Any, path: Path, line: int) -> SingleCase | Conversation:
    if not isinstance(obj, dict):
        raise SuiteError(path, line, f"a case must be an object, got {type(obj).__name__}")
    source = f"{path}:{line}"
    model: type[SingleCase] | type[Conversation]
    if "turns" in obj:
        model = Conversation
    elif "text" in obj:
        model = SingleCase
    else:
        raise SuiteError(path, line, "a case needs 'text' (single-turn) or 'turns' (conversation)")
    if "source" in obj:
        raise SuiteError(path, line, "field 'source' is reserved")
    try:
        return model.model_validate({**obj, "source": source})
    except ValidationError as exc:
        ident = obj.get("id")
        prefix = f"case {ident!r}: " if isinstance(ident, str) and ident else ""
        raise SuiteError(path, line, prefix + _format_validation(exc)) from None


def _read_jsonl(path: Path) -> list[tuple[int, Any]]:
    items: list[tuple[int, Any]] = []
    with path.open(encoding="utf-8") as fh:
        for number, raw in enumerate(fh, start=1):
            text = raw.strip()
            if not text or text.startswith(("#", "//")):
                continue
            try:
                items.append((number, json.loads(text)))
            except json.JSONDecodeError as exc:
                raise SuiteError(
                    path, number, f"invalid JSON: {exc.msg} (column {exc.colno})"
                ) from None
    return items


def _read_yaml(path: Path) -> list[tuple[int, Any]]:
    text = path.read_text(encoding="utf-8")
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise SuiteError(path, line, f"invalid YAML: {exc.problem}") from None
    if root is None:
        return []
    if isinstance(root, yaml.MappingNode):
        # {cases: [...]} is accepted as well as a bare list.
        for key, value in root.value:
            if key.value == "cases":
                root = value
                break
        else:
            raise SuiteError(path, 1, "a YAML suite is a list of cases (or has a 'cases' list)")
    if not isinstance(root, yaml.SequenceNode):
        raise SuiteError(path, root.start_mark.line + 1, "expected a list of cases")
    loader = yaml.SafeLoader("")
    items = []
    for node in root.value:
        items.append((node.start_mark.line + 1, loader.construct_document(node)))
    return items


def _case_files(target: Path) -> tuple[list[Path], Path | None]:
    if target.is_dir():
        files = sorted(
            p
            for p in target.iterdir()
            if p.is_file() and p.suffix in CASE_FILE_SUFFIXES and p.name != MANIFEST
        )
        manifest = target / MANIFEST
        return files, manifest if manifest.is_file() else None
    if target.is_file():
        if target.name == MANIFEST:
            return _case_files(target.parent)
        if target.suffix not in CASE_FILE_SUFFIXES:
            raise SuiteError(target, None, "suite files end in .jsonl, .yaml or .yml")
        manifest = target.parent / MANIFEST
        return [target], manifest if manifest.is_file() else None
    raise SuiteError(target, None, "no such file or directory")


def _read_manifest(path: Path) -> tuple[str, Path | None]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise SuiteError(path, line, f"invalid YAML: {exc.problem}") from None
    if not isinstance(data, dict):
        raise SuiteError(path, 1, "the manifest is a mapping (name, kb)")
    unknown = set(data) - {"name", "kb", "description"}
    if unknown:
        raise SuiteError(path, None, f"unknown manifest keys: {', '.join(sorted(unknown))}")
    kb = data.get("kb")
    return str(data.get("name") or path.parent.name), (
        path.parent / str(kb)
    ).resolve() if kb else None


def load_suite(targets: Sequence[str | Path]) -> Suite:
    """Load and validate every case of these files/directories (ids unique across them)."""
    suite = Suite()
    seen: dict[str, str] = {}
    names: list[str] = []
    for raw in targets:
        target = Path(raw)
        files, manifest = _case_files(target)
        if manifest is not None:
            name, kb = _read_manifest(manifest)
            names.append(name)
            if kb is not None:
                if suite.kb is not None and suite.kb != kb:
                    raise SuiteError(
                        manifest, None, f"names knowledge base {kb}, another suite {suite.kb}"
                    )
                suite.kb = kb
        elif target.is_dir():
            names.append(target.name)
        if target.is_dir() and not files:
            raise SuiteError(target, None, "no .jsonl or .yaml case files in this directory")
        for path in files:
            if path in suite.files:
                continue
            suite.files.append(path)
            reader = _read_jsonl if path.suffix == ".jsonl" else _read_yaml
            for line, obj in reader(path):
                case = _parse_case(obj, path, line)
                if case.id in seen:
                    raise SuiteError(
                        path, line, f"duplicate id {case.id!r} (first at {seen[case.id]})"
                    )
                seen[case.id] = case.source
                if isinstance(case, Conversation):
                    suite.conversations.append(case)
                else:
                    suite.cases.append(case)
    suite.name = "+".join(dict.fromkeys(names)) or "+".join(p.stem for p in suite.files)
    if not len(suite):
        raise SuiteError(", ".join(str(t) for t in targets), None, "the suite has no cases")
    return suite
