"""Billing: rates, invoices, payments staff record (cash, check, money order), refunds, card
payments through a Stripe PaymentIntent (the card-payment workflow) and card refunds back through
Stripe (the card-refund workflow), security deposits and their settlement at discharge (an
update on the discharge-settlement workflow), and the payers who share a resident's charges."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy.orm import Session

from api.auth import Principal
from api.deps import TenantDep, require
from api.fields import Day, Trimmed
from api.processes import IdempotencyKeyHeader, ProcessesDep, start_responses
from api.routes import billing_page, billing_webhooks
from api.routes import dunning as dunning_routes
from api.visible import VisibleResident
from core.enums import (
    BillingFrequency,
    DepositStatus,
    InvoiceStatus,
    LineItemType,
    PayerType,
    PaymentMethodType,
    PaymentStatus,
    RefundStatus,
)
from core.errors import NotFound, Rejected
from core.permissions import Perm
from services import billing, idempotency
from services.billing import Deduction, Disposition, NewPayer, NewPayment, NewRate
from workflows.billing import (
    BILLING,
    PAYMENT,
    REFUND,
    CardPaymentInput,
    CardPaymentWorkflow,
    CardRefundInput,
    CardRefundWorkflow,
    DepositDecision,
    DischargeSettlementWorkflow,
    discharge_key,
)

router = APIRouter(prefix="/v1/billing", tags=["billing"])

Writer = Annotated[Principal, Depends(require(Perm.BILLING_WRITE))]
Reader = Annotated[Principal, Depends(require(Perm.BILLING_READ))]
Cents = Annotated[int, Field(gt=0, le=100_000_000)]


class RateCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Standard rent",
                    "amount_cents": 90000,
                    "billing_frequency": "monthly",
                    "effective_from": "2027-01-01",
                    "line_type": "rent",
                    "house_id": "0b1d1c9e-2f7a-4a8e-8a57-0c5f7e1d2b33",
                }
            ]
        },
    )
    name: Annotated[str, Trimmed(100)]
    amount_cents: Annotated[int, Field(ge=0, le=100_000_000)]
    billing_frequency: BillingFrequency
    effective_from: Day
    effective_to: Day | None = None
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
    effective_from: Day
    effective_to: Day | None
    house_id: uuid.UUID | None
    room_id: uuid.UUID | None
    bed_id: uuid.UUID | None


class LinePublic(BaseModel):
    line_type: LineItemType
    quantity: Decimal
    unit_amount_cents: int
    amount_cents: int


class AllocationPublic(BaseModel):
    # None: the resident themself.
    payer_config_id: uuid.UUID | None
    payer_type: PayerType | None
    amount_cents: int
    paid_cents: int


class InvoicePublic(BaseModel):
    id: uuid.UUID
    number: str
    resident_id: uuid.UUID
    house_id: uuid.UUID | None
    status: InvoiceStatus
    period_start: Day
    period_end: Day
    due_date: Day
    total_cents: int
    outstanding_cents: int
    lines: list[LinePublic]
    # Who owes what, when payers share the resident's charges (empty: the resident alone).
    allocations: list[AllocationPublic] = []
    # For open invoices: the resident's payment page, signed and expiring.
    payment_link: str | None = None


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
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"amount_cents": 2500}]})
    amount_cents: Cents


class RefundPublic(BaseModel):
    id: uuid.UUID
    payment_id: uuid.UUID
    amount_cents: int
    method: PaymentMethodType
    payment_status: PaymentStatus


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
        allocations=[AllocationPublic(**a.__dict__) for a in billing.allocations(s, inv.id)],
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
            "card refunds go back through Stripe: POST /v1/billing/card-refunds", field="payment_id"
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
    """One invoice with its lines, what it still owes (from its ledger lines) and the resident's
    payment link."""
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
    await dunning_routes.invoice_changed(processes, body.invoice_id)
    return recorded


@router.get("/payments/{payment_id}", response_model=PaymentPublic)
async def get_payment(payment_id: uuid.UUID, _: Reader, db: TenantDep) -> PaymentPublic:
    """One payment with its receipt number, method and status."""
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
        await db.run(billing.open_card_deposit, payment_id, body.deposit_resident_id, amount)
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


def _with_link(s: Session, invoice_id: uuid.UUID, base_url: str) -> InvoicePublic:
    inv = _invoice(s, invoice_id)
    if inv.status in (InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID):
        inv.payment_link = billing.payment_link_url(
            base_url, s.info["actor"]["org_id"], inv.id, datetime.now(UTC)
        )
    return inv


# --- card refunds ---------------------------------------------------------------------------


class CardRefundIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"payment_id": "c2e9f4a7-8d1b-4e36-b5a0-7f3d2c9e1b84", "amount_cents": 2500}]
        },
    )
    payment_id: uuid.UUID
    amount_cents: Cents


class CardRefundPublic(BaseModel):
    id: uuid.UUID
    payment_id: uuid.UUID
    amount_cents: int
    status: RefundStatus
    stripe_refund_id: str | None
    payment_status: PaymentStatus


def _card_refundable(s: Session, payment_id: uuid.UUID, cents: int) -> None:
    """Refuse before any process starts: an unknown payment, a non-card one, too much."""
    payment = billing.get_payment(s, payment_id)
    if payment.stripe_payment_intent_id is None:
        raise Rejected("this payment was not taken through Stripe: refund it at /refunds", field="payment_id")
    if payment.status not in (PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED):
        raise Rejected(f"a {payment.status.value} payment cannot be refunded", field="payment_id")
    left = payment.amount_cents - billing.refunded_cents(s, payment_id)
    if cents > left:
        raise Rejected(f"amount_cents must be between 1 and {left}", field="amount_cents")


def _card_refund(s: Session, refund_id: uuid.UUID) -> CardRefundPublic:
    from models.payment_extended import Refund

    r = s.get(Refund, refund_id)
    if r is None:
        raise NotFound("refund not found", field="refund_id")
    return CardRefundPublic(
        id=r.id,
        payment_id=r.payment_id,
        amount_cents=r.amount_cents,
        status=r.status,
        stripe_refund_id=r.stripe_refund_id,
        payment_status=billing.get_payment(s, r.payment_id).status,
    )


@router.post(
    "/card-refunds",
    status_code=201,
    response_model=CardRefundPublic,
    responses=start_responses(CardRefundPublic),
)
async def refund_card_payment(
    body: CardRefundIn,
    _: Writer,
    processes: ProcessesDep,
    db: TenantDep,
    response: Response,
    idempotency_key: IdempotencyKeyHeader = None,
) -> CardRefundPublic:
    """Give (part of) a card payment back through Stripe: a pending refund, the Stripe refund
    (made once however often the step retries), then the reversing journal. 201 once Stripe has
    answered; 202 while the refund is still running."""
    await db.run(_card_refundable, body.payment_id, body.amount_cents)
    refund_id, replayed = await processes.claim(REFUND, idempotency_key, body)
    await processes.start(
        REFUND,
        refund_id,
        CardRefundWorkflow.run,
        CardRefundInput(processes.actor, refund_id, body.payment_id, body.amount_cents),
        update=CardRefundWorkflow.wait_outcome,
        update_arg=processes.actor,
    )
    if replayed:
        response.status_code = 200
    return await db.run(_card_refund, refund_id)


# --- security deposits ------------------------------------------------------------------------


class DepositIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "resident_id": "3f2b8c1e-6d4a-4b7e-9c21-5a8d0e7f4b10",
                    "amount_cents": 50000,
                    "method": "check",
                    "reference": "check 1043",
                    "received_on": "2026-12-05",
                }
            ]
        },
    )
    resident_id: uuid.UUID
    amount_cents: Cents
    method: Literal[PaymentMethodType.CASH, PaymentMethodType.CHECK, PaymentMethodType.MONEY_ORDER]
    reference: Annotated[str, Trimmed(40)] | None = None
    received_on: Day | None = None


class DeductionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    category: Literal["damage", "cleaning", "fees", "other"]
    amount_cents: Cents
    reason: Annotated[str, Trimmed(500)]


class DeductionPublic(BaseModel):
    position: int
    category: str
    amount_cents: int
    reason: str | None
    invoice_id: uuid.UUID | None


class DepositPublic(BaseModel):
    id: uuid.UUID
    resident_id: uuid.UUID
    payment_id: uuid.UUID | None
    amount_cents: int
    status: DepositStatus
    received_date: Day
    # What the ledger still holds of it.
    held_cents: int
    deductions: list[DeductionPublic]
    refund_cents: int
    refund_pending: bool
    forfeited_cents: int


class DepositSettlementIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "deductions": [
                        {"category": "cleaning", "amount_cents": 7500, "reason": "room left uncleaned"}
                    ],
                    "disposition": "refund",
                    "apply_to_open_invoices": True,
                }
            ]
        },
    )
    deductions: list[DeductionIn] = Field(default_factory=list, max_length=50)
    # refund: the rest goes back to the deposit's own method; forfeit: the house keeps it.
    disposition: Disposition = Disposition.REFUND
    # Pay what the resident's open invoices still owe from the deposit first.
    apply_to_open_invoices: bool = True
    forfeit_reason: Annotated[str, Trimmed(500)] | None = None


def _deposit(s: Session, resident_id: uuid.UUID) -> DepositPublic:
    d = billing.held_deposit(s, resident_id)
    if d is None:
        raise NotFound("no deposit for this resident", field="resident_id")
    outcome = billing.deposit_outcome(s, d)
    return DepositPublic(
        id=d.id,
        resident_id=d.resident_id,
        payment_id=d.payment_id,
        amount_cents=d.amount_cents,
        status=d.status,
        received_date=d.received_date,
        held_cents=billing.deposit_held_cents(s, d.id),
        deductions=[
            DeductionPublic(
                position=x.position,
                category=x.category,
                amount_cents=x.amount_cents,
                reason=x.reason,
                invoice_id=x.invoice_id,
            )
            for x in billing.deposit_deductions(s, d.id)
        ],
        refund_cents=outcome.refund_cents,
        refund_pending=outcome.refund_pending,
        forfeited_cents=outcome.forfeited_cents,
    )


def _collect_deposit(s: Session, payment_id: uuid.UUID, body: DepositIn, user: uuid.UUID) -> DepositPublic:
    d = billing.collect_deposit(
        s,
        payment_id,
        body.resident_id,
        body.amount_cents,
        body.method,
        recorded_by=user,
        received_on=body.received_on,
        reference=body.reference,
    )
    return _deposit(s, d.resident_id)


@router.post("/deposits", status_code=201, response_model=DepositPublic)
async def collect_deposit(
    body: DepositIn,
    p: Writer,
    processes: ProcessesDep,
    db: TenantDep,
    response: Response,
    idempotency_key: IdempotencyKeyHeader = None,
) -> DepositPublic:
    """A security deposit taken by staff (cash, check, money order), held as a liability until
    discharge. A card deposit goes through `POST /card-payments` with `deposit_resident_id`."""
    payment_id, replayed = await processes.claim(BILLING, idempotency_key, body)
    if replayed:
        response.status_code = 200
    return await db.run(_collect_deposit, payment_id, body, p.user_id)


@router.get("/residents/{resident_id}/deposit", response_model=DepositPublic)
async def get_deposit(resident_id: uuid.UUID, _: Reader, db: TenantDep) -> DepositPublic:
    """The resident's security deposit: amount, what is still held, deductions and outcome; 404
    when there is none or the resident is not the caller's to see."""
    return await db.run(_deposit, resident_id)


