"""Loaders on realistic files: cluttered HTML, a generated PDF, FAQ CSV/JSON, text, Markdown."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from knowledge.chunking import chunk_markdown
from knowledge.loaders import LoaderError, load_bytes, load_path
from knowledge.store import KnowledgeStore
from tests.knowledge.pdfgen import make_pdf

FILES = Path(__file__).parent / "files"


def test_html_keeps_the_article_and_drops_the_furniture() -> None:
    (doc,) = load_bytes((FILES / "store-pickup.html").read_bytes(), "store-pickup.html")
    assert doc.slug == "store-pickup"
    assert doc.title == "Store pickup"
    assert doc.lang == "en"
    body = doc.body
    for kept in (
        "Pickup is **free**",
        "## When is my order ready?",
        "- A photo ID matching the name on the order",
        "### Pickup windows",
        "| Denver | 10:00–19:00 | 09:00–17:00 |",
        "We hold orders for **14 days**",
    ):
        assert kept in body, kept
    for dropped in (
        "cookies",  # cookie banner
        "Accept all",
        "My account",  # navigation
        "Skip to content",
        "In this section",  # sidebar
        "Home",  # breadcrumbs
        "newsletter",
        "1-800-555-0199",  # footer
        "Privacy",
        "Share on Twitter",
        "Related articles",
        "Was this article helpful",
        "dataLayer",  # scripts
        "FAQPage",
        "background:#123",  # styles
        "Updated 3 March",  # byline
    ):
        assert dropped.lower() not in body.lower(), dropped
    # The chunker sees the page's own sections, titled.
    sections = [c.section for c in chunk_markdown(doc.title, doc.body)]
    assert sections == [
        "",
        "When is my order ready?",
        "What to bring",
        "What to bring › Pickup windows",
    ]


def test_html_without_main_uses_the_densest_block() -> None:
    page = b"""<html><head><title>Bike fitting - Northwind</title></head><body>
    <div id="top"><a href="/">Home</a> <a href="/a">A</a> <a href="/b">B</a> <a href="/c">C</a></div>
    <div class="wrap"><div class="col">
      <h2>Saddle height</h2><p>Set the saddle so your knee is slightly bent at the bottom of the pedal stroke.</p>
      <h2>Reach</h2><p>You should reach the bars with a slight bend in your elbows, shoulders relaxed.</p>
    </div><div class="links"><a href="/x">Link one</a> <a href="/y">Link two</a></div></div>
    <div id="bottom">Copyright Northwind. All rights reserved. <a href="/legal">Legal</a></div>
    </body></html>"""
    (doc,) = load_bytes(page, "bike-fitting.htm")
    assert doc.title == "Bike fitting"
    assert "## Saddle height" in doc.body and "## Reach" in doc.body
    assert "Copyright" not in doc.body and "Link one" not in doc.body


def test_pdf_generated_here_keeps_headings_and_non_ascii() -> None:
    pdf = make_pdf(
        [
            [
                (22, True, "E-bike battery care"),
                (
                    11,
                    False,
                    "Lithium batteries last longest when stored between 30 and 60 percent "
                    "charge. Avoid leaving the battery in a hot car; a café terrace in July is too hot.",
                ),
                (15, True, "Charging"),
                (
                    11,
                    False,
                    "Use only the charger that came with your bike. A full charge takes about "
                    "4 hours from empty. Unplug the charger once the light turns green.",
                ),
            ],
            [
                (15, True, "Winter storage"),
                (
                    11,
                    False,
                    "Store the battery indoors at room temperature, charged to about half.",
                ),
            ],
        ]
    )
    (doc,) = load_bytes(pdf, "battery-care.pdf")
    assert doc.slug == "battery-care"
    assert doc.title == "E-bike battery care"  # the first, biggest heading (no metadata title)
    assert "## Charging" in doc.body and "## Winter storage" in doc.body
    assert "a café terrace in July is too hot." in doc.body
    # Wrapped lines are joined into one paragraph again.
    assert "A full charge takes about 4 hours from empty." in doc.body
    chunks = chunk_markdown(doc.title, doc.body)
    assert [c.section for c in chunks] == ["", "Charging", "Winter storage"]

    with_meta = make_pdf(
        [[(11, False, "Just one paragraph of text about tyres and pressure.")]],
        title="Tyre pressure",
    )
    (doc,) = load_bytes(with_meta, "tyres.pdf")
    assert doc.title == "Tyre pressure" and "tyres and pressure" in doc.body


def test_faq_csv_with_quoting_line_breaks_and_non_ascii() -> None:
    (doc,) = load_bytes((FILES / "faq.csv").read_bytes(), "faq.csv")
    assert doc.slug == "faq" and doc.title == "FAQ" and doc.tags == ["faq"]
    assert doc.warnings == ["1 row(s) without a question or an answer were skipped."]
    chunks = chunk_markdown(doc.title, doc.body)
    sections = [c.section for c in chunks]
    assert sections == [
        "Payments › Can I pay with Klarna?",
        'Payments › Do you accept "Buy now, pay later" on e-bikes?',
        "Livraison › Livrez-vous au Québec ?",
        "Livraison › Wie lange dauert die Lieferung nach München?",
        "Orders › What if my bike arrives damaged?",
    ]
    assert 'The "0% APR" offer runs for 12 months' in chunks[1].text
    assert "droits de douane compris (€/$ affichés au panier)" in chunks[2].text
    assert "Then contact us within 48 hours" in chunks[4].text  # a multi-line quoted cell


def test_faq_csv_variants() -> None:
    # Excel on Windows: semicolons and cp1252, no header row.
    data = "Où est mon colis ?;Suivez-le avec le lien de l'e-mail d'expédition.\r\nPuis-je payer en 3 fois ?;Oui, dès 300 €.\r\n".encode(
        "cp1252"
    )
    (doc,) = load_bytes(data, "FAQ Français.csv")
    assert doc.slug == "faq-francais"
    assert "## Où est mon colis ?" in doc.body and "Oui, dès 300 €." in doc.body
    tsv = "question\tanswer\nDo you ship to Norway?\tYes, in 5–9 days.\n".encode()
    (doc,) = load_bytes(tsv, "nordic.tsv")
    assert "## Do you ship to Norway?" in doc.body


def test_faq_json_and_text_and_markdown() -> None:
    (doc,) = load_bytes((FILES / "warranty-faq.json").read_bytes(), "warranty-faq.json")
    assert doc.title == "Warranty questions"
    assert "### Are batteries covered?\n\n- 2 years or 500 charge cycles" in doc.body
    simple = json.dumps(
        {"Can I rent a bike?": "Yes, from $30 a day.", "Do you rent e-bikes?": "Yes."}
    )
    (doc,) = load_bytes(simple.encode(), "rentals.json")
    assert "## Can I rent a bike?\n\nYes, from $30 a day." in doc.body

    (doc,) = load_bytes((FILES / "gift-wrapping.txt").read_bytes(), "gift-wrapping.txt")
    assert doc.title == "Gift wrapping"
    assert "## Bikes cannot be gift-wrapped" in doc.body

    md = b"---\ntitle: Rental bikes\ntags: [rentals, city]\n---\n\n# Rental bikes\n\nRent by the day.\n"
    (doc,) = load_bytes(md, "Rental Bikes.md")
    assert (doc.slug, doc.title, doc.tags) == ("rental-bikes", "Rental bikes", ["rentals", "city"])


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.md", b"", "empty.md is empty."),
        ("blank.txt", b"  \n\n \t", "blank.txt is empty."),
        (
            "photo.md",
            b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
            "photo.md is a PNG image, not a text file.",
        ),
        (
            "report.md",
            b"%PDF-1.4\n%\xe2\xe3\n1 0 obj<<>>endobj",
            "report.md is a PDF, not a text file.",
        ),
        (
            "tool.md",
            b"\x7fELF\x02\x01\x01" + b"\x00" * 64,
            "tool.md is a program (ELF), not a text file.",
        ),
        ("noise.md", bytes(range(1, 32)) * 100, "noise.md looks like binary data, not text."),
        ("fake.pdf", b"this is not a pdf at all", "fake.pdf is not a PDF file."),
        ("broken.pdf", b"%PDF-1.4\ngarbage without objects", "broken.pdf"),
        ("letter.docx", b"PK\x03\x04rest-of-zip", "letter.docx: unsupported file type .docx"),
        ("faq.json", b'{"faqs": [', "faq.json is not valid JSON"),
        ("list.json", b'["just", "strings"]', "list.json has no question/answer pairs"),
        ("one-column.csv", b"question\nWhat?\n", "one-column.csv needs at least two columns"),
        ("scan.pdf", make_pdf([[]]), "scan.pdf has no text layer"),
        (
            "furniture.html",
            b"<html><body><nav>Home About</nav><footer>(c) Us</footer></body></html>",
            "furniture.html has no readable main content.",
        ),
    ],
)
def test_bad_input_gets_a_clear_error(name: str, data: bytes, message: str) -> None:
    with pytest.raises(LoaderError) as err:
        load_bytes(data, name)
    assert message in str(err.value)


def test_directory_import_rejects_two_files_with_one_slug(tmp_path: Path) -> None:
    (tmp_path / "returns.md").write_text("# Returns\n\nThirty days.")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "returns.txt").write_text("Returns\n\nAlso thirty days.")
    with pytest.raises(LoaderError, match="would both be the article 'returns'"):
        load_path(tmp_path)
    (tmp_path / "sub" / "returns.txt").unlink()
    (tmp_path / "README.md").write_text("not an article")
    (tmp_path / ".hidden.md").write_text("# Hidden")
    assert [d.slug for d in load_path(tmp_path)] == ["returns"]


def test_faq_sections_are_stored_as_chunk_metadata(store: KnowledgeStore) -> None:
    (doc,) = load_bytes((FILES / "faq.csv").read_bytes(), "faq.csv")
    store.upsert_article(doc.slug, doc.title, "/help/faq", doc.body)
    hit = store.search("Wie lange dauert der Versand nach München?", k=1)[0]
    assert hit.section == "Livraison › Wie lange dauert die Lieferung nach München?"
    assert hit.title == "FAQ" and hit.slug == "faq"
