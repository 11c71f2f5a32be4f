"""Upkeep: maintenance requests with status and assignment over HTTP, vehicles with their
plates encrypted and found by blind index, and the weekly check that reminds the house
manager of insurance about to lapse (in Temporal time, once per vehicle and expiry date)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select, text
from temporalio.testing import WorkflowEnvironment

from core.db import tenant_session
from core.enums import UserRole
from core.process import Actor
from models.operations import Task
from models.operations_extended import Vehicle
from models.orgs import House
from services.operations import vehicles
from services.operations.vehicles import NewVehicle
from tests.billing.builders import admit, make_house
from tests.factories import OrgFactory
from tests.scope.world import add_login
from workflows.operations import OPERATIONS
from workflows.operations.upkeep import UpkeepCheckInput, UpkeepCheckWorkflow

TODAY = datetime.now(UTC).date()


def test_a_repair_is_reported_assigned_and_resolved_forward_only(stack: str, orgs: OrgFactory) -> None:
    org = orgs.create((UserRole.EXECUTIVE_DIRECTOR,))
    a, b = (
        make_house(org.org_id, beds=1, name="Alder House"),
        make_house(org.org_id, beds=1, name="Beech House"),
    )
    manager, token = add_login(org.org_id, UserRole.HOUSE_MANAGER, house_id=a.house_id)
    base = f"/v1/houses/{a.house_id}/maintenance-requests"
    with httpx.Client(base_url=stack, headers={"Authorization": f"Bearer {token}"}, timeout=60) as http:
        wrong_room = http.post(
            base, json={"category": "plumbing", "title": "Leak", "room_id": str(b.room_ids[0])}
        )
        assert (wrong_room.status_code, wrong_room.json()["field"]) == (404, "room_id")
        blank = http.post(base, json={"category": "plumbing", "title": "  "})
        assert (blank.status_code, blank.json()["field"]) == (422, "title")
        r = http.post(
            base,
            json={
                "category": "plumbing",
                "title": "Kitchen sink leaks",
                "priority": "high",
                "room_id": str(a.room_ids[0]),
                "internal_notes": "Reported at house meeting",
            },
        )
        assert r.status_code == 201 and r.json()["status"] == "reported", r.text
        rid = r.json()["id"]
        assigned = http.post(
            f"{base}/{rid}/assignment",
            json={"assigned_to_user_id": str(manager), "vendor_name": "Ace Plumbing"},
        )
        assert assigned.json()["status"] == "scheduled" and assigned.json()["assigned_to_user_id"] == str(
            manager
        )
        for status in ("in_progress", "resolved"):
            moved = http.post(f"{base}/{rid}/status", json={"status": status, "actual_cost_cents": 12_500})
            assert moved.json()["status"] == status, moved.text
        assert moved.json()["resolved_at"] is not None
        back = http.post(f"{base}/{rid}/status", json={"status": "reported"})
        assert (back.status_code, back.json()["field"]) == (409, "status")
        assert [x["id"] for x in http.get(base, params={"status": "resolved"}).json()["items"]] == [rid]
        assert http.get(base, params={"status": "reported"}).json()["items"] == []
        other = http.get(f"/v1/houses/{b.house_id}/maintenance-requests")
        assert (other.status_code, other.json()["field"]) == (404, "house_id")
    with tenant_session(org.org_id, actor_type="test") as s:
        # The staff note is ciphertext in the row.
        raw = s.execute(
            text("SELECT internal_notes FROM maintenance_requests WHERE id = :i"), {"i": rid}
        ).scalar()
        assert raw is not None and b"house meeting" not in bytes(raw)


def test_a_vehicle_is_found_by_its_plate_which_is_never_listed(stack: str, orgs: OrgFactory) -> None:
    org = orgs.create((UserRole.EXECUTIVE_DIRECTOR,))
    a = make_house(org.org_id, beds=1)
    (resident,) = admit(org.org_id, a, [(TODAY - timedelta(days=20), None)])
    _, token = add_login(org.org_id, UserRole.HOUSE_MANAGER, house_id=a.house_id)
    base = f"/v1/houses/{a.house_id}/vehicles"
    with httpx.Client(base_url=stack, headers={"Authorization": f"Bearer {token}"}, timeout=60) as http:
        car = http.post(
            base,
            json={
                "resident_id": str(resident),
                "make": "Honda",
                "license_plate": "abc-123",
                "insurance_expires_date": str(TODAY + timedelta(days=10)),
            },
        )
        assert car.status_code == 201, car.text
        assert "license_plate" not in car.json()
        van = http.post(base, json={"make": "Ford", "model": "Transit", "license_plate": "VAN 1"})
        assert van.status_code == 201 and van.json()["is_org_owned"] is True
        found = http.get(base, params={"plate": "ABC 123"}).json()["items"]
        assert [v["id"] for v in found] == [car.json()["id"]]
        stranger = http.post(base, json={"resident_id": str(uuid.uuid4()), "make": "Kia"})
        assert (stranger.status_code, stranger.json()["field"]) == (422, "resident_id")


async def test_the_weekly_upkeep_check_reminds_of_insurance_about_to_lapse_once(
    time_skipping: WorkflowEnvironment, registry_worker: str, orgs: OrgFactory
) -> None:
    org = orgs.create((UserRole.HOUSE_MANAGER,))
    manager = org.users[UserRole.HOUSE_MANAGER]
    a = make_house(org.org_id, beds=1)
    with tenant_session(org.org_id, actor_type="test") as s:
        house = s.get(House, a.house_id)
        assert house is not None
        house.house_manager_id = manager
        soon = vehicles.register(
            s, a.house_id, NewVehicle(make="Ford", insurance_expires_date=TODAY + timedelta(days=10))
        )
        vehicles.register(
            s, a.house_id, NewVehicle(make="Kia", insurance_expires_date=TODAY + timedelta(days=60))
        )
        soon_id = soon.id
    actor = Actor.system(org.org_id)

    async def check(n: int) -> list[uuid.UUID]:
        result = await time_skipping.client.execute_workflow(
            UpkeepCheckWorkflow.run,
            UpkeepCheckInput(actor, a.house_id, TODAY),
            id=OPERATIONS.id(org.org_id, f"upkeep-check-{a.house_id}-{n}"),
            task_queue=registry_worker,
        )
        return result.reminders

    first, again = await check(1), await check(2)
    assert first == [vehicles.reminder_id(soon_id, TODAY + timedelta(days=10))] and again == []
    with tenant_session(org.org_id, actor_type="test") as s:
        (task,) = s.scalars(select(Task)).all()
        assert (task.related_entity_id, task.assigned_to_user_id) == (soon_id, manager)
        plate_free = s.scalars(select(Vehicle)).all()
        assert len(plate_free) == 2
