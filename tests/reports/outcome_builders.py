"""Former residents for the follow-up tests: each admitted, discharged (a `discharges` row) and
reachable by e-mail, optionally with their consent to follow-up."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import select

from core.contracts.outcomes import FollowUpInput
from core.db import tenant_session
from core.enums import DischargeReason
from core.process import Actor
from models.resident_tracking import Discharge
from models.residents import Admission, Resident
from services.reports import outcomes
from tests.billing.builders import admit, make_house


@dataclass(frozen=True)
class Left:
    resident_id: uuid.UUID
    discharge_id: uuid.UUID
    house_id: uuid.UUID
    email: str

    def follow_up(self, org_id: uuid.UUID, on: date) -> FollowUpInput:
        return FollowUpInput(Actor.system(org_id), self.discharge_id, self.resident_id, self.house_id, on)


def former_residents(org_id: uuid.UUID, n: int, left_on: date, consented: bool = True) -> list[Left]:
    house = make_house(org_id, beds=n, name="Willow House")
    rids = admit(org_id, house, [(date(2025, 6, 1), left_on)] * n)
    out = []
    tag = uuid.uuid4().hex[:8]
    with tenant_session(org_id, actor_type="test") as s:
        for i, rid in enumerate(rids):
            email = f"former{i}.{tag}@example.test"
            r = s.get(Resident, rid)
            assert r is not None
            r.email = email
            adm = s.scalars(select(Admission.id).where(Admission.resident_id == rid)).one()
            d = Discharge(
                org_id=org_id,
                resident_id=rid,
                admission_id=adm,
                house_id=house.house_id,
                discharged_at=datetime.combine(left_on, time(12), UTC),
                reason=DischargeReason.COMPLETED_PROGRAM,
                kind="planned",
            )
            s.add(d)
            s.flush()
            if consented:
                outcomes.set_consent(s, rid, True, datetime.combine(left_on, time(9), UTC))
            out.append(Left(rid, d.id, house.house_id, email))
    return out
