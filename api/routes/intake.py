"""Leads: a staff app records an inquiry, which starts the intake workflow; staff screen it."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, EmailStr, StringConstraints
from sqlalchemy.orm import Session

from api.auth import Principal
from api.deps import TenantDep, require
from api.processes import IdempotencyKeyHeader, ProcessesDep, start_responses
from core.errors import NotFound
from core.permissions import Perm
from models.enums import HouseGender, LeadSource, LeadStatus
from models.residents import Lead
from services import intake
from services.intake import NewLead
from workflows.common import Wait
from workflows.intake import INTAKE, Decision, IntakeInput, IntakeState, IntakeWorkflow, ScreeningDecision

router = APIRouter(prefix="/v1/leads", tags=["leads"])

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9 ().-]{7,20}$")]
Writer = Annotated[Principal, Depends(require(Perm.LEAD_WRITE))]
Reader = Annotated[Principal, Depends(require(Perm.LEAD_READ))]


class LeadCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    first_name: Name
    last_name: Name
    email: EmailStr | None = None
    phone: Phone | None = None
    source: LeadSource = LeadSource.OTHER
    notes: Annotated[str, StringConstraints(max_length=4000)] | None = None
    date_of_birth: date | None = None
    housing_gender: HouseGender | None = None
    desired_move_in_date: date | None = None

    def to_contract(self) -> NewLead:
        return NewLead(**self.model_dump())


class LeadPublic(BaseModel):
    id: uuid.UUID
    first_name: str
    last_name: str
    email: str | None
    phone: str | None
    source: LeadSource
    status: LeadStatus
    notes: str | None
    date_of_birth: date | None
    housing_gender: HouseGender | None
    desired_move_in_date: date | None
    created_at: datetime | None
    workflow_id: str

    @classmethod
    def of(cls, lead: Lead) -> LeadPublic:
        return cls(
            id=lead.id,
            first_name=lead.first_name or "",
            last_name=lead.last_name or "",
            email=lead.email,
            phone=lead.phone,
            source=lead.source,
            status=lead.status,
            notes=lead.notes,
            date_of_birth=lead.date_of_birth,
            housing_gender=lead.housing_gender,
            desired_move_in_date=lead.desired_move_in_date,
            created_at=lead.created_at,
            workflow_id=INTAKE.id(lead.org_id, lead.id),
        )


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Decision
    reason_code: Annotated[str, StringConstraints(strip_whitespace=True, max_length=50)] | None = None


class IntakeStatus(BaseModel):
    lead_id: uuid.UUID
    status: LeadStatus
    decided_by: uuid.UUID | None
    history: list[LeadStatus]

    @classmethod
    def of(cls, state: IntakeState) -> IntakeStatus:
        return cls(
            lead_id=state.lead_id, status=state.status, decided_by=state.decided_by, history=state.history
        )


def _read_public(s: Session, lead_id: uuid.UUID) -> LeadPublic:
    return LeadPublic.of(intake.get_lead(s, lead_id))


@router.post("", status_code=201, response_model=LeadPublic, responses=start_responses(LeadPublic))
async def create_lead(
    body: LeadCreate,
    _: Writer,
    processes: ProcessesDep,
    db: TenantDep,
    response: Response,
    idempotency_key: IdempotencyKeyHeader = None,
) -> LeadPublic:
    """Record an inquiry and start its intake. 201 once the lead is stored; 200 when an
    `Idempotency-Key` already created it; 202 when the worker has not stored it yet."""
    lead_id, replayed = await processes.claim(INTAKE, idempotency_key, body)
    await processes.start(
        INTAKE,
        lead_id,
        IntakeWorkflow.run,
        IntakeInput(processes.actor, lead_id, body.to_contract()),
        update=IntakeWorkflow.wait_recorded,
        update_arg=Wait(processes.actor),
    )
    if replayed:
        response.status_code = 200
    return await db.run(_read_public, lead_id)


@router.get("/{lead_id}", response_model=LeadPublic)
async def get_lead(lead_id: uuid.UUID, _: Reader, db: TenantDep) -> LeadPublic:
    return await db.run(_read_public, lead_id)


@router.post("/{lead_id}/decision", response_model=IntakeStatus)
async def decide(lead_id: uuid.UUID, body: DecisionIn, _: Writer, processes: ProcessesDep) -> IntakeStatus:
    """Approve or decline a lead; 409 when it has already been screened."""
    state = await processes.update(
        INTAKE,
        lead_id,
        IntakeWorkflow.decide,
        ScreeningDecision(processes.actor, body.decision, body.reason_code),
    )
    return IntakeStatus.of(state)


@router.get("/{lead_id}/intake", response_model=IntakeStatus)
async def intake_status(lead_id: uuid.UUID, _: Reader, processes: ProcessesDep) -> IntakeStatus:
    state = await processes.query(INTAKE, lead_id, IntakeWorkflow.state)
    if state is None:
        raise NotFound("intake not started", field="lead_id")
    return IntakeStatus.of(state)
