"""Refunds: cash, check and money order refunds recorded at once, and card refunds back
through Stripe (the card-refund workflow); each posts as a reversing journal."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from api.deps import TenantDep
from api.processes import IdempotencyKeyHeader, ProcessesDep, start_responses
from api.routes.billing.deps import Cents, Writer
from core.enums import PaymentMethodType, PaymentStatus, RefundStatus
from core.errors import Rejected
from services import idempotency
from services.billing import payments, refunds
from workflows.billing import BILLING
from workflows.billing.refunds import REFUND, CardRefundInput, CardRefundWorkflow

router = APIRouter(prefix="/v1/billing", tags=["billing"])


class RefundIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"amount_cents": 2500}]})
    amount_cents: Cents


class RefundPublic(BaseModel):
    id: uuid.UUID
    payment_id: uuid.UUID
    amount_cents: int
    method: PaymentMethodType
    payment_status: PaymentStatus


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


def _refund(
    s: Session, refund_id: uuid.UUID, payment_id: uuid.UUID, cents: int, user: uuid.UUID | None
) -> RefundPublic:
    payment = payments.get_payment(s, payment_id)
    if payment.method not in payments.OFFLINE_METHODS:
        raise Rejected(
            "card refunds go back through Stripe: POST /v1/billing/card-refunds", field="payment_id"
        )
    r = refunds.record_refund(s, refund_id, payment_id, cents, requested_by=user)
    return RefundPublic(
        id=r.id,
        payment_id=payment_id,
        amount_cents=r.amount_cents,
        method=r.method,
        payment_status=payment.status,
    )


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


def _card_refundable(s: Session, payment_id: uuid.UUID, cents: int) -> None:
    """Refuse before any process starts: an unknown payment, a non-card one, too much."""
    payment = payments.get_payment(s, payment_id)
    if payment.stripe_payment_intent_id is None:
        raise Rejected("this payment was not taken through Stripe: refund it at /refunds", field="payment_id")
    if payment.status not in (PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED):
        raise Rejected(f"a {payment.status.value} payment cannot be refunded", field="payment_id")
    left = payment.amount_cents - refunds.refunded_cents(s, payment_id)
    if cents > left:
        raise Rejected(f"amount_cents must be between 1 and {left}", field="amount_cents")


def _card_refund(s: Session, refund_id: uuid.UUID) -> CardRefundPublic:
    r = refunds.get_refund(s, refund_id)
    return CardRefundPublic(
        id=r.id,
        payment_id=r.payment_id,
        amount_cents=r.amount_cents,
        status=r.status,
        stripe_refund_id=r.stripe_refund_id,
        payment_status=payments.get_payment(s, r.payment_id).status,
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
