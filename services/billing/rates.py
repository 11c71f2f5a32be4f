"""Rates: a price per house, room or bed and line type over a date range, and the rate book that
resolves which rates a stay is billed on one day."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.enums import BillingFrequency, LineItemType
from core.errors import Conflict, NotFound, Rejected
from models.payment_extended import RateConfig

# Line types a rent run bills from rate_configs (a deposit is charged once, at admission).
RECURRING = (LineItemType.RENT, LineItemType.PROGRAM_FEE, LineItemType.DRUG_TEST_FEE)


@dataclass(frozen=True)
class NewRate:
    """A price for exactly one of house, room or bed from `effective_from` (inclusive) until
    `effective_to` (exclusive; None: open-ended)."""

    name: str
    amount_cents: int
    billing_frequency: BillingFrequency
    effective_from: date
    line_type: LineItemType = LineItemType.RENT
    house_id: uuid.UUID | None = None
    room_id: uuid.UUID | None = None
    bed_id: uuid.UUID | None = None
    effective_to: date | None = None


def create_rate(session: Session, rate_id: uuid.UUID, data: NewRate) -> RateConfig:
    existing = session.get(RateConfig, rate_id)
    if existing is not None:
        return existing
    if sum(x is not None for x in (data.house_id, data.room_id, data.bed_id)) != 1:
        raise Rejected("give exactly one of house_id, room_id or bed_id", field="house_id")
    if data.amount_cents < 0:
        raise Rejected("amount_cents must not be negative", field="amount_cents")
    if data.effective_to is not None and data.effective_to <= data.effective_from:
        raise Rejected("effective_to must be after effective_from", field="effective_to")
    rate = RateConfig(
        id=rate_id,
        org_id=session.info["actor"]["org_id"],
        house_id=data.house_id,
        room_id=data.room_id,
        bed_id=data.bed_id,
        name=data.name,
        line_type=data.line_type,
        billing_frequency=data.billing_frequency,
        amount_cents=data.amount_cents,
        effective_from_date=data.effective_from,
        effective_to_date=data.effective_to,
    )
    try:
        with session.begin_nested():
            session.add(rate)
            session.flush()
    except IntegrityError as exc:
        constraint = getattr(getattr(exc.orig, "diag", None), "constraint_name", "")
        if constraint in (
            "ex_rate_configs_target_period",
            "uq_rate_configs_house_open_live",
            "uq_rate_configs_bed_open_live",
        ):
            raise Conflict(
                f"a {data.line_type.value} rate for this target already covers part of these dates",
                field="effective_from",
            ) from None
        if constraint and constraint.startswith("fk_"):
            raise NotFound("the house, room or bed does not exist", field="house_id") from None
        raise
    return rate


@dataclass(frozen=True)
class Rate:
    """One rate in force, as a stay is billed on it."""

    id: uuid.UUID
    line_type: LineItemType
    frequency: BillingFrequency
    amount_cents: int


class RateBook:
    """Every live rate of the org in force on one day, resolved per stay: a bed's rate wins
    over its room's, a room's over its house's, per line type."""

    def __init__(self, session: Session, on: date) -> None:
        self.by_target: dict[uuid.UUID, dict[LineItemType, Rate]] = defaultdict(dict)
        rows = session.scalars(
            select(RateConfig).where(
                RateConfig.line_type.in_(RECURRING),
                RateConfig.effective_from_date <= on,
                or_(RateConfig.effective_to_date.is_(None), RateConfig.effective_to_date > on),
            )
        ).all()
        for r in rows:
            target = r.bed_id or r.room_id or r.house_id
            assert target is not None
            self.by_target[target][r.line_type] = Rate(r.id, r.line_type, r.billing_frequency, r.amount_cents)

    def resolve(
        self, house_id: uuid.UUID, room_id: uuid.UUID | None, bed_id: uuid.UUID | None
    ) -> dict[LineItemType, Rate]:
        out: dict[LineItemType, Rate] = {}
        for target in (house_id, room_id, bed_id):
            if target is not None:
                out.update(self.by_target.get(target, {}))
        return out