@router.post("/residents/{resident_id}/deposit/settlement", response_model=DepositPublic)
async def settle_deposit(
    _: Writer, resident_id: VisibleResident, body: DepositSettlementIn, processes: ProcessesDep, db: TenantDep
) -> DepositPublic:
    """Staff's settlement of the deposit after the move-out inspection, sent to the resident's
    discharge-settlement process (started at discharge): itemised deductions, open invoices paid
    from the deposit, the rest refunded to its own method (a card through Stripe) or forfeited.
    404 before the discharge; 422 naming the field for deductions above the deposit."""
    decision = DepositDecision(
        processes.actor,
        [Deduction(d.category, d.amount_cents, d.reason) for d in body.deductions],
        body.disposition,
        body.apply_to_open_invoices,
        body.forfeit_reason,
    )
    outcome = await processes.update(
        BILLING, discharge_key(resident_id), DischargeSettlementWorkflow.settle_deposit, decision
    )
    if outcome is None:
        raise NotFound("no deposit for this resident", field="resident_id")
    return await db.run(_deposit, resident_id)


# --- payers -------------------------------------------------------------------------------------


class PayerIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "payer_type": "family",
                    "share_percent": "50",
                    "effective_from": "2027-01-01",
                    "contact_name": "Rosa Alvarez",
                }
            ]
        },
    )
    payer_type: PayerType
    # Exactly one: a share of each invoice in percent (two decimals), or a fixed amount.
    share_percent: Annotated[Decimal, Field(gt=0, le=100, decimal_places=2)] | None = None
    fixed_cents: Cents | None = None
    # A cap per invoice.
    max_cents: Cents | None = None
    effective_from: Day | None = None
    effective_to: Day | None = None
    organization_name: Annotated[str, Trimmed(200)] | None = None
    contact_name: Annotated[str, Trimmed(200)] | None = None


