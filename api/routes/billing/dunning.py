"""Dunning, billing's collections: the schedule per org or house, an invoice's dunning steps,
starting an overdue invoice's ladder now, and writing an invoice off (which stops its ladder)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints
from sqlalchemy.orm import Session

from api.deps import TenantDep
from api.fields import NUMBER, Trimmed
from api.processes import IdempotencyKeyHeader, ProcessesDep, start_responses
from api.routes.billing.deps import Reader, Writer
from core.contracts.billing import DUNNING
from core.enums import DunningActionStatus, DunningActionType, InvoiceStatus
from core.errors import Conflict, Rejected
from models.payment_extended import DunningConfig
from services.billing import accounts, dunning, dunning_config, invoices
from services.billing.dunning_config import NewConfig, StepSpec
from workflows.billing.dunning import (
    WRITE_OFF,
    DunningInput,
    DunningWorkflow,
    WriteOffRequest,
    WriteOffWorkflow,
)

router = APIRouter(prefix="/v1/dunning", tags=["dunning"])
Cents = Annotated[int, Field(ge=0, le=10_000_000), NUMBER]


class StepIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Steps run in order of their day; a number given here only orders steps on the same day.
    step: Annotated[int, Field(ge=1, le=dunning_config.MAX_STEPS), NUMBER] | None = None
    days_after_due: Annotated[int, Field(ge=0, le=365), NUMBER]
    action_type: Literal[
        DunningActionType.REMINDER_EMAIL, DunningActionType.LATE_FEE, DunningActionType.STAFF_ESCALATION
    ]
    template_key: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_.]{1,100}$")] | None = None


class ConfigIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Standard collections",
                    "steps": [
                        {
                            "step": 1,
                            "days_after_due": 3,
                            "action_type": "reminder_email",
                            "template_key": "dunning.reminder",
                        },
                        {"step": 2, "days_after_due": 5, "action_type": "late_fee"},
                        {
                            "step": 3,
                            "days_after_due": 14,
                            "action_type": "staff_escalation",
                            "template_key": "dunning.escalation",
                        },
                    ],
                    "grace_days": 2,
                    "late_fee_cents": 2500,
                    "late_fee_cap_cents": 7500,
                }
            ]
        },
    )
    name: Annotated[str, Trimmed(100)]
    # None: the org's default; a house id: that house's override.
    house_id: uuid.UUID | None = None
    steps: Annotated[list[StepIn], Field(min_length=1, max_length=dunning_config.MAX_STEPS)]
    grace_days: Annotated[int, Field(ge=0, le=90), NUMBER] = 0
    late_fee_cents: Cents = 0
    late_fee_cap_cents: Cents | None = None
    is_active: StrictBool = True


class StepPublic(BaseModel):
    step: int
    days_after_due: int
    action_type: DunningActionType
    template_key: str | None


class ConfigPublic(BaseModel):
    id: uuid.UUID
    name: str
    house_id: uuid.UUID | None
    steps: list[StepPublic]
    grace_days: int
    late_fee_cents: int
    late_fee_cap_cents: int | None
    is_active: bool


class ActionPublic(BaseModel):
    step: int
    action_type: DunningActionType
    status: DunningActionStatus
    scheduled_for: datetime
    executed_at: datetime | None
    reason: str | None


class InvoiceDunningPublic(BaseModel):
    invoice_id: uuid.UUID
    invoice_status: InvoiceStatus
    outstanding_cents: int
    actions: list[ActionPublic]
    workflow_id: str | None = None


class WriteOffPublic(BaseModel):
    invoice_id: uuid.UUID
    invoice_status: InvoiceStatus
    written_off_cents: int
    skipped_steps: int
    workflow_id: str


def _config(c: DunningConfig) -> ConfigPublic:
    return ConfigPublic(
        id=c.id,
        name=c.name,
        house_id=c.house_id,
        steps=[StepPublic(**s.as_json()) for s in dunning_config.steps_of(c.steps)],
        grace_days=c.grace_days,
        late_fee_cents=c.late_fee_cents,
        late_fee_cap_cents=c.late_fee_cap_cents,
        is_active=c.is_active,
    )


def _configure(s: Session, config_id: uuid.UUID, data: NewConfig) -> ConfigPublic:
    return _config(dunning_config.configure(s, config_id, data))


def _configs(s: Session) -> list[ConfigPublic]:
    return [_config(c) for c in dunning_config.list_configs(s)]


def _invoice_dunning(s: Session, invoice_id: uuid.UUID) -> InvoiceDunningPublic:
    inv = invoices.get_invoice(s, invoice_id)
    return InvoiceDunningPublic(
        invoice_id=inv.id,
        invoice_status=inv.status,
        outstanding_cents=max(accounts.invoice_outstanding(s, inv.id), 0),
        actions=[
            ActionPublic(
                step=a.step_number,
                action_type=a.action_type,
                status=a.status,
                scheduled_for=a.scheduled_for,
                executed_at=a.executed_at,
                reason=a.failure_reason,
            )
            for a in dunning.actions(s, invoice_id)
        ],
    )


def _overdue(s: Session, invoice_id: uuid.UUID, today: date) -> None:
    inv = invoices.get_invoice(s, invoice_id)
    if inv.status not in dunning.OPEN:
        raise Conflict(f"the invoice is {inv.status.value}", field="invoice_id")
    if inv.due_date >= today:
        raise Rejected("the invoice is not overdue yet", field="invoice_id")


def _status(s: Session, invoice_id: uuid.UUID) -> InvoiceStatus:
    return invoices.get_invoice(s, invoice_id).status


@router.put("/config", response_model=ConfigPublic)
async def configure(
    body: ConfigIn,
    _: Writer,
    processes: ProcessesDep,
    db: TenantDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> ConfigPublic:
    """Set the org's collections schedule (no house_id) or one house's override. Invoices that
    become overdue from now on follow it; ladders already planned keep their steps.

    Any body this schema allows is accepted, and the answer shows the schedule as it will run:
    steps ordered by `days_after_due` and numbered 1, 2, 3...; a late fee never before
    `grace_days` (an earlier late-fee step moves to that day); a fee above `late_fee_cap_cents`
    becomes the cap (late fees on one invoice never add up past it); a late-fee step
    with `late_fee_cents` 0 is skipped when its day comes."""
    config_id, _replayed = await processes.claim(DUNNING, idempotency_key, body)
    data = NewConfig(
        name=body.name,
        steps=[
            StepSpec(x.step or n, x.days_after_due, x.action_type, x.template_key)
            for n, x in enumerate(body.steps, 1)
        ],
        house_id=body.house_id,
        grace_days=body.grace_days,
        late_fee_cents=body.late_fee_cents,
        late_fee_cap_cents=body.late_fee_cap_cents,
        is_active=body.is_active,
    )
    return await db.run(_configure, config_id, data)


@router.get("/configs", response_model=list[ConfigPublic])
async def list_configs(_: Reader, db: TenantDep) -> list[ConfigPublic]:
    """The organisation's collections schedules: the default and each house's override."""
    return await db.run(_configs)


@router.get("/invoices/{invoice_id}/actions", response_model=InvoiceDunningPublic)
async def invoice_actions(invoice_id: uuid.UUID, _: Reader, db: TenantDep) -> InvoiceDunningPublic:
    """The invoice's dunning steps: scheduled, sent, skipped (with why) or failed."""
    return await db.run(_invoice_dunning, invoice_id)


