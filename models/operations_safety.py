"""House safety records beside models/operations.py: each day's random drug-test draw per house,
kept with its inputs so an auditor holding the key recomputes the same list
(core/contracts/safety.py).

A draw names residents by id only (no names, no results): who was eligible, how many tests each
already had that week, and who was drawn."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer
from sqlalchemy.orm import Mapped, mapped_column

from models.base import AuditColumnsMixin, Base, IdMixin, TenantMixin


class DrugTestDraw(IdMixin, TenantMixin, AuditColumnsMixin, Base):
    """One house's random draw for one day. Append-only: a draw is never redone."""

    __tablename__ = "drug_test_draws"

    house_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("houses.id", ondelete="RESTRICT"))
    draw_date: Mapped[date] = mapped_column(Date)
    rate_bp: Mapped[int] = mapped_column(Integer)
    weekly_cap: Mapped[int] = mapped_column(Integer)
    # Resident ids, sorted as the HMAC message lists them.
    eligible: Mapped[list[Any]]
    # {resident id: tests already counted that week} at the time of the draw.
    weekly_counts: Mapped[dict[str, Any]]
    selected: Mapped[list[Any]]
    # Which draw key (settings `drug_test_draw_key`) was used, as a fingerprint.
    key_id: Mapped[str]

    __table_args__ = (
        Index("uq_drug_test_draws_house_date", "house_id", "draw_date", unique=True),
        Index("ix_drug_test_draws_org_date", "org_id", "draw_date"),
        CheckConstraint("rate_bp BETWEEN 0 AND 10000", name="rate_range"),
        CheckConstraint("weekly_cap >= 0", name="cap_nonnegative"),
    )
