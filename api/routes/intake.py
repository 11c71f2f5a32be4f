"""Leads: a staff app records an inquiry, which starts the intake workflow; staff screen it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints
from sqlalchemy.orm import Session

from api.auth import Principal
from api.deps import TenantDep, require
from api.fields import NO_NUL, Day, Trimmed
from api.pages import Limit, Offset, PageOut
from api.processes import IdempotencyKeyHeader, ProcessesDep, start_responses
from api.visible import VisibleLead
from core.contracts.intake import NewLead
from core.enums import HouseGender, LeadSource, LeadStatus
from core.errors import NotFound
from core.permissions import Perm
from core.process import Wait
from models.residents import Lead
from services import housing, intake
from services.intake import LeadFilter, LeadSort
from workflows.intake import INTAKE, Decision, IntakeInput, IntakeWorkflow, ScreeningDecision

router = APIRouter(prefix="/v1/leads", tags=["leads"])

Name = Annotated[str, Trimmed(100)]
Phone = Annotated[str, StringConstraints(pattern=r"^\+?[0-9 ().-]{7,20}$")]
Writer = Annotated[Principal, Depends(require(Perm.LEAD_WRITE))]
Reader = Annotated[Principal, Depends(require(Perm.LEAD_READ))]


class LeadCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "first_name": "Dmitri",
                    "last_name": "Alvarez",
                    "email": "dmitri@example.com",
                    "phone": "+1 919 555 0142",
                    "source": "referral_treatment",
                    "housing_gender": "men",
                    "desired_move_in_date": "2026-12-15",
                    "house_preference_id": "0b1d1c9e-2f7a-4a8e-8a57-0c5f7e1d2b33",
                }
            ]
        },
    )
    first_name: Name = Field(description="first name")
    last_name: Name = Field(description="last name")
    email: EmailStr | None = Field(None, description="e-mail address")
    phone: Phone | None = Field(None, description="phone number")
    source: LeadSource = Field(LeadSource.OTHER, description="how the inquiry arrived")
    notes: Annotated[str, StringConstraints(max_length=4000, pattern=NO_NUL)] | None = Field(
        None, description="staff notes"
    )
    date_of_birth: Day | None = Field(None, description="date of birth")
    housing_gender: HouseGender | None = Field(None, description="the house designation the person needs")
    desired_move_in_date: Day | None = Field(None, description="when the person hopes to move in")
    house_preference_id: uuid.UUID | None = Field(
        None, description="the house the person asked for; a house-scoped caller may name only their own"
    )

    def to_contract(self, referred_by_api_key_id: uuid.UUID | None = None) -> NewLead:
        return NewLead(**self.model_dump(), referred_by_api_key_id=referred_by_api_key_id)


class LeadPublic(BaseModel):
    """A lead as staff see it. Names and contact details are decrypted for the caller (and the
    read is audited); the response is never cached (`Cache-Control: no-store`)."""

    id: uuid.UUID = Field(description="the lead's id")
    first_name: str = Field(description="first name")
    last_name: str = Field(description="last name")
    email: str | None = Field(description="e-mail address, if given")
    phone: str | None = Field(description="phone number, if given")
    source: LeadSource = Field(description="how the inquiry arrived")
    status: LeadStatus = Field(description="where the lead is in intake")
    notes: str | None = Field(description="staff notes")
    date_of_birth: Day | None = Field(description="date of birth, if given")
    housing_gender: HouseGender | None = Field(description="the house designation the person needs")
    desired_move_in_date: Day | None = Field(description="when the person hopes to move in")
    house_preference_id: uuid.UUID | None = Field(None, description="the house the person prefers, if any")
    referred_by_api_key_id: uuid.UUID | None = Field(
        None, description="the referral partner's API key the lead came in through"
    )
    created_at: datetime | None = Field(description="when the inquiry was recorded")
    workflow_id: str = Field(description="the intake workflow's id")

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
            house_preference_id=lead.house_preference_id,
            referred_by_api_key_id=lead.referred_by_api_key_id,
            created_at=lead.created_at,
            workflow_id=INTAKE.id(lead.org_id, lead.id),
        )


class DecisionIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"decision": "approve", "reason_code": "meets_criteria"}]},
    )
    decision: Decision = Field(description="approve or decline")
    reason_code: Annotated[str, Trimmed(50, min_length=0)] | None = Field(
        None, description="why, as a short code (no narrative: it is stored in the clear)"
    )


class IntakeStatus(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    lead_id: uuid.UUID = Field(description="the lead")
    status: LeadStatus = Field(description="the lead's status as its intake workflow sees it")
    decided_by: uuid.UUID | None = Field(description="the user who screened it, once screened")
    history: list[LeadStatus] = Field(description="every status the lead has had, oldest first")


def _read_public(s: Session, lead_id: uuid.UUID) -> LeadPublic:
    return LeadPublic.of(intake.get_lead(s, lead_id))


@router.post("", status_code=201, response_model=LeadPublic, responses=start_responses(LeadPublic))
async def create_lead(
    body: LeadCreate,
    p: Writer,
    processes: ProcessesDep,
    db: TenantDep,
    response: Response,
    idempotency_key: IdempotencyKeyHeader = None,
) -> LeadPublic:
    """Record an inquiry and start its intake. 201 once the lead is stored; 200 when an
    `Idempotency-Key` already created it; 202 when the worker has not stored it yet."""
    if body.house_preference_id is not None:
        # Checked before the key is claimed, so a bad house leaves nothing behind.
        await db.run(housing.get_house, body.house_preference_id, "house_preference_id")
    lead_id, replayed = await processes.claim(INTAKE, idempotency_key, body)
    await processes.start(
        INTAKE,
        lead_id,
        IntakeWorkflow.run,
        # A partner's key is recorded as the referrer (README "Referral partners").
        IntakeInput(processes.actor, lead_id, body.to_contract(p.api_key_id)),
        update=IntakeWorkflow.wait_recorded,
        update_arg=Wait(processes.actor),
    )
    if replayed:
        response.status_code = 200
    return await db.run(_read_public, lead_id)


@router.get("", response_model=PageOut[LeadPublic])
async def list_leads(
    _: Reader,
    db: TenantDep,
    status: Annotated[LeadStatus | None, Query(description="only leads in this status")] = None,
    source: Annotated[LeadSource | None, Query(description="only leads from this source")] = None,
    house_id: Annotated[uuid.UUID | None, Query(description="only leads preferring this house")] = None,
    housing_gender: Annotated[
        HouseGender | None, Query(description="only leads needing this designation")
    ] = None,
    assigned_to_user_id: Annotated[
        uuid.UUID | None, Query(description="only leads assigned to this user")
    ] = None,
    sort: Annotated[LeadSort, Query(description="order; `-` for descending")] = LeadSort.CREATED_AT_DESC,
    limit: Limit = 50,
    offset: Offset = 0,
) -> PageOut[LeadPublic]:
    """The leads the caller may see (a house manager: those preferring their houses or applying
    to them), newest first unless `sort` says otherwise."""
    f = LeadFilter(status, source, house_id, housing_gender, assigned_to_user_id)
    return await db.run(_list, f, sort, limit, offset)


def _list(s: Session, f: LeadFilter, sort: LeadSort, limit: int, offset: int) -> PageOut[LeadPublic]:
    return PageOut[LeadPublic].of(intake.list_leads(s, f, sort, limit, offset), LeadPublic.of)


@router.get("/{lead_id}", response_model=LeadPublic)
async def get_lead(lead_id: uuid.UUID, _: Reader, db: TenantDep) -> LeadPublic:
    """One lead, names and contact details decrypted for the caller (the read is audited); 404 for
    a lead outside the caller's organisation or houses."""
    return await db.run(_read_public, lead_id)


@router.post("/{lead_id}/decision", response_model=IntakeStatus)
async def decide(_: Writer, lead_id: VisibleLead, body: DecisionIn, processes: ProcessesDep) -> IntakeStatus:
    """Approve or decline a lead; 409 when it has already been screened."""
    state = await processes.update(
        INTAKE,
        lead_id,
        IntakeWorkflow.decide,
        ScreeningDecision(processes.actor, body.decision, body.reason_code),
    )
    return IntakeStatus.model_validate(state)


@router.get("/{lead_id}/intake", response_model=IntakeStatus)
async def intake_status(_: Reader, lead_id: VisibleLead, processes: ProcessesDep) -> IntakeStatus:
    """Where the lead's intake workflow is: its status, who screened it and every status so far."""
    state = await processes.query(INTAKE, lead_id, IntakeWorkflow.state)
    if state is None:
        raise NotFound("intake not started", field="lead_id")
    return IntakeStatus.model_validate(state)
