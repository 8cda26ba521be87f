"""Types from bytes and safe names, without a server."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.files.sniff import Detected, Refused, detect, safe_name

PDF = Detected("application/pdf", "pdf")
TXT = Detected("text/plain", "txt")
JPEG = Detected("image/jpeg", "jpg")


def _detect(tmp_path: Path, data: bytes, name: str = "f") -> Detected:
    p = tmp_path / "upload.part"
    p.write_bytes(data)
    return detect(p, data[:8192], name)


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (b"<?xml version='1.0'?><svg xmlns='http://www.w3.org/2000/svg'/>", "SVG"),
        (b"\xef\xbb\xbf  <!doctype html><p>hi", "web page"),
        (b"hello <script>alert(1)</script>", "web page"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 64, "program"),
        (b"PK\x03\x04" + b"\x00" * 26 + b"x.txt" + b"\x00" * 40, "ZIP"),
        (b"plain\x00with a NUL", "unknown type"),
    ],
)
def test_refused(tmp_path: Path, data: bytes, what: str) -> None:
    with pytest.raises(Refused, match=what):
        _detect(tmp_path, data)


def test_text_and_csv(tmp_path: Path) -> None:
    assert _detect(tmp_path, "naïve café\r\n\tok".encode("latin-1"), "notes").content_type == (
        "text/plain"
    )
    assert _detect(tmp_path, b"a;b\n1;2\n", "Export.CSV").content_type == "text/csv"
    assert _detect(tmp_path, b"%PDF-1.7\n%\xe2\xe3\n", "x.png") == PDF


@pytest.mark.parametrize(
    ("raw", "detected", "name"),
    [
        ("C:\\Users\\ada\\Desktop\\photo.JPEG", JPEG, "photo.JPEG"),
        ("../../etc/passwd", TXT, "passwd.txt"),
        ("invoice.png", PDF, "invoice.png.pdf"),
        ("report\u202etxt.exe", TXT, "reporttxt.exe.txt"),
        ("  ..hidden.txt ", TXT, "hidden.txt"),
        ("", PDF, "file.pdf"),
        ("a" * 300 + ".pdf", PDF, "a" * 146 + ".pdf"),
        ("line\nbreak\x00.pdf", PDF, "linebreak.pdf"),
    ],
)
def test_safe_names(raw: str, detected: Detected, name: str) -> None:
    assert safe_name(raw, detected) == name
