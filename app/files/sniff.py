"""What a file really is, from its bytes; and a name that is safe to show and download.

The client's Content-Type and the file's extension are never believed: a page with a
script renamed ``photo.png`` is still a page. Binary formats are recognised by their
magic bytes (the ``filetype`` package); anything without a known signature is accepted
only as plain text — UTF-8 or a single-byte code page, no control bytes, and not markup.
SVG and HTML are refused outright: a browser would run their scripts.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import filetype

# What may be attached, by detected type: (extension, label for error messages).
IMAGES = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "image/webp": "webp",
}
DOCUMENTS = {
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "application/vnd.oasis.opendocument.presentation": "odp",
}
TEXT = {"text/plain": "txt", "text/csv": "csv"}
ALLOWED = IMAGES | DOCUMENTS | TEXT
# Extensions a name may keep for each type (anything else gets the right one appended).
EXTENSIONS = {
    "image/jpeg": {"jpg", "jpeg", "jfif"},
    "text/plain": {"txt", "text", "log", "md"},
    "text/csv": {"csv"},
}

ALLOWED_TEXT = (
    "Images (PNG, JPEG, GIF, WebP), PDF, plain text or CSV, and Word, Excel, PowerPoint or "
    "OpenDocument files"
)

# Names for what we refuse, so the message says what the file was taken for.
_REFUSED_NAMES = {
    "application/x-msdownload": "a Windows program",
    "application/x-executable": "a program",
    "application/x-mach-binary": "a program",
    "application/x-shockwave-flash": "a Flash file",
    "application/zip": "a ZIP archive",
    "application/x-rar-compressed": "a RAR archive",
    "application/x-7z-compressed": "a 7-Zip archive",
    "application/gzip": "a gzip archive",
    "application/x-tar": "a tar archive",
}

_MARKUP = re.compile(
    rb"^(?:\xef\xbb\xbf)?\s*<(?:!doctype\s|\?xml|svg|html|head|body|script|iframe|!--)",
    re.IGNORECASE,
)
_MARKUP_ANYWHERE = re.compile(rb"<(?:svg|html|script)[\s>/]", re.IGNORECASE)
# Bytes that never occur in text (NUL and other C0 controls except tab, LF, FF, CR, ESC).
_BINARY = re.compile(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f]")

HEAD_BYTES = 8192


class Refused(Exception):
    """The file's type is not accepted; the message says what it was and what is."""


@dataclass(frozen=True)
class Detected:
    """The type decided from the bytes, and the extension a download should carry."""

    content_type: str
    extension: str

    @property
    def is_image(self) -> bool:
        """Whether it is one of the accepted image formats."""
        return self.content_type in IMAGES


def _refuse(what: str) -> Refused:
    return Refused(f"This file looks like {what}, which can't be attached. {ALLOWED_TEXT} can.")


def _is_text(path: Path) -> bool:
    with path.open("rb") as f:
        while chunk := f.read(65536):
            if _BINARY.search(chunk):
                return False
    return True


def detect(path: Path, head: bytes, name: str) -> Detected:
    """The accepted type of the file at ``path`` (``head``: its first bytes), or Refused."""
    kind = filetype.guess(head)
    if kind is not None:
        mime = kind.mime
        if mime in IMAGES or mime in DOCUMENTS:
            return Detected(mime, ALLOWED[mime])
        raise _refuse(_REFUSED_NAMES.get(mime, f"a {kind.extension.upper()} file"))
    if _MARKUP.search(head) or _MARKUP_ANYWHERE.search(head):
        raise _refuse("a web page or an SVG image (they can run scripts)")
    if not _is_text(path):
        raise _refuse("a file of an unknown type")
    # Text: the name may say CSV; either way it is served as text.
    mime = "text/csv" if name.lower().endswith(".csv") else "text/plain"
    return Detected(mime, TEXT[mime])


# ---- names ----

# Bidirectional overrides and other invisible format characters make "gpj.exe" read as
# "exe.jpg"; path separators and controls have no place in a name either.
_DROP = re.compile(r"[\x00-\x1f\x7f/\\\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_SPACES = re.compile(r"\s+")
MAX_NAME = 150


def safe_name(raw: str, detected: Detected) -> str:
    """A display and download name: no path, no controls, an extension that tells the truth."""
    name = unicodedata.normalize("NFC", raw or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]  # a browser may send C:\path\file
    name = _SPACES.sub(" ", _DROP.sub("", name)).strip().lstrip(".").strip()
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    allowed = EXTENSIONS.get(detected.content_type, {detected.extension})
    if ext.lower() not in allowed:
        # "invoice.png" that is really a PDF downloads as "invoice.png.pdf".
        stem, ext = name, detected.extension
    stem = stem[: MAX_NAME - len(ext) - 1].rstrip() or "file"
    return f"{stem}.{ext}"