@router.post(
    "/invoices/{invoice_id}/start",
    status_code=201,
    response_model=InvoiceDunningPublic,
    responses=start_responses(InvoiceDunningPublic),
)
async def start_dunning(
    invoice_id: uuid.UUID, p: Writer, processes: ProcessesDep, db: TenantDep, response: Response
) -> InvoiceDunningPublic:
    """Start an overdue invoice's ladder now rather than at the next daily sweep. Starting it
    again (or after the sweep did) changes nothing: 200 with the steps as they are."""
    await db.run(_overdue, invoice_id, datetime.now(UTC).date())
    planned_before = bool((await db.run(_invoice_dunning, invoice_id)).actions)
    progress = await processes.start(
        DUNNING,
        invoice_id,
        DunningWorkflow.run,
        DunningInput(processes.actor, invoice_id),
        update=DunningWorkflow.wait_planned,
        update_arg=processes.actor,
    )
    if progress is None or planned_before:
        response.status_code = 200
    out = await db.run(_invoice_dunning, invoice_id)
    out.workflow_id = processes.workflow_id(DUNNING, invoice_id)
    return out


@router.post(
    "/invoices/{invoice_id}/write-off",
    status_code=201,
    response_model=WriteOffPublic,
    responses=start_responses(WriteOffPublic),
)
async def write_off(
    invoice_id: uuid.UUID,
    _: Writer,
    processes: ProcessesDep,
    db: TenantDep,
    response: Response,
    idempotency_key: IdempotencyKeyHeader = None,
) -> WriteOffPublic:
    """Write what the invoice still owes off as bad debt: the invoice becomes uncollectible and
    its dunning stops at once (steps still scheduled are skipped)."""
    await db.run(invoices.get_invoice, invoice_id)
    request_id, replayed = await processes.claim(
        WRITE_OFF, idempotency_key, WriteOffKey(invoice_id=invoice_id)
    )
    done = await processes.start(
        WRITE_OFF,
        request_id,
        WriteOffWorkflow.run,
        WriteOffRequest(processes.actor, invoice_id),
        update=WriteOffWorkflow.write_off,
        update_arg=processes.actor,
    )
    if replayed:
        response.status_code = 200
    return WriteOffPublic(
        invoice_id=invoice_id,
        invoice_status=await db.run(_status, invoice_id),
        written_off_cents=done.written_off_cents if done else 0,
        skipped_steps=done.skipped_steps if done else 0,
        workflow_id=processes.workflow_id(WRITE_OFF, request_id),
    )


class WriteOffKey(BaseModel):
    invoice_id: uuid.UUID
