"""Follow-up after discharge over HTTP: a resident's consent to be asked (`resident:write`, the
resident in the caller's scope) and the outcomes report (`reports:read`; small cells
suppressed)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool
from sqlalchemy.orm import Session

from api.auth import Principal
from api.deps import TenantDep, require
from api.errors import problem_responses
from api.pages import Limit, Offset
from api.routes.reports.common import Format, FormatQ, ReportOut, ReportReader, answer, report_responses
from api.visible import VisibleResident
from core.permissions import Perm
from services.reports import outcomes

router = APIRouter(tags=["reports"])
Writer = Annotated[Principal, Depends(require(Perm.RESIDENT_WRITE))]


class ConsentIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"consented": True}]})

    consented: StrictBool = Field(
        description="yes to follow-up at 30, 90 and 180 days; no withdraws it at once"
    )


class ConsentOut(BaseModel):
    resident_id: uuid.UUID
    consented: bool
    consented_at: datetime
    withdrawn_at: datetime | None


def _consent(s: Session, resident_id: uuid.UUID, consented: bool) -> ConsentOut:
    row = outcomes.set_consent(s, resident_id, consented, datetime.now(UTC))
    return ConsentOut(
        resident_id=resident_id,
        consented=row.withdrawn_at is None,
        consented_at=row.consented_at,
        withdrawn_at=row.withdrawn_at,
    )


@router.put(
    "/v1/residents/{resident_id}/follow-up-consent",
    response_model=ConsentOut,
    responses=problem_responses(403, 404, 422),
    summary="Consent to follow-up after discharge",
)
async def follow_up_consent(
    _: Writer, resident_id: VisibleResident, db: TenantDep, body: ConsentIn
) -> ConsentOut:
    """Record the resident's yes (or no) to being asked how they are doing 30, 90 and 180 days
    after they leave. No stops every survey not yet answered, at once."""
    return await db.run(_consent, resident_id, body.consented)


@router.get(
    "/v1/reports/outcomes",
    response_model=ReportOut,
    responses=report_responses(),
    summary="Outcomes",
)
async def outcomes_report(
    _: ReportReader,
    db: TenantDep,
    house_id: Annotated[uuid.UUID | None, Query(description="one house only")] = None,
    format: FormatQ = Format.JSON,
    limit: Limit = 50,
    offset: Offset = 0,
) -> ReportOut | Response:
    """Per wave (30, 90, 180 days): surveys sent, answered, "no contact", and each question's
    answers counted; a count under 11 is suppressed (null)."""
    return await answer(db, lambda s: outcomes.outcomes_report(s, house_id), format, limit, offset)
