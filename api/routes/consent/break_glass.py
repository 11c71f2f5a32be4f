"""Break-glass over HTTP: open an emergency access to one resident's Part 2 records (`POST
/v1/residents/{id}/break-glass`, a reason required, 60 minutes unless asked for less or more up
to 240), and the compliance officers' review queue (`/v1/break-glass`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from api.deps import TenantDep
from api.fields import Reason
from api.processes import IdempotencyKeyHeader, ProcessesDep, start_responses
from api.routes.consent.deps import ComplianceManager, Responder
from core.enums import BreakGlassReviewOutcome
from core.process import Wait
from models.compliance_extended import BreakGlassEvent
from services.consent import break_glass
from services.residents import get_resident
from workflows.consent import CONSENT
from workflows.consent.break_glass import BreakGlassInput, BreakGlassReviewWorkflow, Review

router = APIRouter(tags=["consent"])


class BreakGlassIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"reason": "Found unresponsive; EMS asking about medications", "minutes": 60}]
        },
    )
    reason: Reason = Field(description="the emergency, in words (required; stored encrypted, reviewed)")
    minutes: int = Field(
        break_glass.DEFAULT_MINUTES,
        ge=5,
        le=break_glass.MAX_MINUTES,
        description=(
            f"how long the access lasts, in minutes (default {break_glass.DEFAULT_MINUTES},"
            f" at most {break_glass.MAX_MINUTES})"
        ),
    )


class _Claimed(BreakGlassIn):
    """What an Idempotency-Key stands for: the body and the resident in the path, so the same
    key sent for another resident is refused rather than answered with the first grant."""

    resident_id: uuid.UUID


class ReviewIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"outcome": "justified", "notes": "Overdose response; access ended on time."}]
        },
    )
    outcome: BreakGlassReviewOutcome = Field(description="justified, not_justified or needs_follow_up")
    notes: Reason = Field(description="the reviewer's findings (stored encrypted)")


class BreakGlassOut(BaseModel):
    """An emergency access. `reason` and `review_notes` only in the one-event read."""

    id: uuid.UUID = Field(description="the grant")
    resident_id: uuid.UUID = Field(description="the resident whose records it opens")
    user_id: uuid.UUID = Field(description="who opened it")
    occurred_at: datetime = Field(description="when it opened")
    expires_at: datetime = Field(description="when the access ends by itself")
    escalated_at: datetime | None = Field(None, description="when the owners were told it was not reviewed")
    reviewed_at: datetime | None = Field(None, description="when it was reviewed")
    reviewed_by_user_id: uuid.UUID | None = Field(None, description="who reviewed it")
    review_outcome: BreakGlassReviewOutcome | None = Field(None, description="the reviewer's finding")
    reason: str | None = Field(None, description="the emergency, in words (one-event read only)")
    review_notes: str | None = Field(None, description="the reviewer's findings (one-event read only)")
    workflow_id: str = Field(description="the review process")

    @classmethod
    def of(cls, ev: BreakGlassEvent, *, details: bool = False) -> BreakGlassOut:
        return cls(
            id=ev.id,
            resident_id=ev.resident_id,
            user_id=ev.user_id,
            occurred_at=ev.occurred_at,
            expires_at=ev.expires_at,
            escalated_at=ev.escalated_at,
            reviewed_at=ev.reviewed_at,
            reviewed_by_user_id=ev.reviewed_by_user_id,
            review_outcome=ev.review_outcome,
            reason=ev.reason if details else None,
            review_notes=ev.review_notes if details else None,
            workflow_id=CONSENT.id(ev.org_id, ev.id),
        )


def _one(s: Session, event_id: uuid.UUID, details: bool) -> BreakGlassOut:
    return BreakGlassOut.of(break_glass.get_event(s, event_id), details=details)


@router.post(
    "/v1/residents/{resident_id}/break-glass",
    status_code=201,
    response_model=BreakGlassOut,
    responses=start_responses(BreakGlassOut),
)
async def open_break_glass(
    resident_id: uuid.UUID,
    body: BreakGlassIn,
    _: Responder,
    processes: ProcessesDep,
    db: TenantDep,
    response: Response,
    idempotency_key: IdempotencyKeyHeader = None,
) -> BreakGlassOut:
    """Open emergency access to the resident's Part 2 fields for `minutes` (the record then
    shows `access_basis: break-glass:<id>`). Audited, and queued for a compliance officer's
    review; the org owners are told if nobody reviews it within 24 hours."""
    await db.run(get_resident, resident_id)
    claimed = _Claimed(resident_id=resident_id, **body.model_dump())
    event_id, replayed = await processes.claim(CONSENT, idempotency_key, claimed)
    inp = BreakGlassInput(processes.actor, event_id, resident_id, body.reason, body.minutes)
    await processes.start(
        CONSENT,
        event_id,
        BreakGlassReviewWorkflow.run,
        inp,
        update=BreakGlassReviewWorkflow.wait_opened,
        update_arg=Wait(processes.actor),
    )
    if replayed:
        response.status_code = 200
    return await db.run(_one, event_id, False)


@router.get("/v1/break-glass", response_model=list[BreakGlassOut])
async def list_break_glass(
    _: ComplianceManager,
    db: TenantDep,
    unreviewed: Annotated[bool, Query(description="only those not reviewed yet")] = False,
) -> list[BreakGlassOut]:
    """Emergency accesses, newest first (the review queue with `unreviewed=true`)."""
    rows = await db.run(break_glass.listing, unreviewed)
    return [BreakGlassOut.of(r) for r in rows]


@router.get("/v1/break-glass/{event_id}", response_model=BreakGlassOut)
async def get_break_glass(event_id: uuid.UUID, _: ComplianceManager, db: TenantDep) -> BreakGlassOut:
    """One emergency access with its reason and review notes (the read is audited)."""
    return await db.run(_one, event_id, True)


@router.post("/v1/break-glass/{event_id}/review", response_model=BreakGlassOut)
async def review_break_glass(
    event_id: uuid.UUID, body: ReviewIn, _: ComplianceManager, processes: ProcessesDep, db: TenantDep
) -> BreakGlassOut:
    """Record the review (once; 409 when reviewed already or by the person who opened it)."""
    await db.run(break_glass.get_event, event_id)
    await processes.update(
        CONSENT, event_id, BreakGlassReviewWorkflow.review, Review(processes.actor, body.outcome, body.notes)
    )
    return await db.run(_one, event_id, True)
