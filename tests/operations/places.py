"""Builders for the house-safety tests, written through the services the app uses: a house in
a state with its manager and curfew, residents living in it (with prescriptions and an emergency
contact reachable by the method they consented to)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, time

from core.db import tenant_session
from core.enums import ContactRelationship, MessageChannel, ResidentStatus
from models.orgs import House, Property
from models.residents import Resident, ResidentContact
from services import housing
from services.operations import curfew


@dataclass(frozen=True)
class Place:
    house_id: uuid.UUID
    beds: dict[str, uuid.UUID]


def pa_house(
    org_id: uuid.UUID,
    manager_id: uuid.UUID | None,
    labels: list[str],
    state: str = "PA",
    delay_minutes: int = 60,
) -> Place:
    with tenant_session(org_id, actor_type="test") as s:
        layout = housing.add_house(s, "Maple House", labels)
        house = s.get(House, layout.house_id)
        assert house is not None
        house.house_manager_id, house.phone = manager_id, "+12155550100"
        house.emergency_contact_delay_minutes = delay_minutes
        house.recurrence_response_plan = "Meet within 24 hours; review the recovery plan."
        prop = s.get(Property, house.property_id)
        assert prop is not None
        prop.state = state
        curfew.add_config(
            s,
            curfew.NewConfig(layout.house_id, "Phase 1", 0, time(22, 0), time(23, 0), 10, date(2026, 1, 1)),
        )
        return Place(layout.house_id, dict(layout.beds))


def living_resident(
    org_id: uuid.UUID,
    house_id: uuid.UUID,
    first: str = "Rosalind",
    medications: list[dict[str, str]] | None = None,
) -> uuid.UUID:
    with tenant_session(org_id, actor_type="test") as s:
        r = Resident(
            org_id=org_id,
            first_name=first,
            last_name="Achterberg",
            status=ResidentStatus.ACTIVE,
            current_house_id=house_id,
            move_in_date=date(2026, 1, 5),
        )
        r.medications = medications or []
        s.add(r)
        s.flush()
        return r.id


def emergency_contact(org_id: uuid.UUID, resident_id: uuid.UUID, method: MessageChannel | None) -> None:
    with tenant_session(org_id, actor_type="test") as s:
        c = ResidentContact(
            org_id=org_id,
            resident_id=resident_id,
            relationship_type=ContactRelationship.PARENT,
            is_emergency_contact=True,
            notify_method=method,
        )
        c.first_name, c.phone, c.email = "Marguerite", "+12155550123", "marguerite@example.test"
        s.add(c)
        s.flush()
