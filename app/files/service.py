"""Attachment rules: receiving an upload, binding files to a message, who may read them,
and removing them. Services only flush; files leave the disk after the commit.

An upload streams to a temporary file under the data directory (never into memory) and is
refused with 413 as soon as it passes ``PARLEY_FILE_MAX_BYTES``. Its type is decided from
the bytes (``sniff.py``); images are re-encoded without metadata, with a thumbnail
(``images.py``). The stored file is named by a random key; the name the user gave is kept,
sanitised, for display and downloads only.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os
import secrets
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from zipfile import ZipFile

from limits import parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from sqlmodel.ext.asyncio.session import AsyncSession

from app.agents.models import Agent
from app.config import get_settings
from app.conversations.models import Conversation
from app.db import utcnow
from app.errors import Conflict, Forbidden, InvalidInput, NotFound, ParleyError, PayloadTooLarge
from app.events.service import after_commit
from app.files import images, repository, sniff
from app.files.models import Attachment, Uploader
from app.files.schemas import MAX_PER_MESSAGE
from app.visitors.models import VisitorSession

# A visitor may have this many uploads waiting to be sent at once, and upload this many
# per visitor session and window (the edge also limits each address, app/middleware.py).
MAX_UNSENT_PER_SESSION = 20
UPLOADS_PER_SESSION = parse("30/10 minutes")
CHUNK = 64 * 1024

_limiter: tuple[str, MovingWindowRateLimiter] | None = None


def _session_limiter() -> MovingWindowRateLimiter:
    """The per-session upload limiter: in memory, or in Redis when instances share one."""
    global _limiter
    url = get_settings().redis_url
    if _limiter is None or _limiter[0] != url:
        storage: Storage = (
            RedisStorage("async+" + url, implementation="redispy") if url else MemoryStorage()
        )
        _limiter = (url, MovingWindowRateLimiter(storage))
    return _limiter[1]


class UnsupportedType(ParleyError):
    """This kind of file cannot be attached."""

    status_code = 415
    name = "UnsupportedMediaType"


class TooManyFiles(ParleyError):
    """Too many uploads at once or in a short time."""

    status_code = 429
    name = "TooManyRequests"


def _mb(n: int) -> str:
    return f"{n / 1048576:g} MB"


# ---- where files live ----


def path_of(key: str) -> Path:
    """The stored file of a storage key (two-character fan-out directories)."""
    return get_settings().files_dir / key[:2] / key


def thumb_path_of(key: str) -> Path:
    """The stored thumbnail of a storage key."""
    return get_settings().files_dir / key[:2] / f"{key}.thumb.webp"


def remove_files(keys: Sequence[str]) -> int:
    """Delete the stored files (and thumbnails) of these keys; how many files were removed."""
    removed = 0
    for key in keys:
        for p in (path_of(key), thumb_path_of(key)):
            try:
                p.unlink()
                removed += 1
            except FileNotFoundError:
                pass
    return removed


def remove_after_commit(session: AsyncSession, keys: Sequence[str]) -> None:
    """Delete these files once the rows that name them are gone for good."""
    keys = list(keys)

    def remove() -> None:
        remove_files(keys)

    if keys:
        after_commit(session, remove)


# ---- receiving ----


@dataclass
class _Incoming:
    path: Path
    size: int
    head: bytes


async def _spool(body: AsyncIterator[bytes], declared: str | None, cap: int) -> _Incoming:
    """Write the request body to a temporary file, refusing it once it passes ``cap``."""
    if declared is not None:
        try:
            size = int(declared)
        except ValueError as exc:
            raise InvalidInput("Content-Length is not a number.") from exc
        if size > cap:
            raise PayloadTooLarge(f"The file is {size / 1048576:.1f} MB; the limit is {_mb(cap)}.")
    incoming = get_settings().files_dir / "incoming"
    incoming.mkdir(parents=True, exist_ok=True)
    path = incoming / f"{secrets.token_hex(16)}.part"
    size, head = 0, bytearray()
    try:
        with path.open("wb") as f:
            async for chunk in body:
                size += len(chunk)
                if size > cap:
                    raise PayloadTooLarge(f"The file is larger than the {_mb(cap)} limit.")
                if len(head) < sniff.HEAD_BYTES:
                    head += chunk[: sniff.HEAD_BYTES - len(head)]
                f.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    if size == 0:
        path.unlink(missing_ok=True)
        raise InvalidInput("The file is empty.")
    return _Incoming(path, size, bytes(head))


@dataclass(frozen=True)
class _Stored:
    key: str
    content_type: str
    name: str
    size: int
    sha256: str
    width: int | None
    height: int | None
    has_thumb: bool


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _store(tmp: _Incoming, filename: str) -> _Stored:
    """Decide the type, clean images, and move the file to its key (runs in a thread)."""
    try:
        detected = sniff.detect(tmp.path, tmp.head, filename)
    except sniff.Refused as exc:
        raise UnsupportedType(str(exc)) from exc
    key = secrets.token_hex(16)
    dest, thumb = path_of(key), thumb_path_of(key)
    dest.parent.mkdir(parents=True, exist_ok=True)
    width = height = None
    has_thumb = False
    if detected.is_image:
        try:
            done = images.clean(tmp.path, dest, thumb, detected.content_type)
        except images.BadImage as exc:
            remove_files([key])
            raise InvalidInput(str(exc)) from exc
        width, height, has_thumb = done.width, done.height, done.thumb
    else:
        os.replace(tmp.path, dest)
    return _Stored(
        key=key,
        content_type=detected.content_type,
        name=sniff.safe_name(filename, detected),
        size=dest.stat().st_size,
        sha256=_digest(dest),
        width=width,
        height=height,
        has_thumb=has_thumb,
    )


async def receive(
    session: AsyncSession,
    body: AsyncIterator[bytes],
    *,
    filename: str,
    content_length: str | None,
    visitor: VisitorSession | None = None,
    agent: Agent | None = None,
    conversation: Conversation | None = None,
) -> Attachment:
    """Store an upload of a visitor (not sent yet) or of an agent in a conversation."""
    if visitor is not None:
        if await repository.unsent_count(session, visitor.id) >= MAX_UNSENT_PER_SESSION:
            raise TooManyFiles(
                f"{MAX_UNSENT_PER_SESSION} files are waiting to be sent; send or remove some first."
            )
        if get_settings().rate_limits and not await _session_limiter().hit(
            UPLOADS_PER_SESSION, "files", visitor.id
        ):
            raise TooManyFiles("Too many files in a short time; try again in a few minutes.")
    tmp = await _spool(body, content_length, get_settings().file_max_bytes)
    try:
        stored = await asyncio.to_thread(_store, tmp, filename)
    finally:
        tmp.path.unlink(missing_ok=True)
    a = Attachment(
        conversation_id=conversation.id if conversation is not None else None,
        uploader=Uploader.agent if agent is not None else Uploader.visitor,
        session_id=visitor.id if visitor is not None else None,
        agent_id=agent.id if agent is not None else None,
        name=stored.name,
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
        storage_key=stored.key,
        width=stored.width,
        height=stored.height,
        has_thumb=stored.has_thumb,
    )
    session.add(a)
    try:
        await session.flush()
    except BaseException:
        remove_files([stored.key])
        raise
    await purge_unsent(session)
    return a


async def purge_unsent(session: AsyncSession, limit: int = 50) -> int:
    """Forget uploads nobody sent within ``PARLEY_UNSENT_FILE_HOURS`` (rows, then files)."""
    before = utcnow() - timedelta(hours=get_settings().unsent_file_hours)
    stale = list(await repository.stale_unsent(session, before, limit))
    for a in stale:
        await session.delete(a)
    if stale:
        await session.flush()
        remove_after_commit(session, [a.storage_key for a in stale])
    return len(stale)


# ---- sending ----


async def claim(
    session: AsyncSession,
    ids: Sequence[int],
    *,
    visitor: VisitorSession | None = None,
    agent: Agent | None = None,
    conversation: Conversation | None = None,
) -> list[Attachment]:
    """The sender's own unsent uploads with these ids, in the given order; anything else
    (someone else's, another conversation's, already sent) is refused before a message
    is stored."""
    wanted = list(dict.fromkeys(ids))
    if len(wanted) > MAX_PER_MESSAGE:
        raise InvalidInput(f"At most {MAX_PER_MESSAGE} files can be sent with one message.")
    found = {a.id: a for a in await repository.by_ids(session, wanted)}
    out = []
    for aid in wanted:
        a = found.get(aid)
        mine = a is not None and (
            (visitor is not None and a.uploader == Uploader.visitor and a.session_id == visitor.id)
            or (agent is not None and a.uploader == Uploader.agent and a.agent_id == agent.id)
        )
        if a is None or not mine:
            raise NotFound(f"Attachment {aid} not found among your uploads.")
        if a.message_id is not None:
            raise Conflict(f"Attachment {aid} was already sent.")
        if agent is not None and conversation is not None and a.conversation_id != conversation.id:
            raise Forbidden(f"Attachment {aid} was uploaded to another conversation.")
        out.append(a)
    return out


async def bind(
    session: AsyncSession, files: Sequence[Attachment], c: Conversation, m_id: int
) -> None:
    """The files now belong to the stored message."""
    for a in files:
        a.conversation_id, a.message_id = c.id, m_id
        session.add(a)
    if files:
        await session.flush()


# ---- reading and removing ----


async def readable(
    session: AsyncSession, a: Attachment, *, visitor: VisitorSession | None = None
) -> bool:
    """Agents read every sent file and every agent upload; a visitor reads their own
    uploads and the files of their conversations' messages that they were shown."""
    if visitor is None:
        return a.conversation_id is not None
    if a.uploader == Uploader.visitor and a.session_id == visitor.id:
        return True
    if a.message_id is None or a.conversation_id is None:
        return False
    c = await session.get(Conversation, a.conversation_id)
    if c is None or c.session_id != visitor.id:
        return False
    return await repository.visitor_visible(session, a.message_id)


