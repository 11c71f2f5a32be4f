"""One org with two houses in two properties, each with a row in every scoped table, and
logins whose role assignments are scoped to a house, a property or a resident. Written
through the same services the workflows use, org-wide."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from api.auth import login
from core.contracts.admission import Application, DischargeKind
from core.contracts.intake import NewLead
from core.db import tenant_session
from core.enums import DischargeReason, HouseGender, LeadStatus, Priority, UserRole
from core.passwords import hash_password
from services import housing, intake
from services.admission import applications, discharge, placement, transfers, waitlist
from tests.factories import PASSWORD, add_user


@dataclass
class Side:
    """Everything one house holds."""

    house_id: uuid.UUID
    property_id: uuid.UUID
    beds: dict[str, uuid.UUID]
    # The resident who moved in and was transferred, the one discharged, the one waiting.
    active: uuid.UUID = field(default_factory=uuid.uuid4)
    discharged: uuid.UUID = field(default_factory=uuid.uuid4)
    waiting: uuid.UUID = field(default_factory=uuid.uuid4)
    admissions: list[uuid.UUID] = field(default_factory=lambda: [uuid.uuid4() for _ in range(3)])
    converted_leads: list[uuid.UUID] = field(default_factory=lambda: [uuid.uuid4() for _ in range(3)])
    prospect: uuid.UUID = field(default_factory=uuid.uuid4)  # a new lead preferring the house
    transfer: uuid.UUID = field(default_factory=uuid.uuid4)
    discharge: uuid.UUID = field(default_factory=uuid.uuid4)
    entry: uuid.UUID = field(default_factory=uuid.uuid4)

    @property
    def residents(self) -> set[uuid.UUID]:
        return {self.active, self.discharged, self.waiting}

    @property
    def leads(self) -> set[uuid.UUID]:
        return {self.prospect, *self.converted_leads}


def _approved(s: Session, name: str) -> uuid.UUID:
    lead_id = uuid.uuid4()
    intake.record_lead(s, lead_id, NewLead(name, "Testperson"), created_by=None)
    intake.set_status(s, lead_id, LeadStatus.APPROVED)
    return lead_id


def build_side(org_id: uuid.UUID, name: str, gender: HouseGender = HouseGender.COED) -> Side:
    now = datetime.now(UTC)
    today = now.date()
    with tenant_session(org_id, actor_type="test") as s:
        layout = housing.add_house(s, name, ["1", "2", "3"], gender=gender)
        side = Side(layout.house_id, layout.property_id, layout.beds)
        intake.record_lead(
            s,
            side.prospect,
            NewLead(f"{name} Prospect", "Testperson", house_preference_id=side.house_id),
            created_by=None,
        )
        residents = (side.active, side.discharged, side.waiting)
        for i, (adm, res) in enumerate(zip(side.admissions, residents, strict=True)):
            lead = _approved(s, f"{name}{i}")
            side.converted_leads[i] = lead
            applications.open_application(
                s, adm, res, Application(side.house_id, 22500, lead_id=lead), now, by=None, source="test"
            )
        a_active, a_discharged, a_waiting = side.admissions
        placement.place(s, uuid.uuid4(), a_active, side.beds["1"], today, now, by=None, source="test")
        transfers.transfer(
            s, side.transfer, uuid.uuid4(), a_active, side.beds["2"], today, now, None, by=None
        )
        placement.place(s, uuid.uuid4(), a_discharged, side.beds["1"], today, now, by=None, source="test")
        discharge.discharge(
            s,
            side.discharge,
            a_discharged,
            DischargeKind.VOLUNTARY,
            DischargeReason.VOLUNTARY,
            today,
            now,
            None,
            by=None,
            source="test",
        )
        waitlist.join(s, side.entry, a_waiting, Priority.NORMAL, side.house_id, now, by=None, source="test")
    return side


def add_login(
    org_id: uuid.UUID,
    role: UserRole,
    *,
    house_id: uuid.UUID | None = None,
    property_id: uuid.UUID | None = None,
    resident_id: uuid.UUID | None = None,
    also: tuple[UserRole, ...] = (),
) -> tuple[uuid.UUID, str]:
    """A user holding `role` (scoped as given) and any `also` roles org-wide; signed in. Only
    roles without a second factor (house/property manager, peer support, resident)."""
    email = f"{role.value}.{uuid.uuid4().hex[:10]}@example.test"
    with tenant_session(org_id, actor_type="test") as s:
        user = add_user(
            s,
            role,
            house_id=house_id,
            property_id=property_id,
            also=also,
            org_id=org_id,
            email=email,
            first_name="Scoped",
            last_name=role.value.title(),
            password_hash=hash_password(PASSWORD),
            resident_id=resident_id,
        )
        user_id = user.id
    got = login(email, PASSWORD, request_id="test", source_ip="127.0.0.1", user_agent="pytest")
    assert got is not None and not got.mfa_pending
    return user_id, got.token
