"""Billing: rates, invoices, payments staff record (cash, check, money order), refunds, and card
payments through a Stripe PaymentIntent (the card-payment workflow)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy.orm import Session

from api.auth import Principal
from api.deps import TenantDep, require
from api.processes import IdempotencyKeyHeader, ProcessesDep, start_responses
from api.routes import billing_page, billing_webhooks
from core.errors import Rejected
from core.permissions import Perm
from models.enums import BillingFrequency, InvoiceStatus, LineItemType, PaymentMethodType, PaymentStatus
from services import billing, idempotency
from services.billing import NewPayment, NewRate
from workflows.billing import BILLING, PAYMENT, CardPaymentInput, CardPaymentWorkflow

router = APIRouter(prefix="/v1/billing", tags=["billing"])

Writer = Annotated[Principal, Depends(require(Perm.BILLING_WRITE))]
Reader = Annotated[Principal, Depends(require(Perm.BILLING_READ))]
Cents = Annotated[int, Field(gt=0, le=100_000_000)]


class RateCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    amount_cents: Annotated[int, Field(ge=0, le=100_000_000)]
    billing_frequency: BillingFrequency
    effective_from: date
    effective_to: date | None = None
    line_type: Literal[
        LineItemType.RENT, LineItemType.PROGRAM_FEE, LineItemType.DRUG_TEST_FEE, LineItemType.DEPOSIT
    ] = LineItemType.RENT
    house_id: uuid.UUID | None = None
    room_id: uuid.UUID | None = None
    bed_id: uuid.UUID | None = None


class RatePublic(BaseModel):
    id: uuid.UUID
    name: str
    amount_cents: int
    billing_frequency: BillingFrequency
    line_type: LineItemType
    effective_from: date
    effective_to: date | None
    house_id: uuid.UUID | None
    room_id: uuid.UUID | None
    bed_id: uuid.UUID | None


class LinePublic(BaseModel):
    line_type: LineItemType
    quantity: Decimal
    unit_amount_cents: int
    amount_cents: int


class InvoicePublic(BaseModel):
    id: uuid.UUID
    number: str
    resident_id: uuid.UUID
    house_id: uuid.UUID | None
    status: InvoiceStatus
    period_start: date
    period_end: date
    due_date: date
    total_cents: int
    outstanding_cents: int
    lines: list[LinePublic]
    # For open invoices: the resident's payment page, signed and expiring.
    payment_link: str | None = None


class OfflinePaymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    resident_id: uuid.UUID
    invoice_id: uuid.UUID | None = None
    amount_cents: Cents
    method: Literal[PaymentMethodType.CASH, PaymentMethodType.CHECK, PaymentMethodType.MONEY_ORDER]
    # Check or money-order number.
    reference: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)] | None
    ) = None
    received_on: date | None = None


class PaymentPublic(BaseModel):
    id: uuid.UUID
    resident_id: uuid.UUID
    invoice_id: uuid.UUID | None
    amount_cents: int
    method: PaymentMethodType
    status: PaymentStatus
    receipt_number: str | None
    stripe_payment_intent_id: str | None
    invoice_status: InvoiceStatus | None = None


class RefundIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount_cents: Cents


class RefundPublic(BaseModel):
    id: uuid.UUID
    payment_id: uuid.UUID
    amount_cents: int
    method: PaymentMethodType
    payment_status: PaymentStatus


class CardPaymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    invoice_id: uuid.UUID
    # None: what the invoice still owes.
    amount_cents: Cents | None = None
    # A Stripe PaymentMethod id collected by Stripe.js (never a card number).
    payment_method: Annotated[str, StringConstraints(pattern=r"^pm_[A-Za-z0-9_]{3,200}$")]


def _rate(s: Session, rate_id: uuid.UUID, data: NewRate) -> RatePublic:
    r = billing.create_rate(s, rate_id, data)
    return RatePublic(
        id=r.id,
        name=r.name,
        amount_cents=r.amount_cents,
        billing_frequency=r.billing_frequency,
        line_type=r.line_type,
        effective_from=r.effective_from_date,
        effective_to=r.effective_to_date,
        house_id=r.house_id,
        room_id=r.room_id,
        bed_id=r.bed_id,
    )


def _invoice(s: Session, invoice_id: uuid.UUID) -> InvoicePublic:
    inv = billing.get_invoice(s, invoice_id)
    return InvoicePublic(
        id=inv.id,
        number=inv.number,
        resident_id=inv.resident_id,
        house_id=inv.house_id,
        status=inv.status,
        period_start=inv.period_start_date,
        period_end=inv.period_end_date,
        due_date=inv.due_date,
        total_cents=inv.total_cents,
        outstanding_cents=billing.invoice_outstanding(s, inv.id),
        lines=[
            LinePublic(
                line_type=x.line_type,
                quantity=x.quantity,
                unit_amount_cents=x.unit_amount_cents,
                amount_cents=x.amount_cents,
            )
            for x in inv.line_items
        ],
    )


def _payment(s: Session, payment_id: uuid.UUID) -> PaymentPublic:
    p = billing.get_payment(s, payment_id)
    inv = billing.get_invoice(s, p.invoice_id) if p.invoice_id else None
    return PaymentPublic(
        id=p.id,
        resident_id=p.resident_id,
        invoice_id=p.invoice_id,
        amount_cents=p.amount_cents,
        method=p.method,
        status=p.status,
        receipt_number=p.receipt_number,
        stripe_payment_intent_id=p.stripe_payment_intent_id,
        invoice_status=inv.status if inv else None,
    )


def _record_payment(s: Session, payment_id: uuid.UUID, data: NewPayment, user: uuid.UUID) -> PaymentPublic:
    billing.record_received_payment(s, payment_id, data, recorded_by=user)
    return _payment(s, payment_id)


def _refund(
    s: Session, refund_id: uuid.UUID, payment_id: uuid.UUID, cents: int, user: uuid.UUID
) -> RefundPublic:
    payment = billing.get_payment(s, payment_id)
    if payment.method not in billing.OFFLINE_METHODS:
        raise Rejected(
            "card refunds go back through Stripe and are not available here yet", field="payment_id"
        )
    r = billing.record_refund(s, refund_id, payment_id, cents, requested_by=user)
    return RefundPublic(
        id=r.id,
        payment_id=payment_id,
        amount_cents=r.amount_cents,
        method=r.method,
        payment_status=payment.status,
    )


def _amount_due(s: Session, invoice_id: uuid.UUID) -> int:
    return billing.invoice_outstanding(s, billing.get_invoice(s, invoice_id).id)


@router.post("/rates", status_code=201, response_model=RatePublic)
async def create_rate(
    body: RateCreate,
    _: Writer,
    processes: ProcessesDep,
    db: TenantDep,
    response: Response,
    idempotency_key: IdempotencyKeyHeader = None,
) -> RatePublic:
    """A rate for one house, room or bed; 409 when it overlaps one of the same line type."""
    rate_id, replayed = await processes.claim(BILLING, idempotency_key, body)
    data = NewRate(
        name=body.name,
        amount_cents=body.amount_cents,
        billing_frequency=body.billing_frequency,
        effective_from=body.effective_from,
        effective_to=body.effective_to,
        line_type=body.line_type,
        house_id=body.house_id,
        room_id=body.room_id,
        bed_id=body.bed_id,
    )
    if replayed:
        response.status_code = 200
    return await db.run(_rate, rate_id, data)


@router.get("/invoices/{invoice_id}", response_model=InvoicePublic)
async def get_invoice(invoice_id: uuid.UUID, _: Reader, db: TenantDep, request: Request) -> InvoicePublic:
    return await db.run(_with_link, invoice_id, str(request.base_url))


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
        body.resident_id, body.amount_cents, body.method, body.invoice_id, body.received_on, body.reference
    )
    if replayed:
        response.status_code = 200
    return await db.run(_record_payment, payment_id, data, p.user_id)


@router.get("/payments/{payment_id}", response_model=PaymentPublic)
async def get_payment(payment_id: uuid.UUID, _: Reader, db: TenantDep) -> PaymentPublic:
    return await db.run(_payment, payment_id)


@router.post("/payments/{payment_id}/refunds", status_code=201, response_model=RefundPublic)
async def refund_payment(
    payment_id: uuid.UUID,
    body: RefundIn,
    p: Writer,
    db: TenantDep,
    response: Response,
    idempotency_key: IdempotencyKeyHeader = None,
) -> RefundPublic:
    """Return money to the payment's own method, posted as a reversing journal. No process
    runs (offline refunds), so the Idempotency-Key is claimed in the same database."""
    refund_id, replayed = uuid.uuid4(), False
    if idempotency_key is not None:
        digest = idempotency.request_digest({"payment_id": str(payment_id), **body.model_dump(mode="json")})
        refund_id, replayed = await db.run(
            idempotency.claim, f"{BILLING.name}-refund", idempotency_key, digest, refund_id, p.user_id
        )
    if replayed:
        response.status_code = 200
    return await db.run(_refund, refund_id, payment_id, body.amount_cents, p.user_id)


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
    amount = (
        body.amount_cents if body.amount_cents is not None else await db.run(_amount_due, body.invoice_id)
    )
    if amount <= 0:
        raise Rejected("the invoice owes nothing", field="invoice_id")
    payment_id, replayed = await processes.claim(PAYMENT, idempotency_key, body)
    await processes.start(
        PAYMENT,
        payment_id,
        CardPaymentWorkflow.run,
        CardPaymentInput(processes.actor, payment_id, body.invoice_id, amount, body.payment_method),
        update=CardPaymentWorkflow.wait_outcome,
        update_arg=processes.actor,
    )
    if replayed:
        response.status_code = 200
    return await db.run(_payment, payment_id)


def _with_link(s: Session, invoice_id: uuid.UUID, base_url: str) -> InvoicePublic:
    inv = _invoice(s, invoice_id)
    if inv.status in (InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID):
        inv.payment_link = billing.payment_link_url(
            base_url, s.info["actor"]["org_id"], inv.id, datetime.now(UTC)
        )
    return inv


# The resident's payment page lives under this router: /v1/billing/pay/{token}.
router.include_router(billing_page.router)
# Stripe's webhook endpoint: /v1/billing/stripe/webhook.
router.include_router(billing_webhooks.router)
