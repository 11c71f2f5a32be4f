"""Append-only audit trail with a per-org HMAC chain.

Writers serialise per org on a transaction-scoped advisory lock, read the org's last
entry, and insert the next one; (org_id, seq) is unique, so even a writer that skipped the
lock could not fork the chain. Values of PHI never enter an entry: only table, row id and
field names.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from types import SimpleNamespace
from typing import Any

from sqlalchemy import event, insert, inspect, select, text
from sqlalchemy.orm import Session

from core.config import get_settings
from models.audit import AuditLog
from models.enums import AuditAction


def key_id(key: bytes) -> str:
    # Derived from the key itself, so the id in each entry names its key without a registry.
    return "audit-" + hashlib.sha256(key).hexdigest()[:12]


@lru_cache(maxsize=1)
def _key() -> tuple[str, bytes]:
    key = get_settings().audit_key()
    return key_id(key), key


@lru_cache(maxsize=1)
def _verification_keys() -> dict[str, bytes]:
    s = get_settings()
    return {key_id(k): k for k in [*s.audit_previous_keys(), s.audit_key()]}


def reset_key_cache() -> None:
    _key.cache_clear()
    _verification_keys.cache_clear()


def canonical(entry: dict[str, Any]) -> bytes:
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), default=str).encode()


def entry_fields(row: Any) -> dict[str, Any]:
    """The fields the HMAC covers, rebuilt identically from a fresh insert or a stored row."""
    ip = row.source_ip
    return {
        "org_id": str(row.org_id),
        "seq": int(row.seq),
        "occurred_at": row.occurred_at.astimezone(UTC).isoformat(),
        "actor_user_id": str(row.actor_user_id) if row.actor_user_id else None,
        "actor_type": row.actor_type,
        "action": row.action.value if hasattr(row.action, "value") else row.action,
        "entity_type": row.entity_type,
        "entity_id": str(row.entity_id) if row.entity_id else None,
        "outcome": row.outcome,
        "source_ip": str(ipaddress.ip_address(str(ip).split("/")[0])) if ip else None,
        "request_id": row.request_id,
        "details": row.details or {},
    }


def chain_hash(key: bytes, prev_hash: bytes | None, fields: dict[str, Any]) -> bytes:
    return hmac.new(key, (prev_hash or b"\x00" * 32) + canonical(fields), hashlib.sha256).digest()


@dataclass
class _Pending:
    action: AuditAction
    entity_type: str
    entity_id: uuid.UUID | None
    details: dict[str, Any]
    outcome: str = "success"


def record(
    session: Session,
    action: AuditAction,
    entity_type: str,
    entity_id: uuid.UUID | None = None,
    details: dict[str, Any] | None = None,
    outcome: str = "success",
) -> None:
    """Append entries now, inside the caller's transaction, so they commit or roll back with it."""
    _append(session, [_Pending(action, entity_type, entity_id, details or {}, outcome)])


def _append(session: Session, pending: list[_Pending]) -> None:
    if not pending:
        return
    actor = session.info["actor"]
    org_id: uuid.UUID = actor["org_id"]
    kid, key = _key()
    session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": f"audit-chain:{org_id}"}
    )
    last = session.execute(
        select(AuditLog.seq, AuditLog.hash)
        .where(AuditLog.org_id == org_id)
        .order_by(AuditLog.seq.desc())
        .limit(1)
    ).first()
    seq, prev = (last.seq, last.hash) if last else (0, None)
    ip = actor.get("source_ip")
    process = actor.get("process")
    rows = []
    for p in pending:
        seq += 1
        row = {
            "id": uuid.uuid4(),
            "org_id": org_id,
            "seq": seq,
            # Microsecond precision round-trips exactly through timestamptz.
            "occurred_at": datetime.now(UTC),
            "actor_user_id": actor.get("user_id"),
            "actor_type": actor.get("actor_type", "user"),
            "action": p.action,
            "entity_type": p.entity_type,
            "entity_id": p.entity_id,
            "outcome": p.outcome,
            "source_ip": str(ipaddress.ip_address(ip)) if ip else None,
            "request_id": actor.get("request_id"),
            "details": {**p.details, "process": process} if process else p.details,
            "hmac_key_id": kid,
        }
        h = chain_hash(key, prev, entry_fields(SimpleNamespace(**row)))
        row["prev_hash"], row["hash"] = prev, h
        prev = h
        rows.append(row)
    session.execute(insert(AuditLog), rows)


