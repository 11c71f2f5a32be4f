"""Payers: who shares a resident's charges (family, court program, agency...), each with a
percentage or a fixed amount per invoice; how an invoice splits among them; and who owes and
has paid what of one invoice."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from core.enums import PayerType, PaymentStatus
from core.errors import NotFound, Rejected
from models.payments import InvoicePayerAllocation, PayerConfig, Payment
from models.residents import Resident


@dataclass(frozen=True)
class NewPayer:
    """A payer of a share of one resident's charges: a percentage of each invoice, or a fixed
    amount per invoice, from `effective_from` (inclusive) to `effective_to` (exclusive)."""

    resident_id: uuid.UUID
    payer_type: PayerType
    share_percent: Decimal | None = None
    fixed_cents: int | None = None
    max_cents: int | None = None
    effective_from: date | None = None
    effective_to: date | None = None
    # Agencies (court program, treatment provider, grant, insurer) only.
    organization_name: str | None = None
    # A person's name (family) or the agency's caseworker; encrypted at rest.
    contact_name: str | None = None


INDIVIDUAL_PAYERS = (PayerType.SELF_PAY, PayerType.FAMILY)


def _overlaps(c: PayerConfig, start: date | None, end: date | None) -> bool:
    lo = max(c.effective_from_date or date.min, start or date.min)
    hi = min(c.effective_to_date or date.max, end or date.max)
    return lo < hi


def create_payer(session: Session, payer_id: uuid.UUID, data: NewPayer) -> PayerConfig:
    """Validate and store a payer config. Percentages of a resident's payers in force at the
    same time may not add up to more than 100 (422 naming `share_percent`)."""
    existing = session.get(PayerConfig, payer_id)
    if existing is not None:
        return existing
    if (data.share_percent is None) == (data.fixed_cents is None):
        raise Rejected("give exactly one of share_percent or fixed_cents", field="share_percent")
    if data.share_percent is not None and not (Decimal(0) < data.share_percent <= Decimal(100)):
        raise Rejected("share_percent must be above 0 and at most 100", field="share_percent")
    if data.fixed_cents is not None and data.fixed_cents <= 0:
        raise Rejected("fixed_cents must be positive", field="fixed_cents")
    if data.max_cents is not None and data.max_cents <= 0:
        raise Rejected("max_cents must be positive", field="max_cents")
    if data.effective_from and data.effective_to and data.effective_to <= data.effective_from:
        raise Rejected("effective_to must be after effective_from", field="effective_to")
    individual = data.payer_type in INDIVIDUAL_PAYERS
    if individual and data.organization_name:
        raise Rejected("a person's name goes in contact_name", field="organization_name")
    if not individual and not data.organization_name:
        raise Rejected("an agency payer needs its organization_name", field="organization_name")
    if session.get(Resident, data.resident_id) is None:
        raise NotFound("resident not found", field="resident_id")
    # Serialise payer changes of one resident, so two concurrent shares cannot pass together.
    session.execute(select(Resident.id).where(Resident.id == data.resident_id).with_for_update())
    if data.share_percent is not None:
        current = [
            c
            for c in _live_payers(session, [data.resident_id])
            if c.fixed_amount_cents is None and _overlaps(c, data.effective_from, data.effective_to)
        ]
        total = sum((c.split_percentage for c in current), Decimal(0)) + data.share_percent
        if total > 100:
            raise Rejected(
                f"the shares of this resident's payers would add up to {total}%, more than 100%",
                field="share_percent",
            )
    payer = PayerConfig(
        id=payer_id,
        org_id=session.info["actor"]["org_id"],
        resident_id=data.resident_id,
        payer_type=data.payer_type,
        is_individual=individual,
        organization_name=data.organization_name,
        split_percentage=data.share_percent if data.share_percent is not None else Decimal(100),
        fixed_amount_cents=data.fixed_cents,
        max_amount_cents=data.max_cents,
        effective_from_date=data.effective_from,
        effective_to_date=data.effective_to,
    )
    if data.contact_name:
        payer.contact_name = data.contact_name
    session.add(payer)
    session.flush()
    return payer


def _live(resident_ids: Sequence[uuid.UUID]) -> tuple[ColumnElement[bool], ...]:
    """The active, not deleted payer configs of these residents."""
    return (
        PayerConfig.resident_id.in_(list(resident_ids)),
        PayerConfig.is_active.is_(True),
        PayerConfig.deleted_at.is_(None),
    )


def _live_payers(session: Session, resident_ids: Sequence[uuid.UUID]) -> list[PayerConfig]:
    return list(
        session.scalars(
            select(PayerConfig)
            .where(*_live(resident_ids))
            .order_by(PayerConfig.effective_from_date.nulls_first(), PayerConfig.id)
        ).all()
    )


def payers_of(session: Session, resident_id: uuid.UUID) -> list[PayerConfig]:
    """404 for a resident the caller cannot see (another org's, another house's, or none), as
    every route with a resident in its path answers; an empty list means no payer."""
    if session.scalar(select(Resident.id).where(Resident.id == resident_id)) is None:
        raise NotFound("resident not found", field="resident_id")
    return _live_payers(session, [resident_id])


@dataclass(frozen=True)
class _Payer:
    id: uuid.UUID
    percent: Decimal
    fixed: int | None
    cap: int | None
    start: date | None
    end: date | None


class PayerBook:
    """The payer configs of a batch of residents, read in one query."""

    def __init__(self, session: Session, resident_ids: Sequence[uuid.UUID]) -> None:
        self.by_resident: dict[uuid.UUID, list[_Payer]] = defaultdict(list)
        if not resident_ids:
            return
        rows = session.execute(
            select(
                PayerConfig.resident_id,
                PayerConfig.id,
                PayerConfig.split_percentage,
                PayerConfig.fixed_amount_cents,
                PayerConfig.max_amount_cents,
                PayerConfig.effective_from_date,
                PayerConfig.effective_to_date,
            )
            .where(*_live(resident_ids))
            .order_by(PayerConfig.effective_from_date.nulls_first(), PayerConfig.id)
        ).all()
        for r in rows:
            self.by_resident[r.resident_id].append(
                _Payer(
                    r.id,
                    r.split_percentage,
                    r.fixed_amount_cents,
                    r.max_amount_cents,
                    r.effective_from_date,
                    r.effective_to_date,
                )
            )

    def split(self, resident_id: uuid.UUID, total: int, on: date) -> list[tuple[uuid.UUID | None, int]]:
        payers = [
            p
            for p in self.by_resident.get(resident_id, ())
            if (p.start is None or p.start <= on) and (p.end is None or p.end > on)
        ]
        return split_invoice(total, payers) if payers else []


def split_invoice(total: int, payers: Sequence[_Payer]) -> list[tuple[uuid.UUID | None, int]]:
    """Who owes what of `total` cents: fixed-amount payers first (in order of their start), then
    each percentage payer `floor(total × percent / 100)` of the whole invoice; each share capped
    at the payer's `max_cents` and at what is left. Whatever remains, including every cent the
    rounding down leaves, falls to the resident (payer None)."""
    left = total
    out: list[tuple[uuid.UUID | None, int]] = []
    for p in [p for p in payers if p.fixed is not None] + [p for p in payers if p.fixed is None]:
        if p.fixed is not None:
            share = p.fixed
        else:
            basis_points = int((p.percent * 100).to_integral_value(ROUND_HALF_UP))
            share = total * basis_points // 10_000
        share = min(share, left, p.cap if p.cap is not None else share)
        if share > 0:
            out.append((p.id, share))
            left -= share
    if left > 0:
        out.append((None, left))
    return out


@dataclass(frozen=True)
class Allocation:
    payer_config_id: uuid.UUID | None
    payer_type: PayerType | None
    amount_cents: int
    paid_cents: int


def allocations(session: Session, invoice_id: uuid.UUID) -> list[Allocation]:
    """Who owes what of one invoice and what each has paid (payments naming the payer)."""
    rows = session.execute(
        select(
            InvoicePayerAllocation.payer_config_id,
            PayerConfig.payer_type,
            InvoicePayerAllocation.amount_cents,
        )
        .outerjoin(PayerConfig, PayerConfig.id == InvoicePayerAllocation.payer_config_id)
        .where(InvoicePayerAllocation.invoice_id == invoice_id)
        .order_by(InvoicePayerAllocation.payer_config_id.nulls_last())
    ).all()
    if not rows:
        return []
    paid = dict(
        session.execute(
            select(Payment.payer_config_id, func.sum(Payment.amount_cents))
            .where(
                Payment.invoice_id == invoice_id,
                Payment.status.in_((PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED)),
            )
            .group_by(Payment.payer_config_id)
        ).all()
    )
    return [Allocation(r[0], r[1], r[2], int(paid.get(r[0], 0) or 0)) for r in rows]