async def get_readable(
    session: AsyncSession, attachment_id: int, *, visitor: VisitorSession | None = None
) -> Attachment:
    """The attachment, if this visitor (or, without one, an agent) may read it."""
    a = await session.get(Attachment, attachment_id)
    if a is None or not await readable(session, a, visitor=visitor):
        raise NotFound("No such file.")
    return a


async def discard(
    session: AsyncSession,
    attachment_id: int,
    *,
    visitor: VisitorSession | None = None,
    agent: Agent | None = None,
) -> None:
    """Remove one's own upload that was not sent (the remove button of a preview)."""
    (a,) = await claim(session, [attachment_id], visitor=visitor, agent=agent)
    await session.delete(a)
    await session.flush()
    remove_after_commit(session, [a.storage_key])


async def erase(session: AsyncSession, conversation_ids: list[int], session_ids: list[str]) -> int:
    """Erasure (app/contacts/privacy.py): the files of these conversations and sessions go
    after the commit; the rows go with the conversations. How many files there were."""
    rows = await repository.of(session, conversation_ids, session_ids)
    keys = [a.storage_key for a in rows]
    remove_after_commit(session, keys)
    return sum(1 + int(a.has_thumb) for a in rows)


def archive_name(a: Attachment) -> str:
    """Where a contact export's ZIP archive puts the file."""
    return f"files/{a.id}-{a.name}"


