"""The audit trail: events written by every transaction, and the HMAC chain they are folded into.

`audit_events` is the outbox: a transaction that changes data or decrypts PHI inserts its
events there, in the same transaction, and takes no lock. The sequencer moves them, in
batches, into `audit_logs` (the chain) through the database function `audit_seal`, which
deletes each event in the transaction that chains it: an event is always in exactly one of
the two tables. `recoveryos_app` may insert events but never chain entries.

Each chain entry's `hash` is HMAC-SHA256(key, prev_hash || every other column); `seq` counts
per org from 1, so a missing, reordered or edited row breaks the chain visibly. Neither
table has updated_at or deleted_at: rows are never changed.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, Identity, Index, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import INET
from sqlalchemy.orm import Mapped, mapped_column

from core.enums import AuditAction
from models.base import Base, IdMixin, TenantMixin, pg_enum


class _EventColumns:
    """What happened; identical in both tables so an event moves into the chain unchanged."""

    occurred_at: Mapped[datetime] = mapped_column(server_default=text("clock_timestamp()"))
    actor_user_id: Mapped[uuid.UUID | None]
    # "user", "system", "workflow:<type>" or "api_key"
    actor_type: Mapped[str]
    action: Mapped[AuditAction] = mapped_column(pg_enum(AuditAction))
    entity_type: Mapped[str]
    entity_id: Mapped[uuid.UUID | None]
    outcome: Mapped[str] = mapped_column(default="success")
    source_ip: Mapped[str | None] = mapped_column(INET)
    request_id: Mapped[str | None]
    # Names of fields touched and other non-PHI context; never field values.
    details: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=text("'{}'::jsonb"))


class AuditEvent(IdMixin, TenantMixin, _EventColumns, Base):
    """An event not chained yet. The id becomes the chain entry's id."""

    __tablename__ = "audit_events"

    # Assigned by the database: the order the sequencer chains an org's events in.
    event_no: Mapped[int] = mapped_column(BigInteger, Identity())

    __table_args__ = (Index("ix_audit_events_org_event_no", "org_id", "event_no"),)


class AuditLog(IdMixin, TenantMixin, _EventColumns, Base):
    __tablename__ = "audit_logs"

    seq: Mapped[int] = mapped_column(BigInteger)
    hmac_key_id: Mapped[str]
    prev_hash: Mapped[bytes | None]
    hash: Mapped[bytes]

    __table_args__ = (
        UniqueConstraint("org_id", "seq", name="uq_audit_logs_org_seq"),
        CheckConstraint("seq >= 1", name="seq_positive"),
        Index("ix_audit_logs_org_entity", "org_id", "entity_type", "entity_id"),
        Index("ix_audit_logs_org_actor_time", "org_id", "actor_user_id", "occurred_at"),
        Index("ix_audit_logs_org_time", "org_id", "occurred_at"),
        Index("ix_audit_logs_org_action_time", "org_id", "action", "occurred_at"),
    )
