"""§2.26 restrictions over HTTP (`/v1/residents/<id>/restrictions`): staff record a resident's
request, answer it (granted or denied, with the reason given to the resident) and terminate a
granted one. A granted restriction refuses matching disclosures with `restricted`."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StrictBool
from sqlalchemy.orm import Session

from api.deps import TenantDep
from api.errors import problem_responses
from api.fields import Reason
from api.routes.consent.disclosures import ConsentManager, Name
from api.visible import VisibleResident
from core.contracts.consent import InformationClass, Purpose, RecipientClass, RestrictionStatus
from models.part2 import DisclosureRestriction
from services.consent import restrictions
from services.consent.restrictions import RestrictionAsked

router = APIRouter(tags=["disclosures"])


class RestrictionIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"recipient_class": "health_plan", "health_plan_paid_in_full": True}]
        },
    )
    recipient_class: RecipientClass | None = Field(None, description="no disclosure to this class")
    recipient: Name | None = Field(None, description="no disclosure to this named recipient")
    information_classes: list[InformationClass] = Field(
        default_factory=list, max_length=len(InformationClass), description="of these kinds (empty: any)"
    )
    purposes: list[Purpose] = Field(
        default_factory=list, max_length=len(Purpose), description="for these (empty: any)"
    )
    health_plan_paid_in_full: StrictBool = Field(
        False, description="to a health plan, for services paid in full out of pocket: must be granted"
    )


class RestrictionDecisionIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"granted": True, "reason": "Paid in full out of pocket: granted."}]},
    )
    granted: StrictBool
    reason: Reason = Field(description="told to the resident")


class RestrictionOut(BaseModel):
    id: uuid.UUID
    resident_id: uuid.UUID
    requested_at: datetime
    recipient_class: str | None
    recipient: str | None
    information_classes: list[str]
    purposes: list[str]
    health_plan_paid_in_full: bool
    status: RestrictionStatus
    decided_at: datetime | None
    decision_reason: str | None
    terminated_at: datetime | None

    @classmethod
    def of(cls, r: DisclosureRestriction) -> RestrictionOut:
        return cls(
            id=r.id,
            resident_id=r.resident_id,
            requested_at=r.requested_at,
            recipient_class=r.recipient_class,
            recipient=r.recipient,
            information_classes=list(r.information_classes),
            purposes=list(r.purposes),
            health_plan_paid_in_full=r.health_plan_paid_in_full,
            status=r.status,
            decided_at=r.decided_at,
            decision_reason=r.decision_reason,
            terminated_at=r.terminated_at,
        )


def _request(s: Session, ask: RestrictionAsked) -> RestrictionOut:
    return RestrictionOut.of(restrictions.request(s, ask))


@router.post(
    "/v1/residents/{resident_id}/restrictions",
    status_code=201,
    response_model=RestrictionOut,
    responses=problem_responses(404, 422),
)
async def request_restriction(
    p: ConsentManager, resident_id: VisibleResident, body: RestrictionIn, db: TenantDep
) -> RestrictionOut:
    """Record the resident's request to restrict disclosures of their records (§2.26)."""
    ask = RestrictionAsked(
        uuid.uuid4(),
        resident_id,
        datetime.now(UTC),
        p.person,
        body.recipient_class,
        body.recipient,
        tuple(body.information_classes),
        tuple(body.purposes),
        body.health_plan_paid_in_full,
    )
    return await db.run(_request, ask)


def _list(s: Session, resident_id: uuid.UUID) -> list[RestrictionOut]:
    return [RestrictionOut.of(r) for r in restrictions.list_restrictions(s, resident_id)]


@router.get("/v1/residents/{resident_id}/restrictions", response_model=list[RestrictionOut])
async def list_restrictions(
    _: ConsentManager, resident_id: VisibleResident, db: TenantDep
) -> list[RestrictionOut]:
    """The resident's restriction requests and their answers, oldest first."""
    return await db.run(_list, resident_id)


def _decide(
    s: Session,
    resident_id: uuid.UUID,
    restriction_id: uuid.UUID,
    body: RestrictionDecisionIn,
    user_id: uuid.UUID,
) -> RestrictionOut:
    row = restrictions.decide(
        s, resident_id, restriction_id, body.granted, body.reason, datetime.now(UTC), user_id
    )
    return RestrictionOut.of(row)


@router.post(
    "/v1/residents/{resident_id}/restrictions/{restriction_id}/decision",
    response_model=RestrictionOut,
    responses=problem_responses(404, 409, 422),
)
async def decide_restriction(
    p: ConsentManager,
    resident_id: VisibleResident,
    restriction_id: uuid.UUID,
    body: RestrictionDecisionIn,
    db: TenantDep,
) -> RestrictionOut:
    """Grant or deny the request; 409 for denying a health-plan paid-in-full restriction (it must
    be granted) or for changing an answer already given."""
    return await db.run(_decide, resident_id, restriction_id, body, p.person)


def _terminate(s: Session, resident_id: uuid.UUID, restriction_id: uuid.UUID) -> RestrictionOut:
    return RestrictionOut.of(restrictions.terminate(s, resident_id, restriction_id, datetime.now(UTC)))


@router.post(
    "/v1/residents/{resident_id}/restrictions/{restriction_id}/termination",
    response_model=RestrictionOut,
    responses=problem_responses(404, 409),
)
async def terminate_restriction(
    _: ConsentManager, resident_id: VisibleResident, restriction_id: uuid.UUID, db: TenantDep
) -> RestrictionOut:
    """End a granted restriction; later disclosures are no longer held back by it."""
    return await db.run(_terminate, resident_id, restriction_id)
