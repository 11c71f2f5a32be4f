"""A house with rooms and beds, and residents staying in it, written through tenant sessions.

Rows go in with bulk inserts so the same builder seeds 10,000 residents for the bench."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

import httpx
from sqlalchemy import insert

from core.crypto import field_aad
from core.db import tenant_session
from core.enums import AdmissionStatus, HouseGender, PropertyType, ResidentStatus, UserRole
from core.fieldcrypt import field_cipher
from models.orgs import Bed, House, Property, Room
from models.residents import Admission, Resident
from tests.factories import OrgFactory, SampleOrg


@dataclass(frozen=True)
class HouseIds:
    house_id: uuid.UUID
    room_ids: list[uuid.UUID]
    bed_ids: list[uuid.UUID]


def make_house(org_id: uuid.UUID, beds: int, rooms: int = 1, name: str = "Maple House") -> HouseIds:
    with tenant_session(org_id, actor_type="test") as s:
        prop = Property(
            org_id=org_id,
            name=f"{name} property",
            property_type=PropertyType.SINGLE_FAMILY,
            address_line1="1 Test Way",
            city="Springfield",
            state="OR",
            postal_code="97477",
        )
        s.add(prop)
        s.flush()
        house = House(org_id=org_id, property_id=prop.id, name=name, gender=HouseGender.COED, capacity=beds)
        s.add(house)
        s.flush()
        room_ids = [uuid.uuid4() for _ in range(rooms)]
        s.execute(
            insert(Room),
            [
                {"id": r, "org_id": org_id, "house_id": house.id, "name": f"Room {n}"}
                for n, r in enumerate(room_ids, 1)
            ],
        )
        bed_ids = [uuid.uuid4() for _ in range(beds)]
        s.execute(
            insert(Bed),
            [
                {"id": b, "org_id": org_id, "room_id": room_ids[n % rooms], "label": f"B-{n}"}
                for n, b in enumerate(bed_ids)
            ],
        )
        return HouseIds(house.id, room_ids, bed_ids)


def _at(d: date) -> datetime:
    return datetime.combine(d, time(12), UTC)


def admit(
    org_id: uuid.UUID,
    house: HouseIds,
    stays: list[tuple[date, date | None]],
    weekly_rate_cents: int = 0,
    first_bed: int = 0,
) -> list[uuid.UUID]:
    """One resident per stay (moved in, moved out or None), each in its own bed."""
    cipher = field_cipher()
    resident_ids = [uuid.uuid4() for _ in stays]
    with tenant_session(org_id, actor_type="test") as s:
        s.execute(
            insert(Resident),
            [
                {
                    "id": rid,
                    "org_id": org_id,
                    "first_name_ct": cipher.encrypt(b"Test", field_aad("residents", "first_name", rid)),
                    "last_name_ct": cipher.encrypt(b"Resident", field_aad("residents", "last_name", rid)),
                    "status": ResidentStatus.ACTIVE if out is None else ResidentStatus.DISCHARGED,
                }
                for rid, (_in, out) in zip(resident_ids, stays, strict=True)
            ],
        )
        s.execute(
            insert(Admission),
            [
                {
                    "id": uuid.uuid4(),
                    "org_id": org_id,
                    "resident_id": rid,
                    "house_id": house.house_id,
                    "bed_id": house.bed_ids[first_bed + n],
                    "status": AdmissionStatus.ACTIVE if out is None else AdmissionStatus.COMPLETED,
                    "admitted_at": _at(moved_in),
                    "ended_at": _at(out) if out else None,
                    "weekly_rate_cents": weekly_rate_cents,
                }
                for n, (rid, (moved_in, out)) in enumerate(zip(resident_ids, stays, strict=True))
            ],
        )
    return resident_ids


def rated_resident(
    orgs: OrgFactory, http_base: str, cents: int, rate_name: str = "Rent"
) -> tuple[SampleOrg, uuid.UUID]:
    """An org whose billing specialist set a monthly house rate over HTTP, and one resident
    admitted on 2026-01-01 under it; (org, resident)."""
    org = orgs.create((UserRole.BILLING_SPECIALIST, UserRole.HOUSE_MANAGER))
    house = make_house(org.org_id, beds=1)
    headers = org.headers(UserRole.BILLING_SPECIALIST)
    with httpx.Client(base_url=http_base, headers=headers, timeout=30) as http:
        r = http.post(
            "/v1/billing/rates",
            json={
                "name": rate_name,
                "amount_cents": cents,
                "billing_frequency": "monthly",
                "effective_from": "2026-01-01",
                "house_id": str(house.house_id),
            },
        )
        assert r.status_code == 201, r.text
    (rid,) = admit(org.org_id, house, [(date(2026, 1, 1), None)])
    return org, rid
