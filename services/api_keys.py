"""API keys for integrators' systems: org-bound, scoped to a subset of permissions, shown once,
kept only as a SHA-256 hash (plus the 8 characters that find the row), revocable.

A key looks like `rok_<8 characters>_<43 characters>`; 32 random bytes make a hash without a
salt or a slow function enough (nothing to guess). Which permissions a key may hold, and that
its creator must hold them too, is the route's rule (api/routes/api_keys.py).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.errors import NotFound
from core.permissions import Perm
from models.integrations import ApiKey

PREFIX = "rok_"
_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no look-alikes: the prefix is read aloud


def key_digest(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


def split(key: str) -> tuple[str, bytes] | None:
    """(row prefix, hash) of something shaped like a key, else None."""
    if not key.startswith(PREFIX) or len(key) != len(PREFIX) + 8 + 1 + 43 or key[len(PREFIX) + 8] != "_":
        return None
    return key[len(PREFIX) : len(PREFIX) + 8], key_digest(key)


def create(
    session: Session,
    name: str,
    scopes: Sequence[Perm],
    expires_at: datetime | None,
    rate_limit_per_minute: int,
    user_id: uuid.UUID | None,
) -> tuple[ApiKey, str]:
    """A new key and its value, readable this once."""
    prefix = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    key = f"{PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    row = ApiKey(
        id=uuid.uuid4(),
        org_id=session.info["actor"]["org_id"],
        name=name,
        key_prefix=prefix,
        key_hash=key_digest(key),
        scopes=sorted(p.value for p in scopes),
        expires_at=expires_at,
        rate_limit_per_minute=rate_limit_per_minute,
        created_by=user_id,
        updated_by=user_id,
    )
    session.add(row)
    session.flush()
    return row, key


def get(session: Session, key_id: uuid.UUID) -> ApiKey:
    row = session.get(ApiKey, key_id)
    if row is None or row.deleted_at is not None:
        raise NotFound(f"API key {key_id} not found", field="api_key_id")
    return row


def listing(session: Session) -> list[ApiKey]:
    live = select(ApiKey).where(ApiKey.deleted_at.is_(None))
    return list(session.scalars(live.order_by(ApiKey.created_at, ApiKey.id)))


def is_live(session: Session, key_id: uuid.UUID) -> bool:
    """Not deleted, revoked or expired: what `auth_api_key` accepts."""
    found = session.scalar(
        select(ApiKey.id).where(
            ApiKey.id == key_id,
            ApiKey.deleted_at.is_(None),
            ApiKey.revoked_at.is_(None),
            (ApiKey.expires_at.is_(None)) | (ApiKey.expires_at > func.now()),
        )
    )
    return found is not None


def revoke(session: Session, key_id: uuid.UUID, user_id: uuid.UUID | None) -> ApiKey:
    """From now on every call with the key is a 401. Revoking twice changes nothing."""
    row = get(session, key_id)
    if row.revoked_at is None:
        row.revoked_at = session.scalar(select(func.now()))
        row.updated_by = user_id
    return row
