"""Password hashing and signed tokens for agents and visitors."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import jwt
from pwdlib import PasswordHash

from app.config import get_settings
from app.db import utcnow
from app.errors import Unauthorized

_hasher = PasswordHash.recommended()
_ALG = "HS256"


def hash_password(password: str) -> str:
    """Argon2 hash of a password."""
    return _hasher.hash(password)


def verify_password(password: str, hashed: str) -> bool:
    """Whether the password matches the hash."""
    try:
        return _hasher.verify(password, hashed)
    except Exception:
        return False


def _encode(claims: dict[str, Any], ttl: timedelta) -> str:
    now = utcnow()
    payload = {**claims, "iat": now, "exp": now + ttl}
    return jwt.encode(payload, get_settings().secret(), algorithm=_ALG)


def _decode(token: str, typ: str) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(
            token, get_settings().secret(), algorithms=[_ALG], options={"require": ["exp", "sub"]}
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("Token expired.") from exc
    except jwt.PyJWTError as exc:
        raise Unauthorized("Invalid token.") from exc
    if claims.get("typ") != typ:
        raise Unauthorized("Wrong kind of token.")
    return claims


def agent_token(agent_id: int) -> str:
    """A short-lived access token for the console."""
    return _encode(
        {"sub": str(agent_id), "typ": "agent"},
        timedelta(minutes=get_settings().agent_token_minutes),
    )


def read_agent_token(token: str) -> int:
    """The agent id in a valid agent token."""
    return int(_decode(token, "agent")["sub"])


def visitor_token(session_id: str, site_id: int) -> str:
    """A token bound to one visitor session on one site."""
    return _encode(
        {"sub": session_id, "site": site_id, "typ": "visitor"},
        timedelta(days=get_settings().visitor_token_days),
    )


def read_visitor_token(token: str) -> tuple[str, int]:
    """(session id, site id) of a valid visitor token."""
    claims = _decode(token, "visitor")
    return str(claims["sub"]), int(claims["site"])
