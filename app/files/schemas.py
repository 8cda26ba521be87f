"""How attachments appear in messages, uploads and events."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from app.files.models import Attachment

# At most this many files travel with one message.
MAX_PER_MESSAGE = 10


def file_url(attachment_id: int, thumb: bool = False) -> str:
    """Where the file (or its thumbnail) is downloaded, with a visitor's or an agent's token."""
    return f"/api/v1/files/{attachment_id}" + ("/thumb" if thumb else "")


class AttachmentOut(BaseModel):
    """A file as visitors and agents see it (next to a message, or just uploaded)."""

    id: int
    name: str
    content_type: str
    size: int
    width: int | None = None
    height: int | None = None
    # Relative to the API's origin; the request needs the visitor's or agent's token.
    url: str
    thumb_url: str | None = None
    sent: bool = False

    @classmethod
    def of(cls, a: Attachment) -> AttachmentOut:
        """Build from the stored row."""
        assert a.id is not None
        return cls.from_brief(brief(a), sent=a.message_id is not None)

    @classmethod
    def from_brief(cls, b: dict[str, Any], sent: bool = True) -> AttachmentOut:
        """Build from the copy a message keeps (see ``brief``)."""
        aid = int(b["id"])
        return cls(
            id=aid,
            name=str(b.get("name", "")),
            content_type=str(b.get("content_type", "")),
            size=int(b.get("size", 0) or 0),
            width=b.get("width"),
            height=b.get("height"),
            url=file_url(aid),
            thumb_url=file_url(aid, thumb=True) if b.get("thumb") else None,
            sent=sent,
        )


def brief(a: Attachment) -> dict[str, Any]:
    """The facts a message keeps about each of its files (files never change once sent)."""
    return {
        "id": a.id,
        "name": a.name,
        "content_type": a.content_type,
        "size": a.size,
        "width": a.width,
        "height": a.height,
        "thumb": a.has_thumb,
    }
