"""Payments: cash, check and money order recorded by staff (with a receipt number), one
payment read back, and card payments through a Stripe PaymentIntent (the card-payment workflow),
for an invoice or a security deposit."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, StringConstraints
from sqlalchemy.orm import Session

from api.deps import TenantDep
from api.fields import Day, Trimmed
from api.processes import IdempotencyKeyHeader, ProcessesDep, start_responses
from api.routes.billing.deps import Cents, Reader, Writer
from core.enums import InvoiceStatus, PaymentMethodType, PaymentStatus
from core.errors import Rejected
from services.billing import accounts, deposits, dunning, invoices, payments
from services.billing.payments import NewPayment
from workflows.billing import BILLING
from workflows.billing.payments import PAYMENT, CardPaymentInput, CardPaymentWorkflow

router = APIRouter(prefix="/v1/billing", tags=["billing"])


class OfflinePaymentIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "resident_id": "3f2b8c1e-6d4a-4b7e-9c21-5a8d0e7f4b10",
                    "invoice_id": "a41c7e93-2b5d-4f08-9e6a-1d3c8b7f2e50",
                    "amount_cents": 30000,
                    "method": "cash",
                    "reference": "till 1",
                    "received_on": "2026-12-05",
                }
            ]
        },
    )
    resident_id: uuid.UUID
    invoice_id: uuid.UUID | None = None
    amount_cents: Cents
    method: Literal[PaymentMethodType.CASH, PaymentMethodType.CHECK, PaymentMethodType.MONEY_ORDER]
    # Check or money-order number.
    reference: Annotated[str, Trimmed(40)] | None = None
    received_on: Day | None = None
    # The payer paying their share (a payer config of this resident); None: the resident.
    payer_config_id: uuid.UUID | None = None


class PaymentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    resident_id: uuid.UUID
    invoice_id: uuid.UUID | None
    amount_cents: int
    method: PaymentMethodType
    status: PaymentStatus
    receipt_number: str | None
    stripe_payment_intent_id: str | None
    invoice_status: InvoiceStatus | None = None


class CardPaymentIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"invoice_id": "a41c7e93-2b5d-4f08-9e6a-1d3c8b7f2e50", "payment_method": "pm_card_visa"}
            ]
        },
    )
    # Exactly one: the invoice paid, or the resident whose security deposit this is.
    invoice_id: uuid.UUID | None = None
    deposit_resident_id: uuid.UUID | None = None
    # None: what the invoice still owes (required for a deposit).
    amount_cents: Cents | None = None
    # A Stripe PaymentMethod id collected by Stripe.js (never a card number).
    payment_method: Annotated[str, StringConstraints(pattern=r"^pm_[A-Za-z0-9_]{3,200}$")]


def _payment(s: Session, payment_id: uuid.UUID) -> PaymentPublic:
    p = payments.get_payment(s, payment_id)
    out = PaymentPublic.model_validate(p)
    if p.invoice_id:
        out.invoice_status = invoices.get_invoice(s, p.invoice_id).status
    return out


def _record_payment(
    s: Session, payment_id: uuid.UUID, data: NewPayment, user: uuid.UUID | None
) -> PaymentPublic:
    payments.record_received_payment(s, payment_id, data, recorded_by=user)
    return _payment(s, payment_id)


def _amount_due(s: Session, invoice_id: uuid.UUID) -> int:
    return accounts.invoice_outstanding(s, invoices.get_invoice(s, invoice_id).id)


@router.post("/payments", status_code=201, response_model=PaymentPublic)
async def record_payment(
    body: OfflinePaymentIn,
    p: Writer,
    processes: ProcessesDep,
    db: TenantDep,
    response: Response,
    idempotency_key: IdempotencyKeyHeader = None,
) -> PaymentPublic:
    """Cash, check or money order taken by staff: applied to the invoice, any excess kept as
    the resident's credit; the answer carries the receipt number."""
    payment_id, replayed = await processes.claim(BILLING, idempotency_key, body)
    data = NewPayment(
        body.resident_id,
        body.amount_cents,
        body.method,
        body.invoice_id,
        body.received_on,
        body.reference,
        body.payer_config_id,
    )
    if replayed:
        response.status_code = 200
    recorded = await db.run(_record_payment, payment_id, data, p.user_id)
    # An overdue invoice's dunning stops at once when this paid it.
    await dunning.invoice_changed(processes, body.invoice_id)
    return recorded


@router.get("/payments/{payment_id}", response_model=PaymentPublic)
async def get_payment(payment_id: uuid.UUID, _: Reader, db: TenantDep) -> PaymentPublic:
    """One payment with its receipt number, method and status."""
    return await db.run(_payment, payment_id)


@router.post(
    "/card-payments", status_code=201, response_model=PaymentPublic, responses=start_responses(PaymentPublic)
)
async def pay_by_card(
    body: CardPaymentIn,
    _: Writer,
    processes: ProcessesDep,
    db: TenantDep,
    response: Response,
    idempotency_key: IdempotencyKeyHeader = None,
) -> PaymentPublic:
    """Charge a saved card (a Stripe PaymentMethod) for an invoice through a PaymentIntent.
    201 once Stripe has answered; 202 while the attempt is still running."""
    if (body.invoice_id is None) == (body.deposit_resident_id is None):
        raise Rejected("give exactly one of invoice_id or deposit_resident_id", field="invoice_id")
    if body.deposit_resident_id is not None:
        if body.amount_cents is None:
            raise Rejected("a deposit needs its amount_cents", field="amount_cents")
        amount = body.amount_cents
    else:
        assert body.invoice_id is not None
        amount = (
            body.amount_cents if body.amount_cents is not None else await db.run(_amount_due, body.invoice_id)
        )
    if amount <= 0:
        raise Rejected("the invoice owes nothing", field="invoice_id")
    payment_id, replayed = await processes.claim(PAYMENT, idempotency_key, body)
    if body.deposit_resident_id is not None:
        # The deposit's payment row first: of two deposits sent at once, one gets 409 here and
        # never reaches Stripe.
        await db.run(deposits.open_card_deposit, payment_id, body.deposit_resident_id, amount)
    await processes.start(
        PAYMENT,
        payment_id,
        CardPaymentWorkflow.run,
        CardPaymentInput(
            processes.actor,
            payment_id,
            body.invoice_id,
            amount,
            body.payment_method,
            body.deposit_resident_id,
        ),
        update=CardPaymentWorkflow.wait_outcome,
        update_arg=processes.actor,
    )
    if replayed:
        response.status_code = 200
    return await db.run(_payment, payment_id)
