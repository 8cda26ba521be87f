"""`parley kb …` as an operator uses it: import, list, search --json, reindex, export."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import prime_kb
from tests.knowledge.chroma_server import chroma_server

PARLEY = str(Path(sys.executable).parent / "parley")
FILES = Path(__file__).resolve().parents[2] / "knowledge" / "files"


def run(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PARLEY, *args], env=env, capture_output=True, text=True, timeout=300, check=check
    )


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    data = tmp_path_factory.mktemp("kb-cli")
    prime_kb(data, tmp_path_factory.getbasetemp())
    e = {
        **os.environ,
        "PARLEY_DATA_DIR": str(data),
        "PARLEY_DATABASE_URL": "",
        "PARLEY_CHROMA_URL": "",
        "COLUMNS": "120",
    }
    run(e, "seed")
    return e


def test_import_list_search_export_roundtrip(env: dict[str, str], tmp_path: Path) -> None:
    out = run(env, "kb", "import", str(FILES))
    assert "4 article(s) saved as drafts" in out.stderr
    assert "Saving" in out.stderr  # the progress bar
    assert "faq: 1 row(s) without a question or an answer were skipped." in " ".join(
        out.stderr.split()
    )
    drafts = json.loads(run(env, "kb", "list", "--status", "draft", "--json").stdout)
    assert {a["slug"] for a in drafts} == {"faq", "gift-wrapping", "store-pickup", "warranty-faq"}
    # Drafts are not searchable (the index holds live content only)...
    hits = json.loads(
        run(env, "kb", "search", "what do I bring to pick up my order", "--json").stdout
    )
    assert "store-pickup" not in {h["slug"] for h in hits}

    out = run(env, "kb", "import", str(FILES / "store-pickup.html"), "--publish")
    assert "1 article(s) published: 0 created, 0 updated, 1 unchanged" in " ".join(
        out.stderr.split()
    )
    assert "Indexing" in out.stderr
    hits = json.loads(
        run(env, "kb", "search", "what do I bring to pick up my order", "--json", "-k", "3").stdout
    )
    assert hits[0]["slug"] == "store-pickup"
    assert list(hits[0]) == ["slug", "title", "section", "score", "text"]
    assert hits[0]["section"] == "What to bring"
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)

    table = run(env, "kb", "list").stdout
    assert "store-pickup" in table and "published" in table

    export_dir = tmp_path / "export"
    run(env, "kb", "export", str(export_dir))
    exported = sorted(p.name for p in export_dir.iterdir())
    assert "store-pickup.md" in exported and "returns-and-refunds.md" in exported
    text = (export_dir / "store-pickup.md").read_text()
    front = yaml.safe_load(text.split("---")[1])
    assert front["title"] == "Store pickup" and front["status"] == "published"
    # Re-importing the export changes nothing.
    out = run(env, "kb", "import", str(export_dir))
    summary = " ".join(out.stderr.split())
    assert "0 created, 0 updated" in summary, summary
    as_json = json.loads(run(env, "kb", "export", "--json").stdout)
    assert any(a["slug"] == "faq" and a["status"] == "draft" for a in as_json)


def test_reindex_rebuilds_from_the_database_incrementally(env: dict[str, str]) -> None:
    from knowledge.store import KnowledgeStore

    run(env, "kb", "import", str(FILES / "gift-wrapping.txt"), "--publish")
    out = run(env, "kb", "reindex")
    assert "0 chunks embedded" in " ".join(out.stderr.split())  # nothing changed: nothing embedded
    # Lose an article's chunks and add a stray one: reindex puts the index back in step.
    store = KnowledgeStore(Path(env["PARLEY_DATA_DIR"]) / "chroma")
    store.delete_article("gift-wrapping")
    store.upsert_article("stray", "Stray", "/help/stray", "Not in the database.")
    del store
    out = run(env, "kb", "reindex")
    summary = " ".join(out.stderr.split())
    assert "2 chunks embedded" in summary and "1 removed" in summary, summary
    hits = json.loads(run(env, "kb", "search", "can you gift wrap a bike", "--json").stdout)
    assert hits[0]["slug"] == "gift-wrapping"
    assert "stray" not in {
        h["slug"] for h in json.loads(run(env, "kb", "search", "stray", "--json").stdout)
    }


def test_bad_input_is_a_clear_error(env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "empty.md").write_bytes(b"")
    out = run(env, "kb", "import", str(tmp_path / "empty.md"), check=False)
    assert out.returncode == 2 and "empty.md is empty." in out.stderr
    out = run(env, "kb", "import", "https://example.com/sitemap.xml", check=False)
    assert out.returncode == 2 and "is not one of your site's origins" in " ".join(
        out.stderr.split()
    )
    out = run(env, "kb", "list", "--status", "nope", check=False)
    assert out.returncode == 2


def test_cli_against_a_chroma_server(env: dict[str, str], tmp_path: Path) -> None:
    with chroma_server(tmp_path / "chroma-server") as url:
        e = {**env, "PARLEY_CHROMA_URL": url}
        out = run(e, "kb", "reindex")  # the live articles, into the empty server
        assert "removed" in out.stderr
        hits = json.loads(run(e, "kb", "search", "how long does a refund take", "--json").stdout)
        assert hits[0]["slug"] == "returns-and-refunds"
