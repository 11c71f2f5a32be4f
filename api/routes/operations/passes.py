"""Passes over HTTP: request one (its workflow starts), answer it with conditions or a reason,
record the departure and the return; the list and one pass. The workflow escalates a pass not
back by its return time and grace."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool
from sqlalchemy.orm import Session

from api.deps import TenantDep
from api.fields import Reason
from api.pages import Limit, Offset, PageOut
from api.processes import IdempotencyKeyHeader, Processes, ProcessesDep, start_responses
from api.routes.operations.guards import Staff, VisiblePass, visible_resident
from core.config import get_settings
from core.contracts.safety import PassRequest
from core.enums import PassStatus, PassType
from core.process import Wait
from models.operations import Pass
from services.operations import passes
from services.operations.passes import PassFilter
from workflows.operations import OPERATIONS
from workflows.operations.passes import Decision, PassInput, PassWorkflow

router = APIRouter(tags=["operations"])


class PassIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "resident_id": "5e8a7d2c-9b1f-4c3e-a6d4-2f0b8e1c7a95",
                    "pass_type": "day",
                    "departs_at": "2026-12-06T14:00:00Z",
                    "returns_at": "2026-12-06T20:00:00Z",
                    "destination": "Family visit",
                }
            ]
        },
    )
    resident_id: uuid.UUID = Field(description="who asks for the pass")
    pass_type: PassType = Field(description="day, overnight, weekend or extended")
    departs_at: datetime = Field(description="when they leave")
    returns_at: datetime = Field(description="when they are expected back")
    destination: Reason | None = Field(None, description="where they will be (stored encrypted)")
    reason: Reason | None = Field(None, description="why (stored encrypted)")


class PassPublic(BaseModel):
    id: uuid.UUID
    resident_id: uuid.UUID
    house_id: uuid.UUID
    pass_type: PassType
    status: PassStatus
    departs_at: datetime
    returns_at: datetime
    actual_departed_at: datetime | None
    actual_returned_at: datetime | None
    decided_at: datetime | None
    conditions: str | None
    workflow_id: str

    @classmethod
    def of(cls, p: Pass) -> PassPublic:
        return cls(
            id=p.id,
            resident_id=p.resident_id,
            house_id=p.house_id,
            pass_type=p.pass_type,
            status=p.status,
            departs_at=p.departs_at,
            returns_at=p.returns_at,
            actual_departed_at=p.actual_departed_at,
            actual_returned_at=p.actual_returned_at,
            decided_at=p.decided_at,
            conditions=p.conditions,
            workflow_id=OPERATIONS.id(p.org_id, p.id),
        )


async def start_pass(processes: Processes, pass_id: uuid.UUID, req: PassRequest) -> None:
    """Start the pass's process (staff's request here, or the resident's from their own page)
    and wait, boundedly, until it has recorded the request."""
    await processes.start(
        OPERATIONS,
        pass_id,
        PassWorkflow.run,
        PassInput(processes.actor, pass_id, req, get_settings().pass_grace_minutes),
        update=PassWorkflow.wait_requested,
        update_arg=Wait(processes.actor),
    )


def _read(s: Session, pass_id: uuid.UUID) -> PassPublic:
    return PassPublic.of(passes.get_pass(s, pass_id))


@router.post(
    "/v1/operations/passes", status_code=201, response_model=PassPublic, responses=start_responses(PassPublic)
)
async def request_pass(
    _: Staff,
    body: PassIn,
    db: TenantDep,
    processes: ProcessesDep,
    response: Response,
    idempotency_key: IdempotencyKeyHeader = None,
) -> PassPublic:
    """Record a pass request; its workflow then waits for a decision, the departure and the
    return, and escalates when the resident is not back by `returns_at` and the grace."""
    req = PassRequest(
        body.resident_id, body.pass_type, body.departs_at, body.returns_at, body.destination, body.reason
    )
    passes.check_request(req)
    await visible_resident(db, body.resident_id)
    pass_id, replayed = await processes.claim(OPERATIONS, idempotency_key, body)
    await start_pass(processes, pass_id, req)
    if replayed:
        response.status_code = 200
    return await db.run(_read, pass_id)


class PassDecisionIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"approve": True, "note": "Call at 3 pm"}]}
    )
    approve: StrictBool = Field(description="true: approved (with `note` as its conditions); false: denied")
    note: Reason | None = Field(None, description="the conditions, or the reason for a denial")
    test_on_return: StrictBool = Field(False, description="a drug test when they come back")


@router.post("/v1/operations/passes/{pass_id}/decision", response_model=PassPublic)
async def decide(
    _: Staff, pass_id: VisiblePass, body: PassDecisionIn, db: TenantDep, processes: ProcessesDep
) -> PassPublic:
    """Approve with conditions or deny; 422 naming `pass_id` when it is not waiting for one."""
    d = Decision(processes.actor, body.approve, body.note, body.test_on_return)
    await processes.update(OPERATIONS, pass_id, PassWorkflow.decide, d)
    return await db.run(_read, pass_id)


@router.post("/v1/operations/passes/{pass_id}/departure", response_model=PassPublic)
async def depart(_: Staff, pass_id: VisiblePass, db: TenantDep, processes: ProcessesDep) -> PassPublic:
    """The resident left on the approved pass: the return clock runs."""
    await processes.update(OPERATIONS, pass_id, PassWorkflow.depart, Wait(processes.actor))
    return await db.run(_read, pass_id)


@router.post("/v1/operations/passes/{pass_id}/return", response_model=PassPublic)
async def check_back(_: Staff, pass_id: VisiblePass, db: TenantDep, processes: ProcessesDep) -> PassPublic:
    """The resident checked back in: completed on time, violated when late."""
    await processes.update(OPERATIONS, pass_id, PassWorkflow.check_back, Wait(processes.actor))
    return await db.run(_read, pass_id)


@router.get("/v1/operations/passes/{pass_id}", response_model=PassPublic)
async def get_pass(_: Staff, pass_id: VisiblePass, db: TenantDep) -> PassPublic:
    """One pass; 404 naming `pass_id` outside the caller's houses."""
    return await db.run(_read, pass_id)


def _list(s: Session, f: PassFilter, limit: int, offset: int) -> PageOut[PassPublic]:
    return PageOut[PassPublic].of(passes.list_passes(s, f, limit, offset), PassPublic.of)


@router.get("/v1/operations/passes", response_model=PageOut[PassPublic])
async def list_passes(
    _: Staff,
    db: TenantDep,
    house_id: Annotated[uuid.UUID | None, Query(description="only this house's passes")] = None,
    resident_id: Annotated[uuid.UUID | None, Query(description="only this resident's")] = None,
    status: Annotated[PassStatus | None, Query(description="only passes in this status")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> PageOut[PassPublic]:
    """Passes in the caller's houses, latest departure first."""
    return await db.run(_list, PassFilter(house_id, resident_id, status), limit, offset)
