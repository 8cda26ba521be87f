"""Write small but real PDFs (Type1 fonts, several pages, sized headings) for loader tests."""

from __future__ import annotations

import textwrap

# (font size, bold, text) per block; a page is a list of blocks.
Block = tuple[float, bool, str]


def _pdf_string(text: str) -> bytes:
    raw = text.encode("cp1252")
    out = bytearray(b"(")
    for b in raw:
        if b in (0x28, 0x29, 0x5C):  # ( ) \
            out += b"\\" + bytes([b])
        elif b < 32 or b > 126:
            out += f"\\{b:03o}".encode()
        else:
            out.append(b)
    return bytes(out + b")")


def _content(blocks: list[Block]) -> bytes:
    y = 750.0
    ops = [b"BT"]
    for size, bold, text in blocks:
        width = max(20, int(1000 / size))  # characters per line for a ~470pt column
        lines = textwrap.wrap(text, width) or [""]
        y -= size * 0.8  # space above a block
        for line in lines:
            y -= size * 1.3
            font = b"/F2" if bold else b"/F1"
            ops.append(
                font + f" {size:g} Tf 1 0 0 1 72 {y:.1f} Tm ".encode() + _pdf_string(line) + b" Tj"
            )
    ops.append(b"ET")
    return b"\n".join(ops)


def make_pdf(pages: list[list[Block]], *, title: str | None = None) -> bytes:
    """A valid PDF with these pages (Helvetica body, Helvetica-Bold headings)."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled in below
    pages_obj = add(b"")
    f1 = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    f2 = add(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>"
    )
    kids = []
    for blocks in pages:
        stream = _content(blocks)
        content = add(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        kids.append(
            add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] "
                b"/Resources << /Font << /F1 %d 0 R /F2 %d 0 R >> >> /Contents %d 0 R >>"
                % (pages_obj, f1, f2, content)
            )
        )
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % pages_obj
    objects[pages_obj - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids),
        len(kids),
    )
    info = add(b"<< /Title " + _pdf_string(title) + b" /Producer (Parley tests) >>") if title else 0

    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    trailer = b"<< /Size %d /Root %d 0 R" % (len(objects) + 1, catalog)
    if info:
        trailer += b" /Info %d 0 R" % info
    out += b"trailer\n" + trailer + b" >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)
