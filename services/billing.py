"""Billing: rates, periods and proration, rent invoices issued in batches, payments, credits
and refunds. Plain functions over a tenant Session, shared by the billing activities, the API
and the seed. Money is integer cents; every posting goes through `core.ledger`.

Idempotency: every row written here has a deterministic id or key built by the `*_key` / `*_id`
functions below, backed by a unique constraint, so a retried activity writes nothing twice.
"""

from __future__ import annotations

import calendar
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Date, cast, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import audit
from core.errors import Conflict, NotFound, Rejected
from core.ledger import Journal, Line, debit_minus_credit, journal_id_for, post_journals, reverse_journal
from models.enums import (
    AdmissionStatus,
    AuditAction,
    BillingFrequency,
    EntryDirection,
    InvoiceStatus,
    LedgerAccountType,
    LineItemType,
    PaymentMethodType,
    PaymentStatus,
    RefundStatus,
)
from models.orgs import Bed, House
from models.payment_extended import RateConfig, Refund
from models.payments import Invoice, InvoiceLineItem, LedgerAccount, LedgerEntry, Payment
from models.residents import Admission

D, C = EntryDirection.DEBIT, EntryDirection.CREDIT
BILLING_NAMESPACE = uuid.UUID("0b6f3c1e-7f44-4a8e-9d0a-6c2b1f1e0b11")

# The chart of accounts billing posts to, created per org on first use (codes match the seed).
CASH, STRIPE_CLEARING, RECEIVABLE = "1000", "1010", "1100"
DEPOSITS_HELD, RESIDENT_CREDIT = "2100", "2200"
RENT_REVENUE, FEE_REVENUE = "4000", "4100"
ACCOUNTS: dict[str, tuple[str, LedgerAccountType, EntryDirection]] = {
    CASH: ("Operating cash", LedgerAccountType.ASSET, D),
    STRIPE_CLEARING: ("Stripe clearing", LedgerAccountType.ASSET, D),
    RECEIVABLE: ("Accounts receivable", LedgerAccountType.ASSET, D),
    DEPOSITS_HELD: ("Resident deposits held", LedgerAccountType.LIABILITY, C),
    RESIDENT_CREDIT: ("Resident credit balances", LedgerAccountType.LIABILITY, C),
    RENT_REVENUE: ("Rent revenue", LedgerAccountType.REVENUE, C),
    FEE_REVENUE: ("Program and testing fees", LedgerAccountType.REVENUE, C),
}
# Line types a rent run bills from rate_configs (a deposit is charged once, at admission).
RECURRING = (LineItemType.RENT, LineItemType.PROGRAM_FEE, LineItemType.DRUG_TEST_FEE)
OFFLINE_METHODS = (PaymentMethodType.CASH, PaymentMethodType.CHECK, PaymentMethodType.MONEY_ORDER)
# Biweekly cycles count from this Monday.
BIWEEKLY_ANCHOR = date(2024, 1, 1)


# --- keys ---------------------------------------------------------------------------------


def rent_invoice_key(resident_id: uuid.UUID, period_start: date) -> str:
    return f"rent:{resident_id}:{period_start.isoformat()}"


def rent_invoice_id(org_id: uuid.UUID, resident_id: uuid.UUID, period_start: date) -> uuid.UUID:
    return uuid.uuid5(BILLING_NAMESPACE, f"{org_id}:{rent_invoice_key(resident_id, period_start)}")


def invoice_number(invoice_id: uuid.UUID, period_start: date) -> str:
    return f"R{period_start:%Y%m%d}-{invoice_id.hex[:10].upper()}"


def receipt_number(payment_id: uuid.UUID) -> str:
    return f"RCPT-{payment_id.hex[:12].upper()}"


def payment_key(payment_id: uuid.UUID) -> str:
    return f"payment:{payment_id}"


def refund_key(refund_id: uuid.UUID) -> str:
    return f"refund:{refund_id}"


def charge_invoice_key(resident_id: uuid.UUID, invoice_number: str) -> str:
    """A one-off charge (fee, damages) is one invoice, named by its number."""
    return f"charge:{resident_id}:{invoice_number}"


def deposit_payment_key(resident_id: uuid.UUID) -> str:
    return f"deposit:{resident_id}"


