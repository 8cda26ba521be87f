"""Fixed bot phrases loaded from prompts/answers.yaml."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

__all__ = ["PROMPTS_DIR", "Phrases"]

PROMPTS_DIR = Path(__file__).resolve().parents[2] / "prompts"


class Phrases:
    """Localised fixed phrases; unknown languages fall back to English."""

    def __init__(self, phrases: dict[str, dict[str, str]], *, company: str = "") -> None:
        for name, variants in phrases.items():
            if "en" not in variants:
                raise ValueError(f"phrase {name!r} has no English ('en') version")
        self._phrases = phrases
        self.company = company
        self._all: frozenset[str] | None = None

    @classmethod
    def from_yaml(cls, path: str | Path | None = None, *, company: str | None = None) -> Phrases:
        """Load phrases from a YAML file (default prompts/answers.yaml)."""
        data: dict[str, Any] = yaml.safe_load(
            Path(path or PROMPTS_DIR / "answers.yaml").read_text(encoding="utf-8")
        )
        phrases = {
            str(k): {str(lang): str(text) for lang, text in v.items()}
            for k, v in (data.get("phrases") or {}).items()
        }
        return cls(
            phrases, company=company if company is not None else str(data.get("company", ""))
        )

    def all_texts(self) -> frozenset[str]:
        """Every phrase in every language, filled in (to tell fixed replies from answers)."""
        if self._all is None:
            self._all = frozenset(
                template.format(company=self.company, title="", url="")
                for variants in self._phrases.values()
                for template in variants.values()
            )
        return self._all

    def get(self, name: str, lang: str = "en", **values: str) -> str:
        """The phrase in this language, with {company} and the given placeholders filled."""
        variants = self._phrases[name]
        template = variants.get(lang) or variants["en"]
        return template.format(company=self.company, **values)
