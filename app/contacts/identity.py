"""Identity verification: proving that a widget visitor is a user of the site's own app.

The site's backend proves it with its identity secret (never sent to browsers), in one of
two ways (recipes in widget/README.md):

- ``signature``: hex HMAC-SHA256 of the user id, keyed with the secret (Intercom style);
- ``jwt``: an HS256 JWT signed with the secret, with ``sub`` = the user id and an ``exp``;
  its ``name``, ``email`` and ``attributes`` claims are trusted as the site's own.

A proof that fails (empty, wrong, another user's, an expired token, ``alg: none``) is
refused with 403 and changes nothing; no proof at all leaves the visitor unverified.
403, not 401: the visitor's own token is fine, the identity claim is not.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any

import jwt

from app.errors import Forbidden

# A token that outlives this is not a login session's proof any more; asking sites to
# mint short-lived tokens limits what a leaked one is worth.
MAX_JWT_LIFETIME_SECONDS = 7 * 24 * 3600
JWT_LEEWAY_SECONDS = 30


@dataclass
class VerifiedIdentity:
    """Who the site's backend vouched for, and what it said about them."""

    external_id: str
    claims: dict[str, Any] = field(default_factory=dict)
    method: str = "hmac"


def sign_user_id(secret: str, user_id: str) -> str:
    """The ``signature`` a site's backend computes for a user id (hex HMAC-SHA256)."""
    return hmac.new(secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()


def verify_signature(secret: str, user_id: str, signature: str) -> VerifiedIdentity:
    """Check an HMAC signature of the user id in constant time; raise Unauthorized if wrong."""
    if not signature.strip():
        raise Forbidden("The identity signature is empty.")
    expected = sign_user_id(secret, user_id)
    # compare_digest on bytes of equal type: constant time whatever the input.
    if not hmac.compare_digest(expected.encode(), signature.strip().lower().encode()):
        raise Forbidden("The identity signature does not match this user id.")
    return VerifiedIdentity(external_id=user_id, method="hmac")


def verify_token(secret: str, token: str, user_id: str | None) -> VerifiedIdentity:
    """Check an HS256 identity JWT (``sub``, ``exp`` required); raise Unauthorized if not valid."""
    if not token.strip():
        raise Forbidden("The identity token is empty.")
    try:
        # algorithms pins HS256: "none", RS256-with-the-secret-as-key and the like fail.
        claims: dict[str, Any] = jwt.decode(
            token.strip(),
            secret,
            algorithms=["HS256"],
            options={"require": ["exp", "sub"], "verify_aud": False},
            leeway=JWT_LEEWAY_SECONDS,
        )
    except jwt.ExpiredSignatureError as exc:
        raise Forbidden("The identity token has expired.") from exc
    except jwt.PyJWTError as exc:
        raise Forbidden(f"The identity token is not valid ({exc}).") from exc
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub.strip():
        raise Forbidden("The identity token's sub must be the user id (a string).")
    if user_id is not None and user_id != sub:
        raise Forbidden("The identity token was issued for another user id.")
    iat = claims.get("iat")
    if isinstance(iat, int | float) and claims["exp"] - iat > MAX_JWT_LIFETIME_SECONDS:
        raise Forbidden("The identity token lives too long (at most 7 days).")
    return VerifiedIdentity(external_id=sub, claims=claims, method="jwt")