def deposit_refund_key(deposit_id: uuid.UUID) -> str:
    return f"refund:deposit:{deposit_id}"


def dunning_action_key(invoice_id: uuid.UUID, step: int) -> str:
    return f"dunning:{invoice_id}:{step}"


def journal_key(kind: str, row_id: uuid.UUID) -> str:
    """The ledger journal of one money event: `invoice`, `payment`, `deposit`, `refund`."""
    return f"journal:{kind}:{row_id}"


# --- periods and proration ------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A billing period, both ends inclusive."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def period_containing(day: date, frequency: BillingFrequency) -> Period:
    """Monthly: the calendar month. Weekly: Monday to Sunday. Biweekly: two weeks counted
    from Monday 2024-01-01."""
    if frequency is BillingFrequency.MONTHLY:
        last = calendar.monthrange(day.year, day.month)[1]
        return Period(day.replace(day=1), day.replace(day=last))
    if frequency is BillingFrequency.WEEKLY:
        start = day - timedelta(days=day.weekday())
        return Period(start, start + timedelta(days=6))
    start = day - timedelta(days=(day - BIWEEKLY_ANCHOR).days % 14)
    return Period(start, start + timedelta(days=13))


def billed_days(period: Period, moved_in: date, moved_out: date | None) -> int:
    """Nights in a bed within the period: the move-in day counts, the move-out day does not."""
    first = max(period.start, moved_in)
    stop = (
        period.end + timedelta(days=1)
        if moved_out is None
        else min(period.end + timedelta(days=1), moved_out)
    )
    return max(0, (stop - first).days)


def prorate(amount_cents: int, days: int, period: Period) -> int:
    """`amount × days / days in the period`, rounded half up to the cent; a full period is
    exactly the rate."""
    if days >= period.days:
        return amount_cents
    num, den = amount_cents * days, period.days
    return (2 * num + den) // (2 * den)


# --- accounts -----------------------------------------------------------------------------


def ensure_accounts(session: Session) -> dict[str, uuid.UUID]:
    """The billing accounts by code, creating missing ones (concurrent callers are safe: the
    live-code unique index decides, the loser re-reads)."""
    org_id = session.info["actor"]["org_id"]
    found = _accounts(session)
    missing = [code for code in ACCOUNTS if code not in found]
    if missing:
        session.execute(
            pg_insert(LedgerAccount)
            .values(
                [
                    {
                        "id": uuid.uuid4(),
                        "org_id": org_id,
                        "code": code,
                        "name": ACCOUNTS[code][0],
                        "account_type": ACCOUNTS[code][1],
                        "normal_balance": ACCOUNTS[code][2],
                        "is_system": True,
                    }
                    for code in missing
                ]
            )
            .on_conflict_do_nothing()
        )
        found = _accounts(session)
    return found


def _accounts(session: Session) -> dict[str, uuid.UUID]:
    rows = session.execute(
        select(LedgerAccount.code, LedgerAccount.id).where(LedgerAccount.code.in_(list(ACCOUNTS)))
    ).all()
    return {r.code: r.id for r in rows}


# --- rates --------------------------------------------------------------------------------


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
class _Rate:
    id: uuid.UUID
    line_type: LineItemType
    frequency: BillingFrequency
    amount_cents: int


class RateBook:
    """Every live rate of the org in force on one day, resolved per stay: a bed's rate wins
    over its room's, a room's over its house's, per line type."""

    def __init__(self, session: Session, on: date) -> None:
        self.by_target: dict[uuid.UUID, dict[LineItemType, _Rate]] = defaultdict(dict)
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
            self.by_target[target][r.line_type] = _Rate(
                r.id, r.line_type, r.billing_frequency, r.amount_cents
            )

    def resolve(
        self, house_id: uuid.UUID, room_id: uuid.UUID | None, bed_id: uuid.UUID | None
    ) -> dict[LineItemType, _Rate]:
        out: dict[LineItemType, _Rate] = {}
        for target in (house_id, room_id, bed_id):
            if target is not None:
                out.update(self.by_target.get(target, {}))
        return out


# --- rent invoices --------------------------------------------------------------------------


