"""Idempotency keys: the same key from the same org always names the same resource."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from core.errors import Rejected
from models.integrations import IdempotencyRecord

HEADER = "Idempotency-Key"


def request_digest(body: Any) -> bytes:
    return hashlib.sha256(
        json.dumps(body, sort_keys=True, separators=(",", ":"), default=str).encode()
    ).digest()


def claim(
    session: Session, scope: str, key: str, digest: bytes, new_id: uuid.UUID, user_id: uuid.UUID | None
) -> tuple[uuid.UUID, bool]:
    """(resource id, replayed). A concurrent claim of the same key waits on the unique index
    for the first to commit, then finds its row: both callers get the same id."""
    org_id = session.info["actor"]["org_id"]
    session.execute(
        insert(IdempotencyRecord)
        .values(
            id=uuid.uuid4(),
            org_id=org_id,
            scope=scope,
            key=key,
            request_digest=digest,
            resource_id=new_id,
            created_by=user_id,
        )
        .on_conflict_do_nothing(index_elements=["org_id", "scope", "key"])
    )
    row = session.execute(
        select(IdempotencyRecord.resource_id, IdempotencyRecord.request_digest).where(
            IdempotencyRecord.org_id == org_id, IdempotencyRecord.scope == scope, IdempotencyRecord.key == key
        )
    ).one()
    if bytes(row.request_digest) != digest:
        raise Rejected(
            f"{HEADER} was already used with a different request body; use a new key", field=HEADER
        )
    return row.resource_id, row.resource_id != new_id
