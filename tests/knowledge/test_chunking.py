"""Heading-aware chunking keeps each piece's title and section."""

from __future__ import annotations

from knowledge.chunking import chunk_markdown, plain_text, split_sentences

ARTICLE = """# Returns and refunds

You can return most items within 30 days.

## How long does a refund take?

Refunds take **5–7 business days** after inspection.

## Batteries

Intro about batteries.

### Storage

Store at 40–60% charge.

```
## not a heading inside code
```
"""


def test_sections_carry_title_and_heading() -> None:
    chunks = chunk_markdown("Returns and refunds", ARTICLE)
    assert [c.section for c in chunks] == [
        "",
        "How long does a refund take?",
        "Batteries",
        "Batteries › Storage",
    ]
    assert [c.index for c in chunks] == [0, 1, 2, 3]
    refund = chunks[1]
    assert refund.embed_text.startswith("Returns and refunds — How long does a refund take?\n")
    assert "**" in refund.text  # stored Markdown is kept for display
    assert "**" not in refund.embed_text  # ...but formatting is not embedded
    # The duplicate "# Title" line is dropped, a fenced "##" is not a heading.
    assert "# Returns" not in chunks[0].text
    assert "## not a heading" in chunks[3].text


def test_long_sections_are_split_by_paragraph_and_sentence() -> None:
    body = "## Long\n\n" + "\n\n".join(f"Paragraph {i}. " + "Words here. " * 20 for i in range(6))
    chunks = chunk_markdown("T", body, max_chars=400)
    assert len(chunks) > 3
    assert all(len(c.text) <= 400 for c in chunks)
    assert {c.section for c in chunks} == {"Long"}


def test_hash_is_stable_and_content_sensitive() -> None:
    a = chunk_markdown("T", "## S\n\nSame text.")[0]
    b = chunk_markdown("T", "## S\n\nSame text.")[0]
    c = chunk_markdown("T", "## S\n\nOther text.")[0]
    d = chunk_markdown("Other title", "## S\n\nSame text.")[0]
    assert a.hash == b.hash
    assert len({a.hash, c.hash, d.hash}) == 3


def test_tables_are_written_out_with_headers() -> None:
    md = "| Size | Height |\n|---|---|\n| M | 170–180 cm |\n| L | 180–188 cm |"
    assert plain_text(md).splitlines() == ["M — Height: 170–180 cm.", "L — Height: 180–188 cm."]


def test_split_sentences_keeps_list_items_apart() -> None:
    text = "First sentence. Second one costs $5.\n\n- item one\n- item two\n\nLast? Yes."
    assert split_sentences(text) == [
        "First sentence.",
        "Second one costs $5.",
        "- item one",
        "- item two",
        "Last?",
        "Yes.",
    ]
