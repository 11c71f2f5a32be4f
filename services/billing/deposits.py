"""Security deposits: taken by staff or by card, held as a liability (never revenue), and
settled once at discharge: itemised deductions, open invoices paid from what is left, the rest
refunded to the deposit's own method or forfeited. One deposit per resident."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import audit
from core.contracts.billing import Deduction, DepositOutcome, Disposition, validate_deductions
from core.enums import AuditAction, DepositStatus, PaymentMethodType, PaymentStatus, RefundStatus
from core.errors import Conflict, NotFound, Rejected
from core.events import EventType
from models.payment_extended import Refund
from models.payments import Deposit, DepositDeduction, Invoice, LedgerEntry, Payment
from models.residents import Admission, Resident
from services.billing.accounts import (
    CASH,
    DEPOSIT_KEPT,
    DEPOSITS_HELD,
    RECEIVABLE,
    STRIPE_CLEARING,
    C,
    D,
    ensure_accounts,
    invoice_outstanding,
)
from services.billing.invoices import open_invoices, refresh_status
from services.billing.keys import (
    BILLING_NAMESPACE,
    deposit_id_for,
    deposit_payment_key,
    deposit_refund_id,
    deposit_refund_key,
    journal_key,
    payment_key,
    receipt_number,
)
from services.billing.payments import OFFLINE_METHODS, get_payment
from services.billing.refunds import complete_refund
from services.events import emit
from services.ledger import Journal, Line, debit_minus_credit, journal_id_for, post_journals


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
        refresh_status(session, inv)
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
    emit(
        session, EventType.DEPOSIT_SETTLED, deposit.id, resident_id=deposit.resident_id, status=deposit.status
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