@dataclass(frozen=True)
class RentBatch:
    """What one batch did: `next_after` is the cursor for the next batch (None: done)."""

    scanned: int
    issued: int
    next_after: uuid.UUID | None
    total_cents: int


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
    stay: _Stay, rates: dict[LineItemType, _Rate], as_of: date
) -> tuple[Period, list[dict[str, Any]]] | None:
    rent = rates.get(LineItemType.RENT)
    if rent is None and stay.agreed_weekly_cents > 0:
        # No rate configured for the bed, room or house: the admission's agreed weekly rate.
        rent = _Rate(
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


def resident_credits(
    session: Session, resident_ids: Sequence[uuid.UUID], acct: dict[str, uuid.UUID]
) -> dict[uuid.UUID, int]:
    """Credit each resident holds from overpayments (credit-normal liability)."""
    if not resident_ids:
        return {}
    rows = session.execute(
        select(LedgerEntry.resident_id, (-debit_minus_credit()).label("credit"))
        .where(
            LedgerEntry.account_id == acct[RESIDENT_CREDIT], LedgerEntry.resident_id.in_(list(resident_ids))
        )
        .group_by(LedgerEntry.resident_id)
    ).all()
    return {r.resident_id: int(r.credit) for r in rows if r.credit > 0}


def invoice_outstanding(session: Session, invoice_id: uuid.UUID) -> int:
    acct = ensure_accounts(session)
    return int(
        session.scalar(
            select(debit_minus_credit()).where(
                LedgerEntry.invoice_id == invoice_id, LedgerEntry.account_id == acct[RECEIVABLE]
            )
        )
        or 0
    )


def get_invoice(session: Session, invoice_id: uuid.UUID) -> Invoice:
    inv = session.get(Invoice, invoice_id)
    if inv is None:
        raise NotFound("invoice not found", field="invoice_id")
    return inv


def issue_invoice(session: Session, invoice_id: uuid.UUID, issued_date: date) -> Invoice:
    """Draft → open; idempotent."""
    inv = get_invoice(session, invoice_id)
    if inv.status is InvoiceStatus.DRAFT:
        inv.status = InvoiceStatus.OPEN
        inv.issued_date = issued_date
    elif inv.issued_date is None:
        raise Conflict(f"invoice {inv.number} is {inv.status.value}", field="invoice_id")
    return inv


def settle_invoice(session: Session, invoice_id: uuid.UUID, paid_cents: int) -> Invoice:
    """Open → partially paid or paid, from what has been received in total; idempotent."""
    inv = get_invoice(session, invoice_id)
    if inv.status not in (InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.PAID):
        raise Conflict(f"invoice {inv.number} is {inv.status.value}", field="invoice_id")
    inv.status = InvoiceStatus.PAID if paid_cents >= inv.total_cents else InvoiceStatus.PARTIALLY_PAID
    return inv


def void_invoice(session: Session, invoice_id: uuid.UUID, at: datetime) -> Invoice:
    """Open → void; the caller reverses the invoice's journal. Idempotent."""
    inv = get_invoice(session, invoice_id)
    if inv.status is InvoiceStatus.VOID:
        return inv
    if inv.status not in (InvoiceStatus.DRAFT, InvoiceStatus.OPEN):
        raise Conflict(f"invoice {inv.number} is {inv.status.value}", field="invoice_id")
    inv.status = InvoiceStatus.VOID
    inv.voided_at = at
    return inv


def _refresh_status(session: Session, inv: Invoice) -> None:
    if inv.status in (InvoiceStatus.VOID, InvoiceStatus.UNCOLLECTIBLE, InvoiceStatus.DRAFT):
        return
    owed = invoice_outstanding(session, inv.id)
    status = (
        InvoiceStatus.PAID
        if owed <= 0
        else InvoiceStatus.OPEN
        if owed >= inv.total_cents
        else InvoiceStatus.PARTIALLY_PAID
    )
    if inv.status != status:
        inv.status = status


# --- payments -----------------------------------------------------------------------------


@dataclass(frozen=True)
class NewPayment:
    resident_id: uuid.UUID
    amount_cents: int
    method: PaymentMethodType
    invoice_id: uuid.UUID | None = None
    received_on: date | None = None
    # Check or money-order number; encrypted at rest.
    reference: str | None = None


def record_received_payment(
    session: Session,
    payment_id: uuid.UUID,
    data: NewPayment,
    *,
    recorded_by: uuid.UUID | None,
    stripe_payment_intent_id: str | None = None,
) -> Payment:
    """Money received: applied to the invoice up to what it still owes, the rest kept as the
    resident's credit (applied to the next invoice). Idempotent by payment id."""
    existing = session.get(Payment, payment_id)
    if existing is not None and existing.status is PaymentStatus.SUCCEEDED:
        return existing
    if data.amount_cents <= 0:
        raise Rejected("amount_cents must be positive", field="amount_cents")
    org_id: uuid.UUID = session.info["actor"]["org_id"]
    inv = get_invoice(session, data.invoice_id) if data.invoice_id is not None else None
    if inv is not None and inv.resident_id != data.resident_id:
        raise Rejected("the invoice belongs to another resident", field="invoice_id")
    if inv is not None and inv.status in (InvoiceStatus.VOID, InvoiceStatus.DRAFT):
        raise Rejected(f"the invoice is {inv.status.value}", field="invoice_id")
    on = data.received_on or datetime.now(UTC).date()
    offline = data.method in OFFLINE_METHODS
    if existing is None:
        payment = Payment(
            id=payment_id,
            org_id=org_id,
            resident_id=data.resident_id,
            invoice_id=data.invoice_id,
            amount_cents=data.amount_cents,
            method=data.method,
            idempotency_key=payment_key(payment_id),
            recorded_by=recorded_by,
            receipt_number=receipt_number(payment_id) if offline else None,
            stripe_payment_intent_id=stripe_payment_intent_id,
        )
        if data.reference:
            payment.reference_number = data.reference
        session.add(payment)
    else:
        payment = existing
    payment.status = PaymentStatus.SUCCEEDED
    payment.received_at = datetime.combine(on, datetime.min.time(), UTC)
    session.flush()
    acct = ensure_accounts(session)
    applied = min(max(invoice_outstanding(session, inv.id), 0), data.amount_cents) if inv is not None else 0
    excess = data.amount_cents - applied
    into = acct[CASH] if offline else acct[STRIPE_CLEARING]
    lines = [Line(into, D, data.amount_cents, data.resident_id, data.invoice_id, payment_id)]
    lines += (
        [Line(acct[RECEIVABLE], C, applied, data.resident_id, data.invoice_id, payment_id)] if applied else []
    )
    lines += [Line(acct[RESIDENT_CREDIT], C, excess, data.resident_id, None, payment_id)] if excess else []
    post_journals(
        session, org_id, [Journal(journal_id_for(payment_key(payment_id)), lines, on, "Payment received")]
    )
    if inv is not None:
        _refresh_status(session, inv)
    return payment


def get_payment(session: Session, payment_id: uuid.UUID) -> Payment:
    payment = session.get(Payment, payment_id)
    if payment is None:
        raise NotFound("payment not found", field="payment_id")
    return payment


def refunded_cents(session: Session, payment_id: uuid.UUID) -> int:
    return int(
        session.scalar(
            select(func.coalesce(func.sum(Refund.amount_cents), 0)).where(
                Refund.payment_id == payment_id,
                Refund.status != RefundStatus.FAILED,
                Refund.status != RefundStatus.CANCELLED,
            )
        )
        or 0
    )


def record_refund(
    session: Session,
    refund_id: uuid.UUID,
    payment_id: uuid.UUID,
    amount_cents: int,
    *,
    requested_by: uuid.UUID | None,
    stripe_refund_id: str | None = None,
    on: date | None = None,
) -> Refund:
    """Money returned to the payment's own method, posted as the reverse of (part of) the
    payment's journal: the resident's credit is given back first, then the invoice reopens."""
    existing = session.get(Refund, refund_id)
    if existing is not None:
        return existing
    payment = get_payment(session, payment_id)
    if payment.status not in (PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED):
        raise Rejected(f"a {payment.status.value} payment cannot be refunded", field="payment_id")
    left = payment.amount_cents - refunded_cents(session, payment_id)
    if amount_cents <= 0 or amount_cents > left:
        raise Rejected(f"amount_cents must be between 1 and {left}", field="amount_cents")
    org_id: uuid.UUID = session.info["actor"]["org_id"]
    on = on or datetime.now(UTC).date()
    refund = Refund(
        id=refund_id,
        org_id=org_id,
        payment_id=payment_id,
        resident_id=payment.resident_id,
        amount_cents=amount_cents,
        method=payment.method,
        status=RefundStatus.SUCCEEDED,
        stripe_refund_id=stripe_refund_id,
        idempotency_key=refund_key(refund_id),
        requested_by=requested_by,
        processed_at=datetime.now(UTC),
    )
    session.add(refund)
    session.flush()
    acct = ensure_accounts(session)
    paid_journal = journal_id_for(payment_key(payment_id))
    if amount_cents == payment.amount_cents:
        reverse_journal(session, org_id, paid_journal, on)
    else:
        credit = resident_credits(session, [payment.resident_id], acct).get(payment.resident_id, 0)
        from_credit = min(credit, amount_cents)
        reopen = amount_cents - from_credit
        out = acct[CASH] if payment.method in OFFLINE_METHODS else acct[STRIPE_CLEARING]
        lines = [Line(out, C, amount_cents, payment.resident_id, payment.invoice_id, payment_id)]
        lines += (
            [Line(acct[RESIDENT_CREDIT], D, from_credit, payment.resident_id, None, payment_id)]
            if from_credit
            else []
        )
        lines += (
            [Line(acct[RECEIVABLE], D, reopen, payment.resident_id, payment.invoice_id, payment_id)]
            if reopen
            else []
        )
        post_journals(
            session,
            org_id,
            [
                Journal(
                    journal_id_for(refund_key(refund_id)),
                    lines,
                    on,
                    "Refund",
                    reverses_journal_id=paid_journal,
                )
            ],
        )
    total_refunded = refunded_cents(session, payment_id)
    payment.status = (
        PaymentStatus.REFUNDED if total_refunded >= payment.amount_cents else PaymentStatus.PARTIALLY_REFUNDED
    )
    if payment.invoice_id is not None:
        _refresh_status(session, get_invoice(session, payment.invoice_id))
    return refund


def settle_discharge(session: Session, resident_id: uuid.UUID, discharged_on: date) -> int:
    """Credit the nights after a discharge on every rent invoice already issued for a period
    that ends on or after the discharge day: each line keeps what the proration rule bills for
    the nights actually stayed; the difference goes against what the invoice still owes, and
    any rest becomes the resident's credit (refundable). Idempotent per invoice. Returns the
    cents credited by this call."""
    org_id: uuid.UUID = session.info["actor"]["org_id"]
    moved_in = session.scalar(
        select(cast(func.timezone("UTC", Admission.admitted_at), Date))
        .where(Admission.resident_id == resident_id, Admission.admitted_at.is_not(None))
        .order_by(Admission.admitted_at.desc())
        .limit(1)
    )
    if moved_in is None:
        raise NotFound("no stay found for this resident", field="resident_id")
    if discharged_on < moved_in:
        raise Rejected("the discharge date is before the move-in date", field="discharged_on")
    acct = ensure_accounts(session)
    invoices = session.scalars(
        select(Invoice).where(
            Invoice.resident_id == resident_id,
            Invoice.is_rent.is_(True),
            Invoice.period_end_date >= discharged_on,
            Invoice.status.not_in((InvoiceStatus.VOID, InvoiceStatus.DRAFT)),
        )
    ).all()
    credited = 0
    for inv in invoices:
        period = Period(inv.period_start_date, inv.period_end_date)
        kept_days = billed_days(period, moved_in, discharged_on)
        by_account: dict[uuid.UUID, int] = defaultdict(int)
        for line in inv.line_items:
            back = line.amount_cents - min(
                line.amount_cents, prorate(line.unit_amount_cents, kept_days, period)
            )
            if back > 0:
                revenue = RENT_REVENUE if line.line_type is LineItemType.RENT else FEE_REVENUE
                by_account[acct[revenue]] += back
        total = sum(by_account.values())
        if total == 0:
            continue
        against_invoice = min(total, max(invoice_outstanding(session, inv.id), 0))
        lines = [Line(a, D, cents, resident_id, inv.id) for a, cents in by_account.items()]
        lines += [Line(acct[RECEIVABLE], C, against_invoice, resident_id, inv.id)] if against_invoice else []
        rest = total - against_invoice
        lines += [Line(acct[RESIDENT_CREDIT], C, rest, resident_id, inv.id)] if rest else []
        journal = Journal(
            journal_id_for(f"discharge:{inv.id}"), lines, discharged_on, "Unused nights credited"
        )
        if post_journals(session, org_id, [journal]):
            credited += total
        _refresh_status(session, inv)
    return credited


def trial_balance(session: Session) -> int:
    """Debits minus credits over the org's whole ledger: zero when every journal balances."""
    return int(session.scalar(select(debit_minus_credit())) or 0)


def open_invoices(session: Session, resident_id: uuid.UUID) -> list[Invoice]:
    return list(
        session.scalars(
            select(Invoice)
            .where(
                Invoice.resident_id == resident_id,
                Invoice.status.in_((InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID)),
            )
            .order_by(Invoice.period_start_date)
        ).all()
    )


def house_name(session: Session, house_id: uuid.UUID | None) -> str:
    if house_id is None:
        return ""
    return session.scalar(select(House.name).where(House.id == house_id)) or ""


# --- payment links ----------------------------------------------------------------------------

PAYMENT_LINK_TTL = timedelta(days=14)


@dataclass(frozen=True)
class PayLink:
    org_id: uuid.UUID
    invoice_id: uuid.UUID
    expires: datetime


class BadLink(Exception):
    """A payment link that was altered, or has expired (`expired` True)."""

    def __init__(self, expired: bool) -> None:
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def _link_mac(body: str) -> str:
    import base64

    from core.fieldcrypt import blind_digest

    # The blind-index key under its own purpose: a keyed HMAC-SHA256 that only the API holds.
    return base64.urlsafe_b64encode(blind_digest("payment-link.v1", body)).decode().rstrip("=")


def payment_link_token(org_id: uuid.UUID, invoice_id: uuid.UUID, now: datetime) -> str:
    body = f"{org_id.hex}.{invoice_id.hex}.{int((now + PAYMENT_LINK_TTL).timestamp())}"
    return f"{body}.{_link_mac(body)}"


def payment_link_url(base_url: str, org_id: uuid.UUID, invoice_id: uuid.UUID, now: datetime) -> str:
    """The resident's payment page for an invoice (the API serves it at /v1/billing/pay/…)."""
    return f"{base_url.rstrip('/')}/v1/billing/pay/{payment_link_token(org_id, invoice_id, now)}"


def payable_invoice(session: Session) -> uuid.UUID | None:
    """An open invoice that still owes something (the oldest), e.g. for the seed to show a link."""
    acct = ensure_accounts(session)
    return session.scalar(
        select(Invoice.id)
        .join(LedgerEntry, LedgerEntry.invoice_id == Invoice.id)
        .where(
            Invoice.status.in_((InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID)),
            Invoice.house_id.is_not(None),
            LedgerEntry.account_id == acct[RECEIVABLE],
        )
        .group_by(Invoice.id, Invoice.period_start_date, Invoice.number)
        .having(debit_minus_credit() > 0)
        .order_by(Invoice.period_start_date, Invoice.number)
        .limit(1)
    )


def read_payment_link(token: str, now: datetime) -> PayLink:
    import hmac

    parts = token.split(".")
    if len(parts) != 4:
        raise BadLink(expired=False)
    body = ".".join(parts[:3])
    if not hmac.compare_digest(_link_mac(body), parts[3]):
        raise BadLink(expired=False)
    try:
        link = PayLink(
            uuid.UUID(hex=parts[0]), uuid.UUID(hex=parts[1]), datetime.fromtimestamp(int(parts[2]), UTC)
        )
    except ValueError:
        raise BadLink(expired=False) from None
    if link.expires <= now:
        raise BadLink(expired=True)
    return link


@dataclass(frozen=True)
class PayPage:
    """What the resident's payment page shows: nothing clinical."""

    invoice_id: uuid.UUID
    number: str
    house_name: str
    period_start: date
    period_end: date
    amount_due_cents: int
    status: InvoiceStatus


def pay_page(session: Session, invoice_id: uuid.UUID) -> PayPage:
    inv = get_invoice(session, invoice_id)
    return PayPage(
        inv.id,
        inv.number,
        house_name(session, inv.house_id),
        inv.period_start_date,
        inv.period_end_date,
        max(invoice_outstanding(session, inv.id), 0),
        inv.status,
    )
