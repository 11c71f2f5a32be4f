"""The rent run's batches: which residents are billed for which period on which rates, and the
invoices, line items, payer splits and journals (with credit carried from overpayments) one
batch writes in one transaction.

Every invoice has a deterministic id and key (`keys.rent_invoice_id`), so re-running a batch
writes nothing twice.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Date, cast, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from core import audit
from core.contracts.billing import RentBatch
from core.enums import AdmissionStatus, AuditAction, BillingFrequency, InvoiceStatus, LineItemType
from core.events import EventType
from models.orgs import Bed
from models.payments import Invoice, InvoiceLineItem, InvoicePayerAllocation
from models.residents import Admission
from services.billing.accounts import (
    FEE_REVENUE,
    RECEIVABLE,
    RENT_REVENUE,
    RESIDENT_CREDIT,
    C,
    D,
    ensure_accounts,
    resident_credits,
)
from services.billing.keys import invoice_number, rent_invoice_id, rent_invoice_key
from services.billing.payers import PayerBook
from services.billing.periods import Period, billed_days, period_containing, prorate
from services.billing.rates import RECURRING, Rate, RateBook
from services.events import Subject, emit_many
from services.ledger import Journal, Line, journal_id_for, post_journals


@dataclass(frozen=True)
class _Stay:
    resident_id: uuid.UUID
    house_id: uuid.UUID
    room_id: uuid.UUID | None
    bed_id: uuid.UUID | None
    moved_in: date
    moved_out: date | None
    agreed_weekly_cents: int
    agreed_rate_id: uuid.UUID | None


def _stays(session: Session, as_of: date, after: uuid.UUID | None, limit: int) -> list[_Stay]:
    """Each resident's latest stay that began by `as_of` and had not ended 31 days before it,
    ordered by resident id after the cursor. (The period filter proper is applied per rate
    frequency in Python; the SQL bound just keeps the scan to current residents.)"""
    admitted = cast(func.timezone("UTC", Admission.admitted_at), Date)
    ended = cast(func.timezone("UTC", Admission.ended_at), Date)
    q = (
        select(
            Admission.resident_id,
            Admission.house_id,
            Bed.room_id,
            Admission.bed_id,
            admitted.label("moved_in"),
            ended.label("moved_out"),
            Admission.weekly_rate_cents,
            Admission.rate_config_id,
        )
        .ext(distinct_on(Admission.resident_id))
        .outerjoin(Bed, Bed.id == Admission.bed_id)
        .where(
            Admission.status.in_((AdmissionStatus.ACTIVE, AdmissionStatus.COMPLETED)),
            Admission.admitted_at.is_not(None),
            admitted <= as_of,
            or_(Admission.ended_at.is_(None), ended > as_of - timedelta(days=31)),
        )
        .order_by(Admission.resident_id, Admission.admitted_at.desc())
        .limit(limit)
    )
    if after is not None:
        q = q.where(Admission.resident_id > after)
    return [_Stay(*row) for row in session.execute(q).all()]


def _lines_for(
    stay: _Stay, rates: dict[LineItemType, Rate], as_of: date
) -> tuple[Period, list[dict[str, Any]]] | None:
    rent = rates.get(LineItemType.RENT)
    if rent is None and stay.agreed_weekly_cents > 0:
        # No rate configured for the bed, room or house: the admission's agreed weekly rate.
        rent = Rate(
            stay.agreed_rate_id or uuid.UUID(int=0),
            LineItemType.RENT,
            BillingFrequency.WEEKLY,
            stay.agreed_weekly_cents,
        )
    if rent is None:
        return None
    period = period_containing(as_of, rent.frequency)
    days = billed_days(period, stay.moved_in, stay.moved_out)
    if days == 0:
        return None
    lines = []
    for rate in [
        rent,
        *(rates[t] for t in RECURRING[1:] if t in rates and rates[t].frequency is rent.frequency),
    ]:
        amount = prorate(rate.amount_cents, days, period)
        if amount == 0:
            continue
        quantity = (Decimal(days) / Decimal(period.days)).quantize(Decimal("0.001"), ROUND_HALF_UP)
        lines.append(
            {
                "line_type": rate.line_type,
                "rate_config_id": rate.id if rate.id.int else None,
                "quantity": min(quantity, Decimal(1)),
                "unit_amount_cents": rate.amount_cents,
                "amount_cents": amount,
            }
        )
    return (period, lines) if lines else None


def issue_rent_batch(session: Session, as_of: date, after: uuid.UUID | None, limit: int) -> RentBatch:
    """Issue the rent invoice of the period containing `as_of` for up to `limit` residents
    after the cursor, in one transaction: invoices, line items, the receivable-vs-revenue
    journal of each, and credit carried from overpayments. A resident whose invoice for that
    period exists is skipped (`ON CONFLICT DO NOTHING` on the invoice's deterministic key), so
    re-running a batch writes nothing. One audit entry names every invoice the batch wrote."""
    org_id: uuid.UUID = session.info["actor"]["org_id"]
    stays = _stays(session, as_of, after, limit)
    if not stays:
        return RentBatch(0, 0, None, 0)
    book = RateBook(session, as_of)
    planned: dict[uuid.UUID, tuple[_Stay, Period, list[dict[str, Any]]]] = {}
    for stay in stays:
        found = _lines_for(stay, book.resolve(stay.house_id, stay.room_id, stay.bed_id), as_of)
        if found is not None:
            period, lines = found
            planned[rent_invoice_id(org_id, stay.resident_id, period.start)] = (stay, period, lines)
    next_after = stays[-1].resident_id if len(stays) == limit else None
    if not planned:
        return RentBatch(len(stays), 0, next_after, 0)
    rows = []
    for inv_id, (stay, period, lines) in planned.items():
        total = sum(x["amount_cents"] for x in lines)
        rows.append(
            {
                "id": inv_id,
                "org_id": org_id,
                "resident_id": stay.resident_id,
                "house_id": stay.house_id,
                "number": invoice_number(inv_id, period.start),
                "status": InvoiceStatus.OPEN,
                "is_rent": True,
                "period_start_date": period.start,
                "period_end_date": period.end,
                "issued_date": as_of,
                "due_date": max(as_of, period.start),
                "subtotal_cents": total,
                "total_cents": total,
                "idempotency_key": rent_invoice_key(stay.resident_id, period.start),
            }
        )
    # Any unique key (the idempotency key, or one live rent invoice per resident and period)
    # already taken means this invoice exists: skip it.
    inserted = set(
        # Parameters as a list, not .values(rows): one statement compiled once, sent in pages.
        session.scalars(pg_insert(Invoice).on_conflict_do_nothing().returning(Invoice.id), rows).all()
    )
    if not inserted:
        return RentBatch(len(stays), 0, next_after, 0)
    session.execute(
        insert(InvoiceLineItem),
        [
            {"id": uuid.uuid4(), "org_id": org_id, "invoice_id": inv_id, "position": n, **line}
            for inv_id in inserted
            for n, line in enumerate(planned[inv_id][2])
        ],
    )
    # Payer splits: the batch's payer configs in one query, allocation rows in one statement
    # (only for residents who have payers; an invoice without rows is the resident's alone).
    payers = PayerBook(session, [planned[i][0].resident_id for i in inserted])
    if payers.by_resident:
        shares = [
            {
                "id": uuid.uuid4(),
                "org_id": org_id,
                "invoice_id": inv_id,
                "payer_config_id": payer,
                "amount_cents": cents,
            }
            for inv_id in inserted
            for payer, cents in payers.split(
                planned[inv_id][0].resident_id,
                sum(x["amount_cents"] for x in planned[inv_id][2]),
                planned[inv_id][1].start,
            )
        ]
        if shares:
            session.execute(insert(InvoicePayerAllocation), shares)
    acct = ensure_accounts(session)
    credits = resident_credits(session, [planned[i][0].resident_id for i in inserted], acct)
    journals: list[Journal] = []
    paid: list[uuid.UUID] = []
    total_cents = 0
    for inv_id in sorted(inserted):
        stay, period, lines = planned[inv_id]
        total = sum(x["amount_cents"] for x in lines)
        total_cents += total
        rent = sum(x["amount_cents"] for x in lines if x["line_type"] is LineItemType.RENT)
        fees = total - rent
        posting = [Line(acct[RECEIVABLE], D, total, stay.resident_id, inv_id)]
        posting += [Line(acct[RENT_REVENUE], C, rent, stay.resident_id, inv_id)] if rent else []
        posting += [Line(acct[FEE_REVENUE], C, fees, stay.resident_id, inv_id)] if fees else []
        journals.append(Journal(journal_id_for(f"invoice:{inv_id}"), posting, as_of, "Rent invoice issued"))
        credit = min(credits.get(stay.resident_id, 0), total)
        if credit > 0:
            credits[stay.resident_id] -= credit
            journals.append(_credit_journal(acct, stay.resident_id, inv_id, credit, as_of))
            if credit == total:
                paid.append(inv_id)
    post_journals(session, org_id, journals)
    emit_many(
        session,
        EventType.INVOICE_ISSUED,
        [
            Subject(inv_id, planned[inv_id][0].resident_id, planned[inv_id][0].house_id)
            for inv_id in sorted(inserted)
        ],
    )
    if paid:
        session.execute(update(Invoice).where(Invoice.id.in_(paid)).values(status=InvoiceStatus.PAID))
    # Bulk inserts bypass the per-row audit of ORM flushes, deliberately: the batch is audited
    # once, in the same transaction, naming every invoice and journal it wrote (line items and
    # ledger entries carry those ids), so an auditor finds each invoice's entry by its id.
    audit.record(
        session,
        AuditAction.CREATE,
        "invoices",
        None,
        {
            "rent_run": as_of.isoformat(),
            "invoice_ids": sorted(str(i) for i in inserted),
            "journal_ids": sorted(str(j.journal_id) for j in journals),
            "paid_from_credit": sorted(str(i) for i in paid),
            "rows": {
                "invoices": len(inserted),
                "invoice_line_items": sum(len(planned[i][2]) for i in inserted),
                "ledger_entries": sum(len(j.lines) for j in journals),
            },
        },
    )
    return RentBatch(len(stays), len(inserted), next_after, total_cents)


def _credit_journal(
    acct: dict[str, uuid.UUID], resident_id: uuid.UUID, inv_id: uuid.UUID, cents: int, on: date
) -> Journal:
    return Journal(
        journal_id_for(f"credit-applied:{inv_id}"),
        [
            Line(acct[RESIDENT_CREDIT], D, cents, resident_id, inv_id),
            Line(acct[RECEIVABLE], C, cents, resident_id, inv_id),
        ],
        on,
        "Resident credit applied",
    )
