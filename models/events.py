"""The domain-event outbox: one row per thing that happened, written in the transaction that
made it happen (`services/events.py`), read in order by webhooks, notifications, messaging and
reports. Rows are never changed; ids and enum values only, never PHI.

`tx` is the writing transaction's id and `seq` the row's number: readers page by (tx, seq) and
only return rows of transactions older than every transaction still running, so a slow
transaction's event is never skipped by a reader that already moved past a faster one.
`resident_id` and `house_id` are the scope anchors: a house manager reads the events of their
houses and residents (the same scope policy as every table that names them).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Identity, Index, text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdMixin, TenantMixin


class DomainEvent(IdMixin, TenantMixin, Base):
    __tablename__ = "domain_events"

    tx: Mapped[int] = mapped_column(BigInteger, server_default=text("(pg_current_xact_id())::text::bigint"))
    seq: Mapped[int] = mapped_column(BigInteger, Identity())
    type: Mapped[str]
    subject_id: Mapped[uuid.UUID]
    resident_id: Mapped[uuid.UUID | None]
    house_id: Mapped[uuid.UUID | None]
    # Ids and enum values of the other things the event names; never field values.
    data: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=text("'{}'::jsonb"))
    occurred_at: Mapped[datetime] = mapped_column(server_default=text("clock_timestamp()"))

    __table_args__ = (
        Index("ix_domain_events_org_position", "org_id", "tx", "seq"),
        Index("ix_domain_events_org_subject", "org_id", "subject_id"),
    )
