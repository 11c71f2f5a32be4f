"""Builders for the journey's tests: houses with beds, and leads that intake has approved,
written through the same services the app uses."""

from __future__ import annotations

import uuid

from core.contracts.intake import NewLead
from core.db import tenant_session
from core.enums import HouseGender, LeadStatus
from services import housing, intake
from services.housing import HouseLayout


def house(
    org_id: uuid.UUID, labels: list[str], name: str = "Cedar House", gender: HouseGender = HouseGender.COED
) -> HouseLayout:
    with tenant_session(org_id, actor_type="test") as s:
        return housing.add_house(s, name, labels, gender=gender)


def approved_lead(org_id: uuid.UUID, first: str = "Rosalind", last: str = "Achterberg") -> uuid.UUID:
    lead_id = uuid.uuid4()
    with tenant_session(org_id, actor_type="test") as s:
        intake.record_lead(s, lead_id, NewLead(first, last), created_by=None)
        intake.set_status(s, lead_id, LeadStatus.APPROVED)
    return lead_id
