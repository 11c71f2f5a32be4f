"""Refunds: (part of) a payment given back to the payment's own method and posted as the
reverse of (part of) its journal: the resident's credit is given back first, then the invoice
reopens. Cash, check and money order refunds complete at once; a card refund stays pending
until Stripe has made it (`CardRefundWorkflow`). The rest of a security deposit goes back the
same way (`deposits.settle_deposit`)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.enums import PaymentStatus, RefundStatus
from core.errors import Conflict, NotFound, Rejected
from core.events import EventType
from models.payment_extended import Refund
from models.payments import Deposit, Payment
from services.billing.accounts import (
    CASH,
    DEPOSITS_HELD,
    RECEIVABLE,
    RESIDENT_CREDIT,
    STRIPE_CLEARING,
    C,
    D,
    ensure_accounts,
    resident_credits,
)
from services.billing.invoices import get_invoice, refresh_status
from services.billing.keys import payment_key, refund_key
from services.billing.payments import OFFLINE_METHODS, get_payment
from services.events import emit
from services.ledger import Journal, Line, journal_id_for, post_journals, reverse_journal


def get_refund(session: Session, refund_id: uuid.UUID) -> Refund:
    refund = session.get(Refund, refund_id)
    if refund is None:
        raise NotFound("refund not found", field="refund_id")
    return refund


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
    refund = get_refund(session, refund_id)
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
            refresh_status(session, get_invoice(session, payment.invoice_id))
    emit(
        session,
        EventType.REFUND_COMPLETED,
        refund.id,
        resident_id=refund.resident_id,
        payment_id=payment.id,
        deposit_id=refund.deposit_id,
    )
    return refund


def fail_refund(session: Session, refund_id: uuid.UUID, code: str) -> Refund:
    """Stripe refused: nothing was posted; the amount is refundable again."""
    refund = get_refund(session, refund_id)
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
