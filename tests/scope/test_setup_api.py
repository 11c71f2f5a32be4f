"""Scoped roles and the setup routes over real HTTP: a house manager sees only their house's
rooms and beds; a property manager changes only their property's places, cannot create houses
or properties, cannot move a room out of their scope, and reads only their residents' invoices,
balances and statements. Whatever is refused leaves every row as it was."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select

from core.db import tenant_session
from core.enums import UserRole
from models.orgs import Bed, Room
from services.billing import rent
from tests.factories import OrgFactory, SampleOrg
from tests.scope.world import Side, add_login, build_side


@dataclass
class World:
    org: SampleOrg
    a: Side
    b: Side
    house_manager: dict[str, str]  # headers
    property_manager: dict[str, str]


@pytest.fixture(scope="module")
def world(stack: str, orgs: OrgFactory) -> World:
    org = orgs.create((UserRole.PROPERTY_MANAGER,))
    a, b = build_side(org.org_id, "Alder"), build_side(org.org_id, "Beech")
    with tenant_session(org.org_id, actor_type="test") as s:
        rent.issue_rent_batch(s, datetime.now(UTC).date(), None, 100)
    _, hm = add_login(org.org_id, UserRole.HOUSE_MANAGER, house_id=a.house_id)
    _, pm = add_login(org.org_id, UserRole.PROPERTY_MANAGER, property_id=a.property_id)
    return World(org, a, b, {"Authorization": f"Bearer {hm}"}, {"Authorization": f"Bearer {pm}"})


def _room(org_id: uuid.UUID, bed_id: uuid.UUID) -> tuple[uuid.UUID, uuid.UUID]:
    """(room id, its house id) as stored."""
    with tenant_session(org_id, actor_type="test") as s:
        row = s.execute(
            select(Room.id, Room.house_id).join(Bed, Bed.room_id == Room.id).where(Bed.id == bed_id)
        ).one()
        return row[0], row[1]


def _problem(r: httpx.Response) -> tuple[int, str | None]:
    return r.status_code, r.json().get("field")


def test_a_house_manager_sees_only_their_houses_places(stack: str, world: World) -> None:
    a, b = world.a, world.b
    b_room, _ = _room(world.org.org_id, b.beds["1"])
    with httpx.Client(base_url=stack, headers=world.house_manager, timeout=60) as http:
        assert [h["id"] for h in http.get("/v1/houses").json()["items"]] == [str(a.house_id)]
        assert [p["id"] for p in http.get("/v1/properties").json()["items"]] == [str(a.property_id)]
        beds = {x["id"] for x in http.get("/v1/beds", params={"limit": 200}).json()["items"]}
        assert beds == {str(i) for i in a.beds.values()}
        assert _problem(http.get(f"/v1/houses/{b.house_id}")) == (404, "house_id")
        assert _problem(http.get(f"/v1/beds/{b.beds['1']}")) == (404, "bed_id")
        assert _problem(http.get("/v1/beds", params={"room_id": str(b_room)})) == (404, "room_id")
        assert http.patch(f"/v1/houses/{a.house_id}", json={"capacity": 1}).status_code == 403


def test_a_property_manager_changes_only_their_propertys_places_and_creates_no_house(
    stack: str, world: World
) -> None:
    a, b = world.a, world.b
    a_room, _ = _room(world.org.org_id, a.beds["3"])
    b_room, b_house = _room(world.org.org_id, b.beds["3"])
    with httpx.Client(base_url=stack, headers=world.property_manager, timeout=60) as http:
        made = http.post(
            "/v1/rooms", json={"house_id": str(a.house_id), "name": f"Loft {uuid.uuid4().hex[:4]}"}
        )
        assert made.status_code == 201, made.text
        assert _problem(http.post("/v1/rooms", json={"house_id": str(b.house_id), "name": "Loft"})) == (
            404,
            "house_id",
        )
        assert _problem(http.patch(f"/v1/houses/{b.house_id}", json={"capacity": 1})) == (404, "house_id")
        assert _problem(http.delete(f"/v1/beds/{b.beds['3']}")) == (404, "bed_id")
        # Moving their own room into another property's house is refused and moves nothing.
        assert _problem(http.patch(f"/v1/rooms/{a_room}", json={"house_id": str(b.house_id)})) == (
            404,
            "house_id",
        )
        body = {"property_id": str(a.property_id), "name": "New", "gender": "men", "capacity": 2}
        assert http.post("/v1/houses", json=body).status_code == 403
        prop = {
            "name": "P",
            "property_type": "apartment",
            "address_line1": "1 A St",
            "city": "X",
            "state": "TX",
            "postal_code": "78701",
        }
        assert http.post("/v1/properties", json=prop).status_code == 403
    assert _room(world.org.org_id, a.beds["3"]) == (a_room, a.house_id)
    assert _room(world.org.org_id, b.beds["3"]) == (b_room, b_house)


def test_a_property_manager_reads_only_their_residents_invoices_balances_and_statements(
    stack: str, world: World
) -> None:
    a, b = world.a, world.b
    with httpx.Client(base_url=stack, headers=world.property_manager, timeout=60) as http:
        invoices = http.get("/v1/billing/invoices", params={"limit": 200}).json()["items"]
        assert invoices and {uuid.UUID(i["resident_id"]) for i in invoices} <= a.residents
        assert http.get("/v1/billing/invoices", params={"resident_id": str(b.active)}).json()["items"] == []
        assert http.get(f"/v1/billing/residents/{a.active}/balance").status_code == 200
        assert _problem(http.get(f"/v1/billing/residents/{b.active}/balance")) == (404, "resident_id")
        period = {"from": "2026-01-01", "to": "2026-12-31"}
        assert _problem(http.get(f"/v1/billing/residents/{b.active}/statement", params=period)) == (
            404,
            "resident_id",
        )
    with httpx.Client(
        base_url=stack, headers=world.org.headers(UserRole.PROPERTY_MANAGER), timeout=60
    ) as http:
        everyone = {
            uuid.UUID(i["resident_id"])
            for i in http.get("/v1/billing/invoices", params={"limit": 200}).json()["items"]
        }
        assert everyone & b.residents  # org-wide, B's residents are billed too
