"""Data-subject requests: export everything stored about a contact, and erase it.

Both follow the schema rather than a hand-kept list: every table with a foreign key to a
conversation, a visitor session, a message or a contact is exported and purged, so a
table another feature adds (attachments, CSAT, labels…) is covered without an edit here.
Beyond the database, erasure removes the bot's LangGraph checkpoints of those threads
(thread id = conversation id), files (hooks registered by the features that store them,
plus any file column under the data directory), vectors that carry the contact's
conversations in their metadata, and the embedder's in-memory copies of their texts.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import zipfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Column, Table, delete, select, update
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col
from sqlmodel import select as sm_select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.config import get_settings
from app.contacts import repository as repo
from app.contacts.links import referencing
from app.contacts.models import Contact
from app.contacts.service import payload as contact_payload
from app.conversations.models import Conversation, ConversationEvent, Message
from app.db import utcnow
from app.events.service import to_jsonable
from app.visitors.models import PageView, VisitorSession

log = logging.getLogger(__name__)

# Columns that name a stored file (relative to the data directory, or absolute inside it).
FILE_COLUMNS = ("path", "file_path", "storage_path", "storage_key", "stored_path")

FileHook = Callable[[AsyncSession, list[int], list[str]], Awaitable[int]]
_file_hooks: list[FileHook] = []


def register_file_eraser(fn: FileHook) -> None:
    """A feature that stores files for conversations removes them: fn(session, conversation
    ids, visitor session ids) → how many files it removes (called before the rows go)."""
    if fn not in _file_hooks:
        _file_hooks.append(fn)


class ErasureOut(BaseModel):
    """What an erasure removed."""

    contact_id: int
    conversations: int
    messages: int
    sessions: int
    files: int
    checkpoints: int
    vectors: int
    rows: dict[str, int]


# ---- what belongs to the contact ----


async def _scope(session: AsyncSession, c: Contact) -> tuple[list[int], list[str], list[str]]:
    """(conversation ids, session ids to delete, session ids to keep but unlink)."""
    assert c.id is not None
    convs = {x.id for x in await repo.conversations(session, c.id) if x.id is not None}
    sessions = {vs.id for vs in await repo.sessions(session, c.id)}
    if convs:
        sessions |= set(
            (
                await session.exec(
                    sm_select(Conversation.session_id).where(col(Conversation.id).in_(convs))
                )
            ).all()
        )
    keep: set[str] = set()
    if sessions:
        rows = (
            await session.exec(
                sm_select(Conversation.id, Conversation.contact_id, Conversation.session_id).where(
                    col(Conversation.session_id).in_(sessions)
                )
            )
        ).all()
        for cid, owner, sid in rows:
            # Chats of the same browser before the visitor identified are theirs too; a
            # browser someone else identified in later keeps that person's conversations.
            if owner is None or owner == c.id:
                convs.add(cid)  # type: ignore[arg-type]
            else:
                keep.add(sid)
    return sorted(convs), sorted(sessions - keep), sorted(keep)


def _rows(result: Any) -> list[dict[str, Any]]:
    return [to_jsonable(dict(r._mapping)) for r in result]


_CORE = {"conversation", "visitor_session", "contact", "message", "conversation_event", "page_view"}


async def _related(
    session: AsyncSession, targets: dict[str, list[Any]]
) -> dict[str, list[dict[str, Any]]]:
    """Rows of other tables that point at the given rows (one level), by table name."""
    out: dict[str, list[dict[str, Any]]] = {}
    for target, ids in targets.items():
        if not ids:
            continue
        for table, column in referencing(target):
            if table.name in _CORE:
                continue
            rows = _rows(await session.exec(select(table).where(column.in_(ids))))  # type: ignore[call-overload]
            if rows:
                out.setdefault(table.name, []).extend(rows)
    return out


# ---- export ----


async def export(session: AsyncSession, c: Contact, *, inline_files: bool = True) -> dict[str, Any]:
    """Everything stored about the contact, as JSON-able data (files in base64, or named
    by their path in the archive ``export_archive`` writes)."""
    assert c.id is not None
    conv_ids, delete_sessions, keep_sessions = await _scope(session, c)
    session_ids = delete_sessions + keep_sessions
    from app.crm.events import conversation_payload  # one shape for the CRM and exports
    from app.files import service as files

    conversations = []
    message_ids: list[int] = []
    for cid in conv_ids:
        conv = await session.get(Conversation, cid)
        if conv is None:
            continue
        messages = (
            await session.exec(
                sm_select(Message).where(Message.conversation_id == cid).order_by(col(Message.seq))
            )
        ).all()
        message_ids += [m.id for m in messages if m.id is not None]
        events = (
            await session.exec(
                sm_select(ConversationEvent)
                .where(ConversationEvent.conversation_id == cid)
                .order_by(col(ConversationEvent.seq))
            )
        ).all()
        conversations.append(
            {
                **to_jsonable(await conversation_payload(session, conv)),
                "messages": [to_jsonable(m.model_dump()) for m in messages],
                "events": [to_jsonable(e.model_dump()) for e in events],
            }
        )
    sessions = []
    for sid in session_ids:
        vs = await session.get(VisitorSession, sid)
        if vs is None:
            continue
        views = (
            await session.exec(
                sm_select(PageView).where(PageView.session_id == sid).order_by(col(PageView.id))
            )
        ).all()
        sessions.append(
            {
                **to_jsonable(vs.model_dump()),
                "page_views": [to_jsonable(p.model_dump()) for p in views],
            }
        )
    related = await _related(
        session,
        {
            "contact": [c.id],
            "conversation": conv_ids,
            "visitor_session": session_ids,
            "message": message_ids,
        },
    )
    return {
        "exported_at": utcnow().isoformat(),
        "contact": to_jsonable(contact_payload(c)),
        "notes": [to_jsonable(n.model_dump()) for n in await repo.notes(session, c.id)],
        "visitor_sessions": sessions,
        "conversations": conversations,
        # Attachments' metadata, CSAT answers, webhook deliveries and any other feature's
        # rows about these conversations, sessions and messages, by table.
        "related": related,
        # The files they sent and were sent, with their bytes (base64).
        "files": await files.export(session, conv_ids, session_ids, inline=inline_files),
    }


async def export_archive(session: AsyncSession, c: Contact) -> Path:
    """The export as a ZIP archive, what a person expects to open: ``contact.json`` (the
    JSON export, each file named by its ``path``) and the files themselves under
    ``files/``. A temporary file; the caller removes it once sent."""
    from app.files import service as files

    data = await export(session, c, inline_files=False)
    conv_ids, delete_sessions, keep_sessions = await _scope(session, c)
    fd, name = tempfile.mkstemp(prefix="parley-export-", suffix=".zip")
    os.close(fd)
    path = Path(name)
    try:
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("contact.json", json.dumps(data, ensure_ascii=False, indent=2))
            await files.write_archive(session, conv_ids, delete_sessions + keep_sessions, zf)
    except BaseException:
        os.unlink(name)
        raise
    return path


# ---- erasure ----


async def _purge(
    session: AsyncSession,
    table: Table,
    where: ColumnElement[bool],
    counts: dict[str, int],
    seen: tuple[str, ...] = (),
) -> None:
    """Delete the matching rows of ``table`` after every row that points at them."""
    pk = list(table.primary_key.columns)
    if len(pk) == 1:
        for child, column in referencing(table.name):
            if child.name in seen or child is table:
                continue
            await _purge(
                session,
                child,
                column.in_(select(pk[0]).where(where)),
                counts,
                (*seen, table.name),
            )
    result: Any = await session.exec(delete(table).where(where))
    if result.rowcount:
        counts[table.name] = counts.get(table.name, 0) + int(result.rowcount)


async def _files(session: AsyncSession, conv_ids: list[int], session_ids: list[str]) -> int:
    removed = 0
    for hook in list(_file_hooks):
        removed += await hook(session, conv_ids, session_ids)
    data_dir = get_settings().data_dir.resolve()
    for table, column in referencing("conversation"):
        for name in FILE_COLUMNS:
            file_col: Column[Any] | None = table.c.get(name)
            if file_col is None:
                continue
            stmt = select(file_col).where(column.in_(conv_ids))
            paths = (await session.exec(stmt)).scalars()  # type: ignore[call-overload]
            for p in paths:
                if not p:
                    continue
                path = Path(str(p))
                path = (path if path.is_absolute() else data_dir / path).resolve()
                if path.is_relative_to(data_dir) and path.is_file():
                    path.unlink()
                    removed += 1
    return removed


async def _checkpoints(conv_ids: list[int]) -> int:
    """Delete the bot's LangGraph threads (thread id = conversation id)."""
    if not conv_ids:
        return 0
    from app.bot import service as bot_service

    try:
        saver = bot_service.get_runtime().graph.checkpointer
    except (RuntimeError, AttributeError):
        saver = None
    if saver is not None:
        for cid in conv_ids:
            await saver.adelete_thread(str(cid))
        return len(conv_ids)
    settings = get_settings()
    if not settings.is_postgres and not settings.checkpoint_path.exists():
        return 0
    from graphs.support.runtime import make_checkpointer

    async with make_checkpointer(
        settings.postgres_dsn if settings.is_postgres else None,
        str(settings.checkpoint_path),
        pool_size=1,
    ) as own:
        for cid in conv_ids:
            await own.adelete_thread(str(cid))
    return len(conv_ids)