# --- automatic write and read auditing for tenant sessions --------------------------------

_SKIP_TABLES = {"audit_logs", "user_sessions"}


def _changed_fields(obj: Any) -> list[str]:
    state = inspect(obj)
    names = []
    for attr in state.mapper.column_attrs:
        if state.attrs[attr.key].history.has_changes():
            col = attr.columns[0].name
            names.append(col)
    return sorted(set(names) - {"updated_at", "updated_by", "created_at", "created_by"})


@event.listens_for(Session, "after_flush")
def _queue_writes(session: Session, _ctx: Any) -> None:
    if "actor" not in session.info:
        return
    queue: list[_Pending] = session.info.setdefault("audit_queue", [])
    for obj, action in (
        *((o, AuditAction.CREATE) for o in session.new),
        *((o, AuditAction.UPDATE) for o in session.dirty),
        *((o, AuditAction.DELETE) for o in session.deleted),
    ):
        table = getattr(obj, "__tablename__", None)
        if table is None or table in _SKIP_TABLES:
            continue
        fields = _changed_fields(obj) if action is not AuditAction.DELETE else []
        if action is AuditAction.UPDATE and not fields:
            continue
        if action is AuditAction.UPDATE and "deleted_at" in fields and getattr(obj, "deleted_at", None):
            action = AuditAction.DELETE
        queue.append(_Pending(action, table, getattr(obj, "id", None), {"fields": fields}))


def write_audit_trail(session: Session) -> None:
    """Called by tenant_session just before commit: the writes it made, then the PHI it decrypted."""
    session.flush()
    pending: list[_Pending] = session.info.pop("audit_queue", [])
    reads: dict[tuple[str, uuid.UUID], set[str]] = session.info.pop("phi_reads", {})
    written = {(p.entity_type, p.entity_id) for p in pending}
    for (table, row_id), fields in sorted(reads.items(), key=lambda kv: (kv[0][0], str(kv[0][1]))):
        if (table, row_id) in written:
            continue  # reading back what this transaction wrote is not a disclosure
        pending.append(_Pending(AuditAction.READ, table, row_id, {"fields": sorted(fields)}))
    _append(session, pending)


# --- verification ------------------------------------------------------------------------


@dataclass
class ChainReport:
    org_id: uuid.UUID
    entries: int
    broken_seq: int | None = None
    broken_id: uuid.UUID | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.broken_seq is None


def verify_org(session: Session, org_id: uuid.UUID, batch: int = 5000) -> ChainReport:
    keys = _verification_keys()
    expected_seq, prev = 1, None
    count = 0
    last_seq = 0
    while True:
        rows = session.execute(
            select(AuditLog)
            .where(AuditLog.org_id == org_id, AuditLog.seq > last_seq)
            .order_by(AuditLog.seq)
            .limit(batch)
        ).scalars()
        got = False
        for row in rows:
            got = True
            count += 1
            last_seq = row.seq
            reason = None
            if row.seq != expected_seq:
                reason = f"sequence gap: expected {expected_seq}, found {row.seq}"
            elif row.hmac_key_id not in keys:
                reason = f"signed with unknown key {row.hmac_key_id}"
            elif (row.prev_hash or None) != prev:
                reason = "prev_hash does not match the previous entry"
            elif not hmac.compare_digest(
                bytes(row.hash), chain_hash(keys[row.hmac_key_id], prev, entry_fields(row))
            ):
                reason = "HMAC mismatch: the entry was altered"
            if reason:
                return ChainReport(org_id, count, row.seq, row.id, reason)
            prev = bytes(row.hash)
            expected_seq += 1
        session.expunge_all()
        if not got:
            return ChainReport(org_id, count)
