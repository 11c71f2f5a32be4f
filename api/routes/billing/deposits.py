"""Security deposits: taken by staff, read back with their deductions and outcome, and settled
after discharge (an update on the discharge-settlement workflow)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool
from sqlalchemy.orm import Session

from api.deps import TenantDep
from api.fields import Day, Trimmed
from api.processes import IdempotencyKeyHeader, ProcessesDep
from api.routes.billing.deps import Cents, Reader, Writer
from api.visible import VisibleResident
from core.contracts.billing import Deduction, Disposition
from core.enums import DepositStatus, PaymentMethodType
from core.errors import NotFound
from services.billing import deposits
from workflows.billing import BILLING
from workflows.billing.settlement import DepositDecision, DischargeSettlementWorkflow, discharge_key

router = APIRouter(prefix="/v1/billing", tags=["billing"])


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
    model_config = ConfigDict(from_attributes=True)
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
    apply_to_open_invoices: StrictBool = True
    forfeit_reason: Annotated[str, Trimmed(500)] | None = None


def _deposit(s: Session, resident_id: uuid.UUID) -> DepositPublic:
    d = deposits.held_deposit(s, resident_id)
    if d is None:
        raise NotFound("no deposit for this resident", field="resident_id")
    outcome = deposits.deposit_outcome(s, d)
    return DepositPublic(
        id=d.id,
        resident_id=d.resident_id,
        payment_id=d.payment_id,
        amount_cents=d.amount_cents,
        status=d.status,
        received_date=d.received_date,
        held_cents=deposits.deposit_held_cents(s, d.id),
        deductions=[DeductionPublic.model_validate(x) for x in deposits.deposit_deductions(s, d.id)],
        refund_cents=outcome.refund_cents,
        refund_pending=outcome.refund_pending,
        forfeited_cents=outcome.forfeited_cents,
    )


def _collect_deposit(
    s: Session, payment_id: uuid.UUID, body: DepositIn, user: uuid.UUID | None
) -> DepositPublic:
    d = deposits.collect_deposit(
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
