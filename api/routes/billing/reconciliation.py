"""Reconciliation, billing's check against Stripe: the records of each day's Stripe-vs-ledger
match (every mismatch named), and a run for one day on demand (the same process the daily
Schedule starts)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from api.deps import TenantDep
from api.fields import Day
from api.processes import ProcessesDep, start_responses
from api.routes.billing.deps import Reader, Writer
from core.enums import ReconciliationStatus
from services.billing import reconciliation
from workflows.billing.reconciliation import RECONCILIATION, ReconcileDay, ReconciliationWorkflow

router = APIRouter(prefix="/v1/reconciliation", tags=["reconciliation"])

# One run per (org, day): its process key is derived from the day.
RUN_NAMESPACE = uuid.UUID("5d0b0c3e-2f7a-4b8e-8c1d-3e9a7f2b6c41")


class RecordPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    reconciled_on: Day | None
    transaction_type: str
    stripe_balance_transaction_id: str | None
    stripe_payout_id: str | None
    payment_id: uuid.UUID | None
    refund_id: uuid.UUID | None
    gross_amount_cents: int
    fee_amount_cents: int
    net_amount_cents: int
    ledger_amount_cents: int | None
    status: ReconciliationStatus
    # None when matched.
    mismatch: str | None


class RunIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"day": "2026-12-04"}]})
    day: Day


class RunPublic(BaseModel):
    day: Day
    matched: int
    mismatches: dict[str, int]
    clean: bool
    skipped: str | None = Field(
        None, description="why the day was not reconciled (e.g. Stripe is not configured)"
    )


def _records(s: Session, day: date | None, mismatches_only: bool) -> list[RecordPublic]:
    return [RecordPublic.model_validate(r) for r in reconciliation.records(s, day, mismatches_only)]


def _record(s: Session, record_id: uuid.UUID) -> RecordPublic:
    return RecordPublic.model_validate(reconciliation.get_record(s, record_id))


@router.get("/records", response_model=list[RecordPublic])
async def list_records(
    _: Reader,
    db: TenantDep,
    day: Day | None = None,
    mismatches_only: Annotated[bool, Query(description="only what does not match")] = False,
) -> list[RecordPublic]:
    """The reconciliation records, newest day first (at most 1000)."""
    return await db.run(_records, day, mismatches_only)


@router.get("/records/{record_id}", response_model=RecordPublic)
async def get_record(record_id: uuid.UUID, _: Reader, db: TenantDep) -> RecordPublic:
    """One reconciliation record: a Stripe transaction and what the ledger says of it."""
    return await db.run(_record, record_id)


@router.post("/runs", status_code=201, response_model=RunPublic, responses=start_responses(RunPublic))
async def run_day(body: RunIn, _: Writer, processes: ProcessesDep) -> RunPublic:
    """Reconcile one day now (e.g. after fixing what a run found). The same day's run is one
    process per org; its records are updated in place."""
    key = uuid.uuid5(RUN_NAMESPACE, body.day.isoformat())
    summary = await processes.start(
        RECONCILIATION,
        key,
        ReconciliationWorkflow.run,
        ReconcileDay(processes.actor, body.day),
        update=ReconciliationWorkflow.wait_summary,
        update_arg=processes.actor,
    )
    if summary is None:
        # That day's run finished earlier: start it again so it sees today's ledger.
        summary = await processes.start(
            RECONCILIATION,
            uuid.uuid4(),
            ReconciliationWorkflow.run,
            ReconcileDay(processes.actor, body.day),
            update=ReconciliationWorkflow.wait_summary,
            update_arg=processes.actor,
        )
    assert summary is not None
    return RunPublic(
        day=summary.day,
        matched=summary.matched,
        mismatches=summary.mismatches,
        clean=summary.clean and summary.skipped is None,
        skipped=summary.skipped,
    )