def _vectors(contact_id: int, conv_ids: list[int], texts: list[str]) -> int:
    """Remove vectors tied to these conversations or this contact, and forget the
    embedder's in-memory vectors of their texts."""
    from app.articles.index import get_store

    removed = 0
    try:
        store = get_store()
    except Exception:  # no vector store in this process: nothing indexed here
        log.warning("vector store unavailable during erasure")
        return 0
    wheres: list[dict[str, Any]] = [{"contact_id": contact_id}]
    if conv_ids:
        wheres.append({"conversation_id": {"$in": conv_ids}})
    for info in store.client.list_collections():
        collection = store.client.get_collection(getattr(info, "name", str(info)))
        for where in wheres:
            ids = collection.get(where=where, include=[])["ids"]  # type: ignore[arg-type]
            if ids:
                collection.delete(ids=ids)
                removed += len(ids)
    embedder = store.embedder
    # The embedder memoises query vectors by text (knowledge/embeddings.py): a visitor's
    # question must not outlive their erasure even in memory.
    cache = getattr(embedder, "_cache", None)
    lock = getattr(embedder, "_lock", None)
    if cache is not None and lock is not None:
        with lock:
            for t in texts:
                cache.pop(t, None)
    return removed


async def erase(session: AsyncSession, c: Contact) -> ErasureOut:
    """Erase the contact and everything of theirs (see the module docstring)."""
    assert c.id is not None
    contact_id = c.id
    conv_ids, delete_sessions, keep_sessions = await _scope(session, c)
    texts: list[str] = []
    if conv_ids:
        texts = list(
            (
                await session.exec(
                    sm_select(Message.text).where(col(Message.conversation_id).in_(conv_ids))
                )
            ).all()
        )
    files = await _files(session, conv_ids, delete_sessions)
    counts: dict[str, int] = {}
    if keep_sessions:
        await session.exec(
            update(VisitorSession)
            .where(col(VisitorSession.id).in_(keep_sessions))
            .values(contact_id=None)
        )
    table = _tables()
    if conv_ids:
        await _purge(
            session, table["conversation"], table["conversation"].c.id.in_(conv_ids), counts
        )
    if delete_sessions:
        await _purge(
            session,
            table["visitor_session"],
            table["visitor_session"].c.id.in_(delete_sessions),
            counts,
        )
    await _purge(session, table["contact"], table["contact"].c.id == contact_id, counts)
    session.expunge_all()
    await session.flush()
    checkpoints = await _checkpoints(conv_ids)
    vectors = _vectors(contact_id, conv_ids, texts)
    log.info(
        "erased contact %s: %s conversations, %s files, %s checkpoints",
        contact_id,
        len(conv_ids),
        files,
        checkpoints,
    )
    return ErasureOut(
        contact_id=contact_id,
        conversations=counts.get("conversation", 0),
        messages=counts.get("message", 0),
        sessions=counts.get("visitor_session", 0),
        files=files,
        checkpoints=checkpoints,
        vectors=vectors,
        rows=counts,
    )


def _tables() -> dict[str, Table]:
    """The schema's tables by name."""
    from sqlmodel import SQLModel

    return dict(SQLModel.metadata.tables)