class PayerPublic(BaseModel):
    id: uuid.UUID
    resident_id: uuid.UUID | None
    payer_type: PayerType
    share_percent: Decimal | None
    fixed_cents: int | None
    max_cents: int | None
    effective_from: Day | None
    effective_to: Day | None
    organization_name: str | None


def _payer_public(c: Any) -> PayerPublic:
    return PayerPublic(
        id=c.id,
        resident_id=c.resident_id,
        payer_type=c.payer_type,
        share_percent=None if c.fixed_amount_cents is not None else c.split_percentage,
        fixed_cents=c.fixed_amount_cents,
        max_cents=c.max_amount_cents,
        effective_from=c.effective_from_date,
        effective_to=c.effective_to_date,
        organization_name=c.organization_name,
    )


def _create_payer(s: Session, payer_id: uuid.UUID, data: NewPayer) -> PayerPublic:
    return _payer_public(billing.create_payer(s, payer_id, data))


def _payers(s: Session, resident_id: uuid.UUID) -> list[PayerPublic]:
    return [_payer_public(c) for c in billing.payers_of(s, resident_id)]


@router.post("/residents/{resident_id}/payers", status_code=201, response_model=PayerPublic)
async def add_payer(
    resident_id: uuid.UUID,
    body: PayerIn,
    p: Writer,
    db: TenantDep,
    response: Response,
    idempotency_key: IdempotencyKeyHeader = None,
) -> PayerPublic:
    """A payer of a share of this resident's charges (family, court program, agency...). Rent
    invoices split among the payers in force on the period's first day: fixed amounts first,
    then each percentage rounded down to the cent; the rest (and every rounding cent) is the
    resident's. Shares above 100% in total are refused naming `share_percent`."""
    payer_id, replayed = uuid.uuid4(), False
    if idempotency_key is not None:
        digest = idempotency.request_digest({"resident_id": str(resident_id), **body.model_dump(mode="json")})
        payer_id, replayed = await db.run(
            idempotency.claim, f"{BILLING.name}-payer", idempotency_key, digest, payer_id, p.user_id
        )
    if replayed:
        response.status_code = 200
    data = NewPayer(
        resident_id,
        body.payer_type,
        body.share_percent,
        body.fixed_cents,
        body.max_cents,
        body.effective_from,
        body.effective_to,
        body.organization_name,
        body.contact_name,
    )
    return await db.run(_create_payer, payer_id, data)


@router.get("/residents/{resident_id}/payers", response_model=list[PayerPublic])
async def list_payers(resident_id: uuid.UUID, _: Reader, db: TenantDep) -> list[PayerPublic]:
    """Who pays a share of the resident's charges (family, court program, agency ...); 404 for a
    resident the caller cannot see."""
    return await db.run(_payers, resident_id)


# The resident's payment page lives under this router: /v1/billing/pay/{token}.
router.include_router(billing_page.router)
# Stripe's webhook endpoint: /v1/billing/stripe/webhook.
router.include_router(billing_webhooks.router)
