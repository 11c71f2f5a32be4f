"""A resident's care team (`/v1/residents/{id}/care-team`): the staff whose `treatment-team`
basis lets them read the resident's Part 2 fields. Managed by staff with `consent:manage`
(assigning someone grants access to Part 2 records: a privacy decision, not a resident edit)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.deps import TenantDep
from api.routes.consent.deps import ConsentManager
from services.consent import care_team

router = APIRouter(tags=["consent"])

TeamRole = Annotated[str, StringConstraints(pattern=r"^[a-z_]{2,40}$")]


class CareTeamMemberIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"user_id": "3f2b8c1e-6d4a-4b7e-9c21-5a8d0e7f4b10", "role": "case_manager"}]
        },
    )
    user_id: uuid.UUID = Field(description="a staff user of the organisation")
    role: TeamRole = Field(description="their part in the resident's care, e.g. case_manager, counselor")


class CareTeamMemberOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID = Field(description="the assignment")
    resident_id: uuid.UUID = Field(description="the resident")
    user_id: uuid.UUID = Field(description="the staff user")
    role: str = Field(description="their part in the resident's care")
    started_at: datetime = Field(description="since when")


@router.get("/v1/residents/{resident_id}/care-team", response_model=list[CareTeamMemberOut])
async def list_care_team(resident_id: uuid.UUID, _: ConsentManager, db: TenantDep) -> list[CareTeamMemberOut]:
    """The resident's current care team."""
    rows = await db.run(care_team.members, resident_id)
    return [CareTeamMemberOut.model_validate(r) for r in rows]


@router.post("/v1/residents/{resident_id}/care-team", status_code=201, response_model=CareTeamMemberOut)
async def add_to_care_team(
    resident_id: uuid.UUID, body: CareTeamMemberIn, p: ConsentManager, db: TenantDep
) -> CareTeamMemberOut:
    """Assign a staff user to the resident's care team (their `treatment-team` basis starts
    now); assigning someone already on it returns their assignment."""
    row = await db.run(care_team.add_member, resident_id, body.user_id, body.role, p.person)
    return CareTeamMemberOut.model_validate(row)


@router.delete("/v1/residents/{resident_id}/care-team/{user_id}", status_code=204)
async def remove_from_care_team(
    resident_id: uuid.UUID, user_id: uuid.UUID, p: ConsentManager, db: TenantDep
) -> Response:
    """End a staff user's assignment: their `treatment-team` basis ends at once."""
    await db.run(care_team.remove_member, resident_id, user_id, datetime.now(UTC), p.person)
    return Response(status_code=204)
