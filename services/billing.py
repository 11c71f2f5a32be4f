"""Billing: rates, periods and proration, rent invoices issued in batches, payments, credits
and refunds. Plain functions over a tenant Session, shared by the billing activities, the API
and the seed. Money is integer cents; every posting goes through `services.ledger`.

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
from enum import StrEnum
from typing import Any

from sqlalchemy import Date, cast, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import audit
from core.enums import (
    AdmissionStatus,
    AuditAction,
    BillingFrequency,
    DepositStatus,
    EntryDirection,
    InvoiceStatus,
    LedgerAccountType,
    LineItemType,
    PayerType,
    PaymentMethodType,
    PaymentStatus,
    RefundStatus,
)
from core.errors import Conflict, NotFound, Rejected
from models.orgs import Bed, House
from models.payment_extended import RateConfig, Refund
from models.payments import (
    Deposit,
    DepositDeduction,
    Invoice,
    InvoiceLineItem,
    InvoicePayerAllocation,
    LedgerAccount,
    LedgerEntry,
    PayerConfig,
    Payment,
)
from models.residents import Admission, Resident
from services.ledger import Journal, Line, debit_minus_credit, journal_id_for, post_journals, reverse_journal

D, C = EntryDirection.DEBIT, EntryDirection.CREDIT
BILLING_NAMESPACE = uuid.UUID("0b6f3c1e-7f44-4a8e-9d0a-6c2b1f1e0b11")

# The chart of accounts billing posts to, created per org on first use (codes match the seed).
CASH, STRIPE_CLEARING, RECEIVABLE = "1000", "1010", "1100"
DEPOSITS_HELD, RESIDENT_CREDIT = "2100", "2200"
RENT_REVENUE, FEE_REVENUE, DEPOSIT_KEPT = "4000", "4100", "4200"
ACCOUNTS: dict[str, tuple[str, LedgerAccountType, EntryDirection]] = {
    CASH: ("Operating cash", LedgerAccountType.ASSET, D),
    STRIPE_CLEARING: ("Stripe clearing", LedgerAccountType.ASSET, D),
    RECEIVABLE: ("Accounts receivable", LedgerAccountType.ASSET, D),
    DEPOSITS_HELD: ("Resident deposits held", LedgerAccountType.LIABILITY, C),
    RESIDENT_CREDIT: ("Resident credit balances", LedgerAccountType.LIABILITY, C),
    RENT_REVENUE: ("Rent revenue", LedgerAccountType.REVENUE, C),
    FEE_REVENUE: ("Program and testing fees", LedgerAccountType.REVENUE, C),
    DEPOSIT_KEPT: ("Deposit deductions and forfeits", LedgerAccountType.REVENUE, C),
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
    # Who paid, when a payer other than the resident pays their share.
    payer_config_id: uuid.UUID | None = None


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
    if data.payer_config_id is not None:
        payer = session.get(PayerConfig, data.payer_config_id)
        if payer is None or payer.resident_id not in (None, data.resident_id):
            raise NotFound("no such payer for this resident", field="payer_config_id")
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
            payer_config_id=data.payer_config_id,
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


def open_refund(
    session: Session,
    refund_id: uuid.UUID,
    payment_id: uuid.UUID,
    amount_cents: int,
    *,
    requested_by: uuid.UUID | None,
    reason: str | None = None,
) -> Refund:
    """A refund of (part of) a payment, to the payment's own method, not yet sent: pending until
    `complete_refund` posts it. What is pending already counts against what is left to refund,
    so two refunds in flight cannot together exceed the payment. Idempotent by refund id."""
    existing = session.get(Refund, refund_id)
    if existing is not None:
        return existing
    payment = session.scalars(select(Payment).where(Payment.id == payment_id).with_for_update()).first()
    if payment is None:
        raise NotFound("payment not found", field="payment_id")
    if payment.status not in (PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED):
        raise Rejected(f"a {payment.status.value} payment cannot be refunded", field="payment_id")
    if session.scalar(select(Deposit.id).where(Deposit.payment_id == payment_id)) is not None:
        raise Rejected("a deposit is returned at discharge, not refunded directly", field="payment_id")
    left = payment.amount_cents - refunded_cents(session, payment_id)
    if amount_cents <= 0 or amount_cents > left:
        raise Rejected(f"amount_cents must be between 1 and {left}", field="amount_cents")
    refund = Refund(
        id=refund_id,
        org_id=session.info["actor"]["org_id"],
        payment_id=payment_id,
        resident_id=payment.resident_id,
        amount_cents=amount_cents,
        method=payment.method,
        status=RefundStatus.PENDING,
        idempotency_key=refund_key(refund_id),
        requested_by=requested_by,
    )
    if reason:
        refund.reason = reason
    session.add(refund)
    session.flush()
    return refund


def complete_refund(
    session: Session, refund_id: uuid.UUID, *, stripe_refund_id: str | None = None, on: date | None = None
) -> Refund:
    """The money has gone back: the refund succeeds and its reversing journal posts, once."""
    refund = session.get(Refund, refund_id)
    if refund is None:
        raise NotFound("refund not found", field="refund_id")
    if refund.status is RefundStatus.SUCCEEDED:
        return refund
    if refund.status is not RefundStatus.PENDING:
        raise Conflict(f"the refund is {refund.status.value}", field="refund_id")
    on = on or datetime.now(UTC).date()
    refund.status = RefundStatus.SUCCEEDED
    refund.processed_at = datetime.now(UTC)
    if stripe_refund_id is not None:
        refund.stripe_refund_id = stripe_refund_id
    session.flush()
    payment = get_payment(session, refund.payment_id)
    org_id: uuid.UUID = session.info["actor"]["org_id"]
    acct = ensure_accounts(session)
    out = acct[CASH] if payment.method in OFFLINE_METHODS else acct[STRIPE_CLEARING]
    paid_journal = journal_id_for(payment_key(payment.id))
    if refund.deposit_id is not None:
        # The rest of a security deposit going back: the liability shrinks, cash goes out.
        lines = [
            Line(
                acct[DEPOSITS_HELD],
                D,
                refund.amount_cents,
                refund.resident_id,
                refund_id=refund.id,
                deposit_id=refund.deposit_id,
            ),
            Line(
                out,
                C,
                refund.amount_cents,
                refund.resident_id,
                None,
                payment.id,
                refund.id,
                refund.deposit_id,
            ),
        ]
        post_journals(
            session,
            org_id,
            [Journal(journal_id_for(refund_key(refund.id)), lines, on, "Security deposit returned")],
        )
    elif refund.amount_cents == payment.amount_cents:
        reverse_journal(session, org_id, paid_journal, on)
    else:
        credit = resident_credits(session, [payment.resident_id], acct).get(payment.resident_id, 0)
        from_credit = min(credit, refund.amount_cents)
        reopen = refund.amount_cents - from_credit
        lines = [Line(out, C, refund.amount_cents, payment.resident_id, payment.invoice_id, payment.id)]
        lines += (
            [Line(acct[RESIDENT_CREDIT], D, from_credit, payment.resident_id, None, payment.id)]
            if from_credit
            else []
        )
        lines += (
            [Line(acct[RECEIVABLE], D, reopen, payment.resident_id, payment.invoice_id, payment.id)]
            if reopen
            else []
        )
        post_journals(
            session,
            org_id,
            [
                Journal(
                    journal_id_for(refund_key(refund.id)),
                    lines,
                    on,
                    "Refund",
                    reverses_journal_id=paid_journal,
                )
            ],
        )
    if refund.deposit_id is None:
        total_refunded = refunded_cents(session, payment.id)
        payment.status = (
            PaymentStatus.REFUNDED
            if total_refunded >= payment.amount_cents
            else PaymentStatus.PARTIALLY_REFUNDED
        )
        if payment.invoice_id is not None:
            _refresh_status(session, get_invoice(session, payment.invoice_id))
    return refund


def fail_refund(session: Session, refund_id: uuid.UUID, code: str) -> Refund:
    """Stripe refused: nothing was posted; the amount is refundable again."""
    refund = session.get(Refund, refund_id)
    if refund is None:
        raise NotFound("refund not found", field="refund_id")
    if refund.status is RefundStatus.PENDING:
        refund.status = RefundStatus.FAILED
        refund.failure_code = code[:100]
    return refund


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
    """Money returned to the payment's own method at once (cash, check, money order), posted as
    the reverse of (part of) the payment's journal: the resident's credit is given back first,
    then the invoice reopens. Card refunds go through Stripe first (`CardRefundWorkflow`)."""
    existing = session.get(Refund, refund_id)
    if existing is not None:
        return existing
    open_refund(session, refund_id, payment_id, amount_cents, requested_by=requested_by)
    return complete_refund(session, refund_id, stripe_refund_id=stripe_refund_id, on=on)


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


# --- security deposits ----------------------------------------------------------------------


def deposit_id_for(org_id: uuid.UUID, resident_id: uuid.UUID) -> uuid.UUID:
    """One deposit per resident: its id is derived from `deposit_payment_key`."""
    return uuid.uuid5(BILLING_NAMESPACE, f"{org_id}:{deposit_payment_key(resident_id)}")


def deposit_refund_id(deposit_id: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(BILLING_NAMESPACE, deposit_refund_key(deposit_id))


def collect_deposit(
    session: Session,
    payment_id: uuid.UUID,
    resident_id: uuid.UUID,
    amount_cents: int,
    method: PaymentMethodType,
    *,
    recorded_by: uuid.UUID | None,
    received_on: date | None = None,
    reference: str | None = None,
) -> Deposit:
    """A security deposit taken by staff (cash, check, money order): the payment and the
    deposit, posted cash against the deposits-held LIABILITY, never revenue. Idempotent by
    payment id; a second, different deposit for the same resident is a Conflict."""
    if amount_cents <= 0:
        raise Rejected("amount_cents must be positive", field="amount_cents")
    if method not in OFFLINE_METHODS:
        raise Rejected("staff record cash, check or money order; cards go through Stripe", field="method")
    org_id: uuid.UUID = session.info["actor"]["org_id"]
    if session.get(Resident, resident_id) is None:
        raise NotFound("resident not found", field="resident_id")
    held = session.get(Deposit, deposit_id_for(org_id, resident_id))
    if held is not None:
        if held.payment_id == payment_id:
            return held
        raise Conflict("a deposit was already taken for this resident", field="resident_id")
    payment = Payment(
        id=payment_id,
        org_id=org_id,
        resident_id=resident_id,
        amount_cents=amount_cents,
        method=method,
        status=PaymentStatus.PENDING,
        idempotency_key=deposit_payment_key(resident_id),
        recorded_by=recorded_by,
        receipt_number=receipt_number(payment_id),
    )
    if reference:
        payment.reference_number = reference
    session.add(payment)
    session.flush()
    return hold_deposit(session, payment, received_on or datetime.now(UTC).date())


def open_card_deposit(
    session: Session, payment_id: uuid.UUID, resident_id: uuid.UUID, amount_cents: int
) -> Payment:
    """The pending payment row of a card deposit, before any PaymentIntent exists. At most one
    card deposit per resident is pending, processing or taken (`uq_payments_deposit_resident_id`),
    so of two attempts made at once only one ever reaches Stripe. Idempotent by payment id."""
    payment = session.get(Payment, payment_id)
    if payment is not None:
        return payment
    if session.get(Resident, resident_id) is None:
        raise NotFound("resident not found", field="deposit_resident_id")
    if held_deposit(session, resident_id) is not None:
        raise Conflict("a deposit was already taken for this resident", field="deposit_resident_id")
    payment = Payment(
        id=payment_id,
        org_id=session.info["actor"]["org_id"],
        resident_id=resident_id,
        invoice_id=None,
        amount_cents=amount_cents,
        method=PaymentMethodType.CARD,
        status=PaymentStatus.PENDING,
        idempotency_key=payment_key(payment_id),
    )
    try:
        with session.begin_nested():
            session.add(payment)
    except IntegrityError:
        raise Conflict(
            "a card deposit for this resident is already being taken", field="deposit_resident_id"
        ) from None
    return payment


def hold_deposit(session: Session, payment: Payment, on: date) -> Deposit:
    """A deposit payment has succeeded: the deposit is held and posted (cash or Stripe clearing
    against deposits held). Idempotent."""
    org_id: uuid.UUID = session.info["actor"]["org_id"]
    deposit_id = deposit_id_for(org_id, payment.resident_id)
    deposit = session.get(Deposit, deposit_id)
    if deposit is None:
        payment.status = PaymentStatus.SUCCEEDED
        payment.received_at = datetime.combine(on, datetime.min.time(), UTC)
        admission_id = session.scalar(
            select(Admission.id)
            .where(Admission.resident_id == payment.resident_id)
            .order_by(Admission.created_at.desc())
            .limit(1)
        )
        deposit = Deposit(
            id=deposit_id,
            org_id=org_id,
            resident_id=payment.resident_id,
            admission_id=admission_id,
            payment_id=payment.id,
            amount_cents=payment.amount_cents,
            status=DepositStatus.HELD,
            received_date=on,
        )
        session.add(deposit)
        session.flush()
    acct = ensure_accounts(session)
    into = acct[CASH] if payment.method in OFFLINE_METHODS else acct[STRIPE_CLEARING]
    rid, amount = payment.resident_id, deposit.amount_cents
    post_journals(
        session,
        org_id,
        [
            Journal(
                journal_id_for(journal_key("deposit", deposit.id)),
                [
                    Line(into, D, amount, rid, payment_id=payment.id, deposit_id=deposit.id),
                    Line(acct[DEPOSITS_HELD], C, amount, rid, payment_id=payment.id, deposit_id=deposit.id),
                ],
                deposit.received_date,
                "Security deposit received",
            )
        ],
    )
    return deposit


def held_deposit(session: Session, resident_id: uuid.UUID) -> Deposit | None:
    org_id: uuid.UUID = session.info["actor"]["org_id"]
    return session.get(Deposit, deposit_id_for(org_id, resident_id))


def deposit_held_cents(session: Session, deposit_id: uuid.UUID) -> int:
    """What the ledger still holds of one deposit (credit-normal liability)."""
    acct = ensure_accounts(session)
    return -int(
        session.scalar(
            select(debit_minus_credit()).where(
                LedgerEntry.deposit_id == deposit_id, LedgerEntry.account_id == acct[DEPOSITS_HELD]
            )
        )
        or 0
    )


DEDUCTION_CATEGORIES = ("damage", "cleaning", "fees", "other")


class Disposition(StrEnum):
    """What happens to what is left of a deposit after the deductions."""

    REFUND = "refund"
    FORFEIT = "forfeit"


@dataclass(frozen=True)
class Deduction:
    """One itemised deduction staff claim from a deposit (damage, cleaning...)."""

    category: str
    amount_cents: int
    # Free text for the itemised statement; encrypted at rest.
    reason: str | None = None


@dataclass(frozen=True)
class DepositOutcome:
    deposit_id: uuid.UUID
    status: DepositStatus
    amount_cents: int
    deducted_cents: int
    unpaid_rent_cents: int
    refund_cents: int
    forfeited_cents: int
    refund_id: uuid.UUID | None = None
    # True while a card or ACH refund still has to go back through Stripe.
    refund_pending: bool = False


def validate_deductions(deductions: Sequence[Deduction]) -> None:
    for n, d in enumerate(deductions):
        if d.category not in DEDUCTION_CATEGORIES:
            raise Rejected(
                f"category must be one of {', '.join(DEDUCTION_CATEGORIES)}", field=f"deductions.{n}.category"
            )
        if d.amount_cents <= 0:
            raise Rejected("amount_cents must be positive", field=f"deductions.{n}.amount_cents")


def settle_deposit(
    session: Session,
    deposit_id: uuid.UUID,
    deductions: Sequence[Deduction],
    disposition: Disposition,
    on: date,
    *,
    apply_to_open_invoices: bool = True,
    forfeit_reason: str | None = None,
    decided_by: uuid.UUID | None = None,
) -> DepositOutcome:
    """Settle a held deposit at discharge, exactly once:

    1. each itemised deduction (damage, cleaning...) is kept: deposits held → deduction revenue;
    2. then, if asked, what the resident's open invoices still owe is paid from what is left,
       oldest first: deposits held → receivable, one deduction per invoice (`unpaid_rent`);
    3. the rest is refunded to the deposit's own method (cash/check/money order: recorded as
       paid out now; card/ACH: a pending refund the caller sends through Stripe), or forfeited
       (deposits held → deduction revenue, with the reason).

    Each step is its own balanced journal with a deterministic key. Deductions larger than the
    deposit are refused naming `deductions`. A deposit already settled returns its outcome."""
    validate_deductions(deductions)
    deposit = session.scalars(select(Deposit).where(Deposit.id == deposit_id).with_for_update()).first()
    if deposit is None:
        raise NotFound("no deposit held for this resident", field="resident_id")
    if deposit.status is not DepositStatus.HELD:
        return deposit_outcome(session, deposit)
    if disposition is Disposition.FORFEIT and not forfeit_reason:
        raise Rejected("a forfeited deposit needs a reason", field="forfeit_reason")
    claimed = sum(d.amount_cents for d in deductions)
    if claimed > deposit.amount_cents:
        raise Rejected(
            f"deductions total {claimed} cents, more than the {deposit.amount_cents} cents deposit",
            field="deductions",
        )
    # A deposit recorded after a backdated discharge settles on the day it was received.
    on = max(on, deposit.received_date)
    org_id: uuid.UUID = session.info["actor"]["org_id"]
    acct = ensure_accounts(session)
    rid = deposit.resident_id
    left = deposit.amount_cents
    rows: list[DepositDeduction] = []
    journals: list[Journal] = []
    touched: list[Invoice] = []

    def deduct(
        category: str, cents: int, reason: str | None, credit_account: uuid.UUID, invoice_id: uuid.UUID | None
    ) -> None:
        position = len(rows) + 1
        row = DepositDeduction(
            id=uuid.uuid5(BILLING_NAMESPACE, f"deduction:{deposit.id}:{position}"),
            org_id=org_id,
            deposit_id=deposit.id,
            position=position,
            category=category,
            amount_cents=cents,
            invoice_id=invoice_id,
            created_by=decided_by,
        )
        if reason:
            row.reason = reason
        rows.append(row)
        journals.append(
            Journal(
                journal_id_for(f"deposit-deduction:{deposit.id}:{position}"),
                [
                    Line(acct[DEPOSITS_HELD], D, cents, rid, invoice_id, deposit_id=deposit.id),
                    Line(credit_account, C, cents, rid, invoice_id, deposit_id=deposit.id),
                ],
                on,
                f"Deposit deduction: {category}",
            )
        )

    for d in deductions:
        deduct(d.category, d.amount_cents, d.reason, acct[DEPOSIT_KEPT], None)
        left -= d.amount_cents
    unpaid = 0
    if apply_to_open_invoices:
        for inv in open_invoices(session, rid):
            owed = max(invoice_outstanding(session, inv.id), 0)
            cents = min(owed, left)
            if cents <= 0:
                continue
            deduct("unpaid_rent", cents, None, acct[RECEIVABLE], inv.id)
            left -= cents
            unpaid += cents
            touched.append(inv)
            deposit.applied_invoice_id = inv.id
    session.add_all(rows)
    session.flush()
    post_journals(session, org_id, journals)
    for inv in touched:
        _refresh_status(session, inv)
    refund_id: uuid.UUID | None = None
    pending = False
    if disposition is Disposition.FORFEIT:
        if left > 0:
            post_journals(
                session,
                org_id,
                [
                    Journal(
                        journal_id_for(f"deposit-forfeit:{deposit.id}"),
                        [
                            Line(acct[DEPOSITS_HELD], D, left, rid, deposit_id=deposit.id),
                            Line(acct[DEPOSIT_KEPT], C, left, rid, deposit_id=deposit.id),
                        ],
                        on,
                        "Security deposit forfeited",
                    )
                ],
            )
        deposit.status = DepositStatus.FORFEITED
        deposit.forfeited_date = on
        deposit.forfeiture_reason = forfeit_reason
    elif left > 0:
        if deposit.payment_id is None:
            raise Rejected("this deposit has no payment to refund to", field="disposition")
        payment = get_payment(session, deposit.payment_id)
        refund_id = deposit_refund_id(deposit.id)
        session.add(
            Refund(
                id=refund_id,
                org_id=org_id,
                payment_id=payment.id,
                resident_id=rid,
                deposit_id=deposit.id,
                amount_cents=left,
                method=payment.method,
                status=RefundStatus.PENDING,
                idempotency_key=deposit_refund_key(deposit.id),
                requested_by=decided_by,
            )
        )
        session.flush()
        if payment.method in OFFLINE_METHODS:
            complete_refund(session, refund_id, on=on)
        else:
            pending = True
        deposit.status = DepositStatus.REFUNDED
        deposit.refunded_date = on
    else:
        deposit.status = DepositStatus.APPLIED
        deposit.applied_date = on
    audit.record(
        session,
        AuditAction.UPDATE,
        "deposits",
        deposit.id,
        {"settled": deposit.status.value, "deductions": len(rows), "refund_cents": left if refund_id else 0},
    )
    outcome = deposit_outcome(session, deposit)
    return DepositOutcome(**{**outcome.__dict__, "refund_pending": pending})


def deposit_outcome(session: Session, deposit: Deposit) -> DepositOutcome:
    rows = session.scalars(select(DepositDeduction).where(DepositDeduction.deposit_id == deposit.id)).all()
    unpaid = sum(r.amount_cents for r in rows if r.category == "unpaid_rent")
    deducted = sum(r.amount_cents for r in rows) - unpaid
    refund = session.scalars(select(Refund).where(Refund.deposit_id == deposit.id)).first()
    refunded = refund.amount_cents if refund is not None else 0
    forfeited = deposit.amount_cents - deducted - unpaid if deposit.status is DepositStatus.FORFEITED else 0
    return DepositOutcome(
        deposit.id,
        deposit.status,
        deposit.amount_cents,
        deducted,
        unpaid,
        refunded,
        forfeited,
        refund.id if refund is not None else None,
        refund is not None and refund.status is RefundStatus.PENDING,
    )


def deposit_deductions(session: Session, deposit_id: uuid.UUID) -> list[DepositDeduction]:
    return list(
        session.scalars(
            select(DepositDeduction)
            .where(DepositDeduction.deposit_id == deposit_id)
            .order_by(DepositDeduction.position)
        ).all()
    )


# --- payers -------------------------------------------------------------------------------


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


def _live_payers(session: Session, resident_ids: Sequence[uuid.UUID]) -> list[PayerConfig]:
    return list(
        session.scalars(
            select(PayerConfig)
            .where(
                PayerConfig.resident_id.in_(list(resident_ids)),
                PayerConfig.is_active.is_(True),
                PayerConfig.deleted_at.is_(None),
            )
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
            .where(
                PayerConfig.resident_id.in_(list(resident_ids)),
                PayerConfig.is_active.is_(True),
                PayerConfig.deleted_at.is_(None),
            )
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
