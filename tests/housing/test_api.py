"""Setting up places over real HTTP: properties, houses, rooms and beds are created (retry-safe
with an Idempotency-Key), read, changed and soft-deleted; a bed with a stay is never deleted;
bad input is a 4xx naming the field and writes nothing."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from api.routes.housing import PROPERTY_EXAMPLE
from core.db import tenant_session
from core.enums import UserRole
from models.orgs import Bed, House, Property, Room
from tests.factories import OrgFactory, SampleOrg
from tests.scope.world import build_side

STAFF = UserRole.PROPERTY_MANAGER  # org-wide here: property:write without a second factor
PROPERTY = PROPERTY_EXAMPLE


@pytest.fixture(scope="module")
def org(orgs: OrgFactory) -> SampleOrg:
    return orgs.create((STAFF, UserRole.HOUSE_MANAGER))


def _http(stack: str, org: SampleOrg, role: UserRole = STAFF) -> httpx.Client:
    return httpx.Client(base_url=stack, headers=org.headers(role), timeout=60)


def _made(r: httpx.Response, code: int = 201) -> dict[str, Any]:
    assert r.status_code == code, r.text
    body: dict[str, Any] = r.json()
    return body


def _house(http: httpx.Client, property_id: str, name: str, gender: str, capacity: int) -> dict[str, Any]:
    body = {"property_id": property_id, "name": name, "gender": gender, "capacity": capacity}
    return _made(http.post("/v1/houses", json=body))


def _counts(org_id: uuid.UUID) -> tuple[int, ...]:
    with tenant_session(org_id, actor_type="test") as s:
        return tuple(s.scalar(select(func.count()).select_from(m)) or 0 for m in (Property, House, Room, Bed))


def test_staff_set_up_a_property_house_room_and_bed_and_read_them_back(stack: str, org: SampleOrg) -> None:
    with _http(stack, org) as http:
        prop = _made(http.post("/v1/properties", json={**PROPERTY, "name": f"Maple {uuid.uuid4().hex[:6]}"}))
        house = _house(http, prop["id"], "Serenity", "women", 6)
        room = _made(http.post("/v1/rooms", json={"house_id": house["id"], "name": "Room 1", "floor": 2}))
        bed = _made(
            http.post("/v1/beds", json={"room_id": room["id"], "label": "1A", "weekly_rate_cents": 22500})
        )
        assert (house["narr_level"], bed["status"]) == ("level_2", "available")
        assert _made(http.get(f"/v1/beds/{bed['id']}"), 200) == bed
        listed = _made(http.get("/v1/houses", params={"property_id": prop["id"]}), 200)
        assert [h["id"] for h in listed["items"]] == [house["id"]] and listed["next_offset"] is None
        assert [
            r["id"] for r in _made(http.get("/v1/rooms", params={"house_id": house["id"]}), 200)["items"]
        ] == [room["id"]]

        changed = _made(
            http.patch(f"/v1/houses/{house['id']}", json={"capacity": 8, "phone": "512-555-0100"}), 200
        )
        assert (changed["capacity"], changed["phone"], changed["name"]) == (8, "512-555-0100", "Serenity")
        cleared = _made(http.patch(f"/v1/houses/{house['id']}", json={"phone": None}), 200)
        assert cleared["phone"] is None and cleared["capacity"] == 8
        out = _made(http.patch(f"/v1/beds/{bed['id']}", json={"status": "out_of_service"}), 200)
        assert out["status"] == "out_of_service"


def test_a_retried_create_with_the_same_idempotency_key_returns_the_same_property_once(
    stack: str, org: SampleOrg
) -> None:
    body = {**PROPERTY, "name": f"Birch {uuid.uuid4().hex[:6]}"}
    key = {"Idempotency-Key": f"prop-{uuid.uuid4()}"}
    with _http(stack, org) as http:
        first = _made(http.post("/v1/properties", json=body, headers=key))
        before = _counts(org.org_id)
        again = _made(http.post("/v1/properties", json=body, headers=key), 200)
        assert again == first and _counts(org.org_id) == before
        other = http.post("/v1/properties", json={**body, "city": "Dallas"}, headers=key)
        assert (other.status_code, other.json()["field"]) == (422, "Idempotency-Key")


def test_a_bed_with_a_stay_cannot_be_deleted_and_409_names_it_while_nothing_is_deleted(
    stack: str, org: SampleOrg
) -> None:
    side = build_side(org.org_id, f"Oak {uuid.uuid4().hex[:6]}")  # bed 2 holds a current stay
    before = _counts(org.org_id)
    with _http(stack, org) as http:
        for path in (
            f"/v1/beds/{side.beds['2']}",
            f"/v1/houses/{side.house_id}",
            f"/v1/properties/{side.property_id}",
        ):
            r = http.delete(path)
            assert (r.status_code, r.json()["field"]) == (409, "bed_id"), path
            assert str(side.beds["2"]) in r.json()["detail"]
        assert _counts(org.org_id) == before
        held = _made(http.get(f"/v1/beds/{side.beds['2']}"), 200)
        elsewhere = build_side(org.org_id, f"Fir {uuid.uuid4().hex[:6]}").house_id
        changes = [
            (f"/v1/beds/{side.beds['2']}", {"status": "out_of_service"}),
            (f"/v1/rooms/{held['room_id']}", {"house_id": str(elsewhere)}),
            (
                f"/v1/houses/{side.house_id}",
                {"property_id": str(_made(http.get(f"/v1/houses/{elsewhere}"), 200)["property_id"])},
            ),
        ]
        for path, change in changes:
            r = http.patch(path, json=change)
            assert (r.status_code, r.json()["field"]) == (409, "bed_id"), path
        assert _made(http.get(f"/v1/beds/{side.beds['2']}"), 200) == held
        # Bed 1's stay ended today (discharge): it may go, and its label is free again.
        assert _made(http.delete(f"/v1/beds/{side.beds['1']}"), 200) == {"houses": 0, "rooms": 0, "beds": 1}
        assert http.get(f"/v1/beds/{side.beds['1']}").status_code == 404
        room = _made(http.get(f"/v1/beds/{side.beds['3']}"), 200)["room_id"]
        again = _made(http.post("/v1/beds", json={"room_id": room, "label": "1"}))
        assert again["id"] != str(side.beds["1"])
    with tenant_session(org.org_id, actor_type="test") as s:
        kept = s.execute(
            select(Bed.deleted_at).where(Bed.id == side.beds["1"]),
            execution_options={"include_deleted": True},
        ).scalar_one()
        assert kept is not None  # soft: the row stays for the record


def test_deleting_an_empty_house_takes_its_rooms_and_beds_with_it(stack: str, org: SampleOrg) -> None:
    with _http(stack, org) as http:
        prop = _made(http.post("/v1/properties", json={**PROPERTY, "name": f"Elm {uuid.uuid4().hex[:6]}"}))
        house = _house(http, prop["id"], "Harbor", "men", 2)
        room = _made(http.post("/v1/rooms", json={"house_id": house["id"], "name": "R1"}))
        for label in ("A", "B"):
            _made(http.post("/v1/beds", json={"room_id": room["id"], "label": label}))
        assert _made(http.delete(f"/v1/properties/{prop['id']}"), 200) == {"houses": 1, "rooms": 1, "beds": 2}
        assert http.get(f"/v1/rooms/{room['id']}").status_code == 404
        assert http.get("/v1/beds", params={"room_id": room["id"]}).status_code == 404


def test_bad_input_is_a_4xx_naming_the_field_and_writes_nothing(stack: str, org: SampleOrg) -> None:
    other = OrgFactory().create((UserRole.PROPERTY_MANAGER,))
    before = _counts(org.org_id)
    with _http(stack, org) as http:
        prop = http.get("/v1/properties").json()["items"][0]["id"]
        house = {"property_id": prop, "name": "Dup", "gender": "coed", "capacity": 4}
        cases: list[tuple[str, dict[str, Any], int, str]] = [
            ("/v1/properties", {**PROPERTY, "state": "Texas"}, 422, "state"),
            ("/v1/properties", {**PROPERTY, "postal_code": "7870"}, 422, "postal_code"),
            ("/v1/properties", {**PROPERTY, "color": "red"}, 422, "color"),
            ("/v1/houses", {**house, "capacity": -1}, 422, "capacity"),
            ("/v1/houses", {**house, "property_id": str(uuid.uuid4())}, 404, "property_id"),
            (
                "/v1/houses",
                {**house, "house_manager_id": str(other.users[UserRole.PROPERTY_MANAGER])},
                404,
                "house_manager_id",
            ),
            ("/v1/rooms", {"house_id": str(uuid.uuid4()), "name": "R"}, 404, "house_id"),
            ("/v1/beds", {"room_id": str(uuid.uuid4()), "label": "X", "status": "occupied"}, 422, "status"),
            ("/v1/beds", {"room_id": str(uuid.uuid4()), "label": "X"}, 404, "room_id"),
        ]
        for path, body, code, field in cases:
            r = http.post(path, json=body)
            assert (r.status_code, r.json().get("field")) == (code, field), (path, body, r.text)
        assert _counts(org.org_id) == before
        _made(http.post("/v1/houses", json=house))
        r = http.post("/v1/houses", json=house)
        assert (r.status_code, r.json()["field"]) == (409, "name")


def test_a_role_without_property_write_may_read_places_but_not_change_them(
    stack: str, org: SampleOrg
) -> None:
    with _http(stack, org, UserRole.HOUSE_MANAGER) as http:
        assert http.get("/v1/properties").status_code == 200
        r = http.post("/v1/properties", json=PROPERTY)
        assert r.status_code == 403
