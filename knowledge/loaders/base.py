"""What every loader returns, the one error they raise, and byte-level sniffing."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from pathlib import PurePath

__all__ = [
    "Document",
    "LoaderError",
    "decode_text",
    "sniff_binary",
    "slug_from_name",
    "title_from_slug",
]


class LoaderError(ValueError):
    """Input a loader cannot turn into an article; the message says why, for a person."""


@dataclass(slots=True)
class Document:
    """One article produced by a loader (Markdown body, ready to store and chunk)."""

    slug: str
    title: str
    body: str
    source: str  # file name or URL it came from
    tags: list[str] = field(default_factory=list)
    lang: str = "en"
    warnings: list[str] = field(default_factory=list)


# Signatures of common binary formats people rename by mistake (magic bytes).
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "a PDF"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"PK\x03\x04", "a ZIP archive (or an Office document)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\x7fELF", "a program (ELF)"),
    (b"MZ", "a Windows program"),
    (b"\xd0\xcf\x11\xe0", "an old Office document"),
    (b"RIFF", "a media file"),
    (b"OggS", "an audio file"),
    (b"ID3", "an MP3 file"),
)


def sniff_binary(data: bytes) -> str | None:
    """What binary format the bytes are (e.g. "a PNG image"), or None if they look like text."""
    for magic, what in _MAGIC:
        if data.startswith(magic):
            return what
    head = data[:8192]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None  # UTF-16 text has NUL bytes by design
    if b"\x00" in head:
        return "binary data"
    return None


def decode_text(data: bytes, name: str) -> str:
    """Bytes of a text file as str: UTF-8 (with or without BOM), UTF-16 with BOM, else cp1252."""
    what = sniff_binary(data)
    if what is not None:
        raise LoaderError(f"{name} is {what}, not a text file.")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = data.decode("utf-16")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            # Spreadsheets on Windows still save CSV as cp1252; anything else that is
            # not UTF-8 is more likely binary than text.
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError as exc:
                raise LoaderError(f"{name} is not UTF-8 text.") from exc
            if _controls(text) > 0.01 * max(1, len(text)):
                raise LoaderError(f"{name} is not UTF-8 text.") from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _controls(text) > 0.01 * max(1, len(text)):
        raise LoaderError(f"{name} looks like binary data, not text.")
    return text


def _controls(text: str) -> int:
    return sum(1 for ch in text[:20000] if ord(ch) < 32 and ch not in "\r\n\t\f\v")


def slug_from_name(name: str) -> str:
    """URL-safe slug of a file's stem ("Returns & Refunds.md" -> "returns-refunds")."""
    from knowledge.ingest import slugify

    stem = PurePath(name).stem if "." in PurePath(name).name else PurePath(name).name
    return slugify(stem)


def title_from_slug(slug: str) -> str:
    """A readable title from a slug or stem ("returns-and-refunds" -> "Returns and refunds")."""
    words = re.sub(r"[-_]+", " ", slug).strip()
    words = re.sub(r"\b(faq|faqs|pdf|api|sso|vat|uk|us|eu)\b", lambda m: m.group(1).upper(), words)
    return (words[:1].upper() + words[1:]) if words else "Untitled"
