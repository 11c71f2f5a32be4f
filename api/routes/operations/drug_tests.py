"""Drug tests over HTTP: the day's random draws (list, one, and its recomputation from the
record: what an auditor runs), a specimen collected (scheduled, for cause, or random naming its
draw), a result recorded (its workflow assesses it against the resident's prescriptions and
opens a recurrence incident when one), and the list of tests."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, StrictBool
from sqlalchemy.orm import Session

from api.deps import TenantDep
from api.fields import Reason
from api.pages import Limit, Offset, PageOut
from api.processes import ProcessesDep
from api.routes.operations.guards import DrawReader, Staff, VisibleTest, visible_resident
from core.config import get_settings
from core.contracts.safety import Result
from core.enums import DrugTestResult, DrugTestType
from core.errors import Conflict, Rejected
from core.process import Wait
from models.operations import DrugTest
from models.operations_safety import DrugTestDraw
from services.operations import drug_tests
from services.operations.drug_tests import Basis, Collection, TestFilter
from workflows.operations import OPERATIONS
from workflows.operations.drug_tests import DrugTestResultWorkflow, ResultInput, ResultOutcome

router = APIRouter(tags=["operations"])


class DrugTestDrawPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    house_id: uuid.UUID
    draw_date: date
    rate_bp: int = Field(description="each eligible resident's chance, in basis points")
    weekly_cap: int
    eligible: list[str] = Field(description="resident ids, sorted as the HMAC message lists them")
    weekly_counts: dict[str, int] = Field(description="tests each already had that week")
    selected: list[str]
    key_id: str = Field(description="fingerprint of the draw key used")


class DrawVerification(BaseModel):
    draw_id: uuid.UUID
    house_id: uuid.UUID
    draw_date: date
    key_id: str
    key_matches: bool = Field(description="false when the draw was made with a key no longer held")
    recorded: list[uuid.UUID]
    recomputed: list[uuid.UUID]
    equal: bool


def _draws(
    s: Session, house_id: uuid.UUID | None, day: date | None, limit: int, offset: int
) -> PageOut[DrugTestDrawPublic]:
    return PageOut[DrugTestDrawPublic].of(
        drug_tests.list_draws(s, house_id, day, limit, offset), DrugTestDrawPublic.model_validate
    )


@router.get("/v1/operations/drug-test-draws", response_model=PageOut[DrugTestDrawPublic])
async def list_draws(
    _: DrawReader,
    db: TenantDep,
    house_id: Annotated[uuid.UUID | None, Query(description="only this house's draws")] = None,
    draw_date: Annotated[date | None, Query(description="only this day's")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> PageOut[DrugTestDrawPublic]:
    """The random draws of the caller's houses, latest day first, each with its inputs."""
    return await db.run(_draws, house_id, draw_date, limit, offset)


def _draw(s: Session, draw_id: uuid.UUID) -> DrugTestDrawPublic:
    return DrugTestDrawPublic.model_validate(drug_tests.get_draw(s, draw_id))


@router.get("/v1/operations/drug-test-draws/{draw_id}", response_model=DrugTestDrawPublic)
async def get_draw(_: DrawReader, draw_id: uuid.UUID, db: TenantDep) -> DrugTestDrawPublic:
    """One draw with its inputs (row-level security: 404 outside the caller's houses)."""
    return await db.run(_draw, draw_id)


def _verify(s: Session, draw_id: uuid.UUID) -> DrawVerification:
    v = drug_tests.verify(s, get_settings().draw_key(), draw_id)
    return DrawVerification(
        draw_id=v.draw_id,
        house_id=v.house_id,
        draw_date=v.draw_date,
        key_id=v.key_id,
        key_matches=v.key_matches,
        recorded=v.recorded,
        recomputed=v.recomputed,
        equal=v.equal,
    )


@router.get("/v1/operations/drug-test-draws/{draw_id}/verification", response_model=DrawVerification)
async def verify_draw(_: DrawReader, draw_id: uuid.UUID, db: TenantDep) -> DrawVerification:
    """Recompute the draw from its recorded inputs with the draw key and compare."""
    return await db.run(_verify, draw_id)


class DrugTestIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "resident_id": "5e8a7d2c-9b1f-4c3e-a6d4-2f0b8e1c7a95",
                    "test_type": "urine",
                    "basis": "for_cause",
                    "collected_at": "2026-12-06T15:00:00Z",
                    "chain_of_custody_id": "COC-000123",
                    "reason": "Missed curfew",
                }
            ]
        },
    )
    resident_id: uuid.UUID
    test_type: DrugTestType
    basis: Basis = Field(description="scheduled, for_cause or random")
    collected_at: datetime
    chain_of_custody_id: str | None = Field(None, max_length=64, description="the custody form's number")
    observed_collection: StrictBool = False
    reason: Reason | None = Field(None, description="for a for-cause test (stored encrypted)")
    draw_id: uuid.UUID | None = Field(None, description="for a random test: the draw that chose them")


