"""Knowledge bases built for evals: fresh per run, cached by content between runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals import runner

ARTICLE = "---\ntitle: {title}\n---\n{body}\n"


def write_kb(root: Path, body: str = "Refunds take 5 to 7 business days.") -> Path:
    """Two small articles."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "refunds.md").write_text(ARTICLE.format(title="Refunds", body=body))
    (root / "hours.md").write_text(ARTICLE.format(title="Hours", body="We open at 9 a.m."))
    return root


def test_cache_key_follows_the_articles(tmp_path: Path) -> None:
    kb = write_kb(tmp_path / "kb")
    key = runner.kb_cache_key(kb)
    assert runner.kb_cache_key(kb) == key
    write_kb(kb, body="Refunds take 3 business days.")
    assert runner.kb_cache_key(kb) != key


def test_built_once_then_copied_fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kb, cache = write_kb(tmp_path / "kb"), tmp_path / "cache"
    builds: list[Path] = []
    real_build = runner._build

    def counting_build(kb_dir: Path, target: Path) -> None:
        builds.append(target)
        real_build(kb_dir, target)

    monkeypatch.setattr(runner, "_build", counting_build)
    with runner.open_knowledge_base(kb, cache_dir=cache) as store:
        assert store.slugs() == {"refunds", "hours"}
        store.delete_article("hours")  # a run may change its copy...
    with runner.open_knowledge_base(kb, cache_dir=cache) as store:
        assert store.slugs() == {"refunds", "hours"}  # ...the next run starts clean
        assert store.search("how long do refunds take", 1)[0].slug == "refunds"
    assert len(builds) == 1
    assert [p.name for p in cache.iterdir()] == [f"kb-{runner.kb_cache_key(kb)}"]
    with (
        pytest.raises(FileNotFoundError),
        runner.open_knowledge_base(tmp_path / "missing", cache_dir=cache),
    ):
        pass
