"""Payments received: cash, check and money order recorded by staff, and card payments once
Stripe has taken them. Money is applied to its invoice up to what the invoice still owes; the
rest is kept as the resident's credit for the next invoice."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy.orm import Session

from core.enums import InvoiceStatus, PaymentMethodType, PaymentStatus
from core.errors import NotFound, Rejected
from core.events import EventType
from models.payments import PayerConfig, Payment
from services.billing.accounts import (
    CASH,
    RECEIVABLE,
    RESIDENT_CREDIT,
    STRIPE_CLEARING,
    C,
    D,
    ensure_accounts,
    invoice_outstanding,
)
from services.billing.invoices import get_invoice, refresh_status
from services.billing.keys import payment_key, receipt_number
from services.events import emit
from services.ledger import Journal, Line, journal_id_for, post_journals

# Money staff take in hand (posted to cash, with a receipt number); anything else went through
# Stripe (posted to Stripe clearing).
OFFLINE_METHODS = (PaymentMethodType.CASH, PaymentMethodType.CHECK, PaymentMethodType.MONEY_ORDER)


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
        refresh_status(session, inv)
    emit(
        session,
        EventType.PAYMENT_RECEIVED,
        payment_id,
        resident_id=data.resident_id,
        invoice_id=data.invoice_id,
        method=data.method,
    )
    return payment


def fail_payment(session: Session, payment: Payment, code: str) -> None:
    """A card payment Stripe declined or that failed: nothing posts; once."""
    if payment.status in (PaymentStatus.PENDING, PaymentStatus.PROCESSING):
        payment.status = PaymentStatus.FAILED
        payment.failure_code = code
        emit(
            session,
            EventType.PAYMENT_FAILED,
            payment.id,
            resident_id=payment.resident_id,
            invoice_id=payment.invoice_id,
        )


def get_payment(session: Session, payment_id: uuid.UUID) -> Payment:
    payment = session.get(Payment, payment_id)
    if payment is None:
        raise NotFound("payment not found", field="payment_id")
    return payment
