"""Leads: a staff app records an inquiry, which starts the intake workflow."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints
from sqlalchemy import select
from temporalio.client import WorkflowUpdateRPCTimeoutOrCancelledError

from activities.leads import NewLead
from api.auth import Principal
from api.deps import TemporalDep, require, tenant
from core.config import get_settings
from core.permissions import Perm
from core.temporal import org_attributes
from models.enums import LeadSource, LeadStatus
from models.residents import Lead
from workflows.intake import IntakeInput, IntakeState, IntakeWorkflow, ScreeningDecision, workflow_id

router = APIRouter(prefix="/v1/leads", tags=["leads"])
RECORD_WAIT_SECONDS = 15.0

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


class LeadPublic(BaseModel):
    id: uuid.UUID
    first_name: str
    last_name: str
    email: str | None
    phone: str | None
    source: LeadSource
    status: LeadStatus
    notes: str | None
    created_at: datetime | None
    workflow_id: str


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Annotated[str, Field(pattern="^(approve|decline)$")]
    reason_code: Annotated[str, StringConstraints(max_length=50)] | None = None


class IntakeStatus(BaseModel):
    lead_id: str
    status: str
    decided_by: str | None
    history: list[str]


def _public(lead: Lead) -> LeadPublic:
    return LeadPublic(
        id=lead.id,
        first_name=lead.first_name or "",
        last_name=lead.last_name or "",
        email=lead.email,
        phone=lead.phone,
        source=lead.source,
        status=lead.status,
        notes=lead.notes,
        created_at=lead.created_at,
        workflow_id=workflow_id(str(lead.id)),
    )


def _status(p: Principal, lead_id: uuid.UUID) -> LeadStatus:
    """Existence and status only: nothing is decrypted, so nothing is disclosed."""
    with tenant(p) as s:
        status = s.scalar(select(Lead.status).where(Lead.id == lead_id))
        if status is None:
            raise HTTPException(404, "lead not found")
        return status


def _load(p: Principal, lead_id: uuid.UUID) -> LeadPublic:
    with tenant(p) as s:
        lead = s.get(Lead, lead_id)
        if lead is None:
            raise HTTPException(404, "lead not found")
        return _public(lead)


@router.post(
    "",
    status_code=201,
    response_model=LeadPublic,
    responses={202: {"description": "Accepted; the intake workflow records the lead shortly"}},
)
async def create_lead(
    body: LeadCreate, p: Writer, client: TemporalDep, request: Request
) -> LeadPublic | JSONResponse:
    lead_id = str(uuid.uuid4())
    handle = await client.start_workflow(
        IntakeWorkflow.run,
        IntakeInput(
            org_id=str(p.org_id),
            lead_id=lead_id,
            actor_user_id=str(p.user_id),
            request_id=p.request_id,
            lead=NewLead(**body.model_dump(mode="json")),
        ),
        id=workflow_id(lead_id),
        task_queue=get_settings().task_queue,
        search_attributes=org_attributes(p.org_id) if request.app.state.search_attributes else None,
    )
    try:
        await asyncio.wait_for(handle.execute_update(IntakeWorkflow.wait_recorded), RECORD_WAIT_SECONDS)
    except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
        # No worker has recorded it yet (busy or restarting): the workflow will; say where to look.
        return JSONResponse(
            status_code=202,
            content={
                "id": lead_id,
                "workflow_id": workflow_id(lead_id),
                "status": "recording",
                "detail": "accepted; GET the lead shortly",
            },
        )
    return await asyncio.to_thread(_load, p, uuid.UUID(lead_id))


@router.get("/{lead_id}", response_model=LeadPublic)
async def get_lead(lead_id: uuid.UUID, p: Reader) -> LeadPublic:
    return await asyncio.to_thread(_load, p, lead_id)


@router.post("/{lead_id}/decision", response_model=IntakeStatus)
async def decide(lead_id: uuid.UUID, body: Decision, p: Writer, client: TemporalDep) -> IntakeStatus:
    # 404 for leads of other orgs before touching Temporal; a closed intake cannot take updates.
    status = await asyncio.to_thread(_status, p, lead_id)
    if status is not LeadStatus.NEW:
        raise HTTPException(409, f"this lead has already been screened ({status.value})")
    handle = client.get_workflow_handle(workflow_id(str(lead_id)))
    state: IntakeState = await handle.execute_update(
        IntakeWorkflow.decide, ScreeningDecision(body.decision, str(p.user_id), body.reason_code)
    )
    return IntakeStatus(**state.__dict__)


@router.get("/{lead_id}/intake", response_model=IntakeStatus)
async def intake_status(lead_id: uuid.UUID, p: Reader, client: TemporalDep) -> IntakeStatus:
    await asyncio.to_thread(_status, p, lead_id)
    state = await client.get_workflow_handle(workflow_id(str(lead_id))).query(IntakeWorkflow.state)
    if state is None:
        raise HTTPException(404, "intake not started")
    return IntakeStatus(**state.__dict__)
