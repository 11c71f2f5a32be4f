"""The append-only audit trail. No updated_at, no deleted_at: rows are never changed.

Each row's `hash` is HMAC-SHA256(key, prev_hash || canonical fields); `seq` counts per
org from 1, so a missing, reordered or edited row breaks the chain visibly.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import INET
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdMixin, TenantMixin, pg_enum
from models.enums import AuditAction


class AuditLog(IdMixin, TenantMixin, Base):
    __tablename__ = "audit_logs"

    seq: Mapped[int] = mapped_column(BigInteger)
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
    hmac_key_id: Mapped[str]
    prev_hash: Mapped[bytes | None]
    hash: Mapped[bytes]

    __table_args__ = (
        UniqueConstraint("org_id", "seq", name="uq_audit_logs_org_seq"),
        Index("ix_audit_logs_org_entity", "org_id", "entity_type", "entity_id"),
        Index("ix_audit_logs_org_actor_time", "org_id", "actor_user_id", "occurred_at"),
        Index("ix_audit_logs_org_time", "org_id", "occurred_at"),
        Index("ix_audit_logs_org_action_time", "org_id", "action", "occurred_at"),
    )