class DrugTestPublic(BaseModel):
    id: uuid.UUID
    resident_id: uuid.UUID
    house_id: uuid.UUID | None
    test_type: DrugTestType
    result: DrugTestResult
    is_random: bool
    collected_at: datetime
    resulted_at: datetime | None
    chain_of_custody_id: str | None

    @classmethod
    def of(cls, t: DrugTest) -> DrugTestPublic:
        return cls(
            id=t.id,
            resident_id=t.resident_id,
            house_id=t.house_id,
            test_type=t.test_type,
            result=t.result,
            is_random=t.is_random,
            collected_at=t.collected_at,
            resulted_at=t.resulted_at,
            chain_of_custody_id=t.chain_of_custody_id,
        )


def _collect(s: Session, test_id: uuid.UUID, c: Collection, by: uuid.UUID | None) -> DrugTestPublic:
    return DrugTestPublic.of(drug_tests.collect(s, test_id, c, by))


@router.post("/v1/operations/drug-tests", status_code=201, response_model=DrugTestPublic)
async def collect(p: Staff, body: DrugTestIn, db: TenantDep) -> DrugTestPublic:
    """A specimen collected; its result comes later."""
    await visible_resident(db, body.resident_id)
    c = Collection(
        body.resident_id,
        body.test_type,
        body.basis,
        body.collected_at,
        body.chain_of_custody_id,
        body.observed_collection,
        body.reason,
        body.draw_id,
    )
    return await db.run(_collect, uuid.uuid4(), c, p.user_id)


class DrugTestResultIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "result": "positive",
                    "resulted_at": "2026-12-07T15:00:00Z",
                    "substances": [{"substance": "buprenorphine", "level": "120 ng/mL"}],
                }
            ]
        },
    )
    result: DrugTestResult
    resulted_at: datetime
    substances: list[dict[str, Any]] = Field(
        default_factory=list, description='[{"substance": "...", "level": "..."}]'
    )
    lab: dict[str, Any] = Field(
        default_factory=dict, description="lab name, accession number, panel, MRO review"
    )
    notes: Reason | None = None


class DrugTestResultOut(BaseModel):
    test_id: uuid.UUID
    result: DrugTestResult
    recurrence: bool = Field(
        description="a recurrence of use: refused, or positive for something not prescribed"
    )
    explained: int = Field(description="substances a recorded prescription explains (MOUD included)")
    unexplained: int
    incident_id: uuid.UUID | None


@router.post("/v1/operations/drug-tests/{test_id}/result", response_model=DrugTestResultOut)
async def record_result(
    _: Staff, test_id: VisibleTest, body: DrugTestResultIn, processes: ProcessesDep
) -> DrugTestResultOut:
    """Record the result; a recurrence opens an incident with the house's response plan and
    tells the house manager."""
    if body.result is DrugTestResult.PENDING:
        raise Rejected("a result is not pending", field="result")
    r = Result(body.result, body.resulted_at, body.substances, body.lab, body.notes)
    out: ResultOutcome | None = await processes.start(
        OPERATIONS,
        test_id,
        DrugTestResultWorkflow.run,
        ResultInput(processes.actor, test_id, r),
        update=DrugTestResultWorkflow.outcome,
        update_arg=Wait(processes.actor),
    )
    if out is None:
        raise Conflict("this test's result is already recorded", field="test_id")
    a = out.assessed
    return DrugTestResultOut(
        test_id=a.test_id,
        result=a.result,
        recurrence=a.recurrence,
        explained=a.explained,
        unexplained=a.unexplained,
        incident_id=out.incident_id,
    )


def _tests(s: Session, f: TestFilter, limit: int, offset: int) -> PageOut[DrugTestPublic]:
    return PageOut[DrugTestPublic].of(drug_tests.list_tests(s, f, limit, offset), DrugTestPublic.of)


@router.get("/v1/operations/drug-tests", response_model=PageOut[DrugTestPublic])
async def list_tests(
    _: Staff,
    db: TenantDep,
    house_id: Annotated[uuid.UUID | None, Query()] = None,
    resident_id: Annotated[uuid.UUID | None, Query()] = None,
    result: Annotated[DrugTestResult | None, Query()] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> PageOut[DrugTestPublic]:
    """Drug tests in the caller's houses, latest collection first (results as statuses only)."""
    return await db.run(_tests, TestFilter(house_id, resident_id, result), limit, offset)


__all__ = ["DrugTestDraw", "router"]