async def export(
    session: AsyncSession,
    conversation_ids: list[int],
    session_ids: list[str],
    *,
    inline: bool = True,
) -> list[dict[str, object]]:
    """A data-subject export's files: each one's facts, and its bytes in base64
    (``content_base64``, so the JSON export is one self-contained document; ``sha256``
    checks them) or, for the ZIP archive, the ``path`` of the file inside it."""
    out: list[dict[str, object]] = []
    for a in await repository.of(session, conversation_ids, session_ids):
        entry: dict[str, object] = {
            "id": a.id,
            "conversation_id": a.conversation_id,
            "message_id": a.message_id,
            "uploader": str(a.uploader),
            "name": a.name,
            "content_type": a.content_type,
            "size": a.size,
            "sha256": a.sha256,
            "width": a.width,
            "height": a.height,
            "created_at": a.created_at.isoformat(),
        }
        path = path_of(a.storage_key)
        if not inline:
            entry["path"] = archive_name(a) if path.is_file() else None
        elif path.is_file():
            entry["content_base64"] = base64.b64encode(
                await asyncio.to_thread(path.read_bytes)
            ).decode()
        else:
            entry["content_base64"] = None
        out.append(entry)
    return out


async def write_archive(
    session: AsyncSession, conversation_ids: list[int], session_ids: list[str], zf: ZipFile
) -> None:
    """Add the files of these conversations and sessions to a contact export's archive."""
    for a in await repository.of(session, conversation_ids, session_ids):
        path = path_of(a.storage_key)
        if path.is_file():
            await asyncio.to_thread(zf.write, path, archive_name(a))


# ---- links that work without a token (transcripts) ----

LINK_HOURS = 24


def _link_signature(attachment_id: int, expires: int) -> str:
    msg = f"parley-file:{attachment_id}:{expires}".encode()
    return hmac.new(get_settings().secret().encode(), msg, hashlib.sha256).hexdigest()[:40]


def signed_link(attachment_id: int, hours: int = LINK_HOURS) -> str:
    """An absolute download link for one file that works for ``hours`` without a token
    (for a transcript that is read outside the widget or console, e.g. in an email)."""
    expires = int(utcnow().timestamp()) + hours * 3600
    sig = _link_signature(attachment_id, expires)
    base = get_settings().public_url.rstrip("/")
    return f"{base}/api/v1/files/{attachment_id}?expires={expires}&signature={sig}"


def linked_files(briefs: Sequence[object]) -> list[dict[str, object]]:
    """A message's files (its ``attachments`` copies) as transcripts and webhooks carry
    them: name, type, size and a signed link (``signed_link``)."""
    return [
        {
            "id": int(f["id"]),
            "name": str(f.get("name", "")),
            "content_type": str(f.get("content_type", "")),
            "size": int(f.get("size", 0) or 0),
            "url": signed_link(int(f["id"])),
        }
        for f in briefs
        if isinstance(f, dict) and f.get("id") is not None
    ]


def link_valid(attachment_id: int, expires: int, signature: str) -> bool:
    """Whether a signed link is genuine (constant-time) and not expired."""
    if expires < utcnow().timestamp():
        return False
    return hmac.compare_digest(_link_signature(attachment_id, expires), signature)
