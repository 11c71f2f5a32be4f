"""Incidents over HTTP: report one (its workflow stores it and runs the state-report clock where
the house's state has one), the list (filterable to reports still owed), one incident with its
follow-up tasks, and the state report made."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool
from sqlalchemy.orm import Session

from api.deps import TenantDep
from api.fields import Int, Reason
from api.pages import Limit, Offset, PageOut
from api.processes import IdempotencyKeyHeader, ProcessesDep, start_responses
from api.routes.operations.guards import Staff, VisibleIncident, visible_resident
from core.contracts.safety import FollowUp, NewIncident
from core.enums import IncidentSeverity, IncidentStatus, IncidentType, Priority
from core.process import Wait
from models.operations import Incident
from services.operations import incidents
from services.operations.incidents import IncidentFilter
from workflows.operations import OPERATIONS
from workflows.operations.incidents import IncidentInput, IncidentWorkflow

router = APIRouter(tags=["operations"])


class IncidentFollowUpIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: Reason
    due_in_hours: Int = Field(ge=1, le=24 * 90)
    priority: Priority = Priority.NORMAL


class IncidentIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "house_id": "0b1d1c9e-2f7a-4a8e-8a57-0c5f7e1d2b33",
                    "incident_type": "police",
                    "severity": "medium",
                    "occurred_at": "2026-12-06T03:10:00Z",
                    "description": "Police called to the porch.",
                    "police_involved": True,
                    "follow_ups": [{"title": "Write the state report", "due_in_hours": 24}],
                }
            ]
        },
    )
    house_id: uuid.UUID
    resident_id: uuid.UUID | None = None
    involved_resident_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)
    incident_type: IncidentType
    severity: IncidentSeverity
    occurred_at: datetime
    description: Reason = Field(description="what happened (stored encrypted)")
    actions_taken: Reason | None = None
    location: str | None = Field(None, max_length=200)
    police_involved: StrictBool = False
    ems_involved: StrictBool = False
    naloxone_administered: StrictBool = False
    follow_ups: list[IncidentFollowUpIn] = Field(default_factory=list, max_length=20)


class IncidentTask(BaseModel):
    id: uuid.UUID
    title: str
    status: str
    priority: Priority
    due_at: datetime | None
    assigned_to_user_id: uuid.UUID | None


class IncidentPublic(BaseModel):
    id: uuid.UUID
    house_id: uuid.UUID | None
    resident_id: uuid.UUID | None
    incident_type: IncidentType
    severity: IncidentSeverity
    status: IncidentStatus
    occurred_at: datetime
    state_report_due_at: datetime | None = Field(description="the state's deadline, when it wants a report")
    state_reported_at: datetime | None
    drug_test_id: uuid.UUID | None
    tasks: list[IncidentTask] = Field(default_factory=list)

    @classmethod
    def of(cls, i: Incident, tasks: list[IncidentTask] | None = None) -> IncidentPublic:
        return cls(
            id=i.id,
            house_id=i.house_id,
            resident_id=i.resident_id,
            incident_type=i.incident_type,
            severity=i.severity,
            status=i.status,
            occurred_at=i.occurred_at,
            state_report_due_at=i.state_report_due_at,
            state_reported_at=i.state_reported_at,
            drug_test_id=i.drug_test_id,
            tasks=tasks or [],
        )


def _read(s: Session, incident_id: uuid.UUID) -> IncidentPublic:
    i = incidents.get_incident(s, incident_id)
    tasks = [
        IncidentTask(
            id=t.id,
            title=t.title or "",
            status=t.status.value,
            priority=t.priority,
            due_at=t.due_at,
            assigned_to_user_id=t.assigned_to_user_id,
        )
        for t in incidents.tasks_of(s, incident_id)
    ]
    return IncidentPublic.of(i, tasks)


def _house(s: Session, house_id: uuid.UUID) -> None:
    from services import housing

    housing.get_house(s, house_id)


@router.post(
    "/v1/operations/incidents",
    status_code=201,
    response_model=IncidentPublic,
    responses=start_responses(IncidentPublic),
)
async def report_incident(
    _: Staff,
    body: IncidentIn,
    db: TenantDep,
    processes: ProcessesDep,
    response: Response,
    idempotency_key: IdempotencyKeyHeader = None,
) -> IncidentPublic:
    """Record an incident with its follow-up tasks; where the house's state wants a report
    (Pennsylvania: 3 business days) its clock starts."""
    await db.run(_house, body.house_id)
    for rid in [body.resident_id, *body.involved_resident_ids]:
        if rid is not None:
            await visible_resident(db, rid)
    new = NewIncident(
        body.house_id,
        body.resident_id,
        body.incident_type,
        body.severity,
        body.occurred_at,
        body.description,
        body.involved_resident_ids,
        body.actions_taken,
        body.location,
        body.police_involved,
        body.ems_involved,
        body.naloxone_administered,
        None,
        [FollowUp(f.title, f.due_in_hours, f.priority) for f in body.follow_ups],
    )
    incidents.check_new(new)
    incident_id, replayed = await processes.claim(OPERATIONS, idempotency_key, body)
    await processes.start(
        OPERATIONS,
        incident_id,
        IncidentWorkflow.run,
        IncidentInput(processes.actor, incident_id, new),
        update=IncidentWorkflow.wait_opened,
        update_arg=Wait(processes.actor),
    )
    if replayed:
        response.status_code = 200
    return await db.run(_read, incident_id)


@router.get("/v1/operations/incidents/{incident_id}", response_model=IncidentPublic)
async def get_incident(_: Staff, incident_id: VisibleIncident, db: TenantDep) -> IncidentPublic:
    """One incident with its follow-up tasks and state-report clock."""
    return await db.run(_read, incident_id)


@router.post("/v1/operations/incidents/{incident_id}/state-report", response_model=IncidentPublic)
async def state_report_made(
    _: Staff, incident_id: VisibleIncident, db: TenantDep, processes: ProcessesDep
) -> IncidentPublic:
    """The written report reached the state: the clock stops (409 when none was due)."""
    await processes.update(OPERATIONS, incident_id, IncidentWorkflow.report_made, Wait(processes.actor))
    return await db.run(_read, incident_id)


def _list(s: Session, f: IncidentFilter, limit: int, offset: int) -> PageOut[IncidentPublic]:
    return PageOut[IncidentPublic].of(incidents.list_incidents(s, f, limit, offset), IncidentPublic.of)


@router.get("/v1/operations/incidents", response_model=PageOut[IncidentPublic])
async def list_incidents(
    _: Staff,
    db: TenantDep,
    house_id: Annotated[uuid.UUID | None, Query()] = None,
    resident_id: Annotated[uuid.UUID | None, Query()] = None,
    incident_type: Annotated[IncidentType | None, Query()] = None,
    status: Annotated[IncidentStatus | None, Query()] = None,
    report_pending: Annotated[
        bool | None, Query(description="only incidents whose state report is owed")
    ] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> PageOut[IncidentPublic]:
    """Incidents in the caller's houses, latest first; `report_pending` lists reports still owed."""
    f = IncidentFilter(house_id, resident_id, incident_type, status, report_pending)
    return await db.run(_list, f, limit, offset)
