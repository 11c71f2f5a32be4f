"""One resident's record with its Part 2 fields, shown only on a basis (`GET
/v1/residents/{id}/record`).

Without a basis the Part 2 fields are absent from the JSON (not null, not empty): the response
model is served with `exclude_unset`, and only a read with a basis sets them. With a basis, a
field the record lacks is `null`. The response names its `access_basis` and, like every /v1
response, is `Cache-Control: no-store`. Counseling notes are never part of it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.deps import TenantDep
from api.fields import Day
from api.routes.consent.deps import ResidentReader, caller
from core.enums import ResidentStatus
from services.consent.record import Part2Discharge, Record, read_record

router = APIRouter(tags=["consent"])

ABSENT = " Present only when `access_basis` is set; absent from the response (not null) without a basis."


class DischargePart2(BaseModel):
    """The latest discharge's Part 2 narrative."""

    discharge_id: uuid.UUID = Field(description="the discharge")
    discharged_at: datetime = Field(description="when the resident left")
    reason_details: str | None = Field(description="circumstances of the discharge (relapse, violation...)")
    summary: str | None = Field(description="the discharge summary")
    aftercare_plan: str | None = Field(description="the aftercare plan")
    referred_to: str | None = Field(description="the receiving provider, if referred")

    @classmethod
    def of(cls, d: Part2Discharge) -> DischargePart2:
        return cls(**d.__dict__)


class ResidentRecord(BaseModel):
    """A resident's record. Identity and placement are always present; the Part 2 fields only
    when the caller has a basis to read them (`access_basis`), and are otherwise left out."""

    id: uuid.UUID = Field(description="the resident's id")
    first_name: str = Field(description="first name")
    last_name: str = Field(description="last name")
    status: ResidentStatus = Field(description="where the resident is in their journey")
    current_house_id: uuid.UUID | None = Field(description="the house they live in now")
    access_basis: str | None = Field(
        description=(
            "the basis on which the Part 2 fields are shown: `self`, `treatment-team`,"
            " `consent:<id>` or `break-glass:<id>`; null when there is none (the fields are then absent)"
        )
    )
    primary_substance: str | None = Field(None, description="primary substance of use." + ABSENT)
    drugs_of_choice: list[Any] | None = Field(
        None, description="substances of use, most significant first." + ABSENT
    )
    sobriety_date: Day | None = Field(None, description="sobriety date." + ABSENT)
    diagnoses: list[Any] | None = Field(None, description="diagnoses." + ABSENT)
    medications: list[Any] | None = Field(None, description="medications, including MOUD." + ABSENT)
    latest_discharge: DischargePart2 | None = Field(
        None, description="the latest discharge's Part 2 fields; null when never discharged." + ABSENT
    )

    @classmethod
    def of(cls, r: Record) -> ResidentRecord:
        res = r.resident
        out: dict[str, Any] = {
            "id": res.id,
            "first_name": res.first_name or "",
            "last_name": res.last_name or "",
            "status": res.status,
            "current_house_id": res.current_house_id,
            "access_basis": str(r.basis) if r.basis else None,
        }
        if r.part2 is not None:
            out |= r.part2
            out["latest_discharge"] = DischargePart2.of(r.discharge) if r.discharge else None
        # Only the keys given are "set": exclude_unset drops the rest from the JSON.
        return cls(**out)


@router.get(
    "/v1/residents/{resident_id}/record",
    response_model=ResidentRecord,
    response_model_exclude_unset=True,
    tags=["residents"],
)
async def resident_record(resident_id: uuid.UUID, p: ResidentReader, db: TenantDep) -> ResidentRecord:
    """The resident's record; its Part 2 fields only on a basis (`self`, `treatment-team`,
    `consent:<id>`, `break-glass:<id>`), absent otherwise. The read is audited with its basis.
    404 for another org's resident, one outside the caller's houses, or (for a resident) anyone
    but themself."""
    record = await db.run(read_record, caller(p), resident_id, datetime.now(UTC))
    return ResidentRecord.of(record)
