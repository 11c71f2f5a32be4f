"""The resident journey over real HTTP, with the worker writing as recoveryos_app."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select

from core.contracts.intake import NewLead
from core.db import tenant_session
from core.enums import AdmissionStatus, HouseGender, LeadStatus, ResidentStatus, UserRole
from models.resident_tracking import BedOccupancy, BedTransfer, Discharge, ResidentStatusHistory
from models.residents import Admission, Resident
from services import intake
from tests.admission.places import approved_lead, house
from tests.factories import OrgFactory, SampleOrg

STAFF = UserRole.CASE_MANAGER


def _apply(http: httpx.Client, lead_id: uuid.UUID, house_id: uuid.UUID) -> dict[str, Any]:
    r = http.post(
        "/v1/admissions",
        json={
            "lead_id": str(lead_id),
            "house_id": str(house_id),
            "weekly_rate_cents": 22500,
            "deposit_cents": 50000,
        },
    )
    assert r.status_code == 201, r.text
    return r.json()


def _board_bed(http: httpx.Client, house_id: uuid.UUID, bed_id: uuid.UUID) -> dict[str, Any]:
    board = http.get("/v1/beds/board", params={"house_id": str(house_id)})
    assert board.status_code == 200, board.text
    return next(b for h in board.json()["houses"] for b in h["beds"] if b["bed_id"] == str(bed_id))


def _history(org: SampleOrg, resident_id: str) -> list[str]:
    with tenant_session(org.org_id, actor_type="test") as s:
        return [
            h.to_status.value
            for h in s.scalars(
                select(ResidentStatusHistory)
                .where(ResidentStatusHistory.resident_id == uuid.UUID(resident_id))
                .order_by(ResidentStatusHistory.occurred_at)
            )
        ]


def test_two_admissions_racing_for_the_last_bed_one_wins_and_the_other_gets_409_naming_the_bed(
    stack: str, orgs: OrgFactory
) -> None:
    org = orgs.create((STAFF,))
    layout = house(org.org_id, ["B-12"])
    bed = layout.beds["B-12"]
    with httpx.Client(base_url=stack, headers=org.headers(STAFF), timeout=60) as http:
        apps = [_apply(http, approved_lead(org.org_id, first=f"Racer{i}"), layout.house_id) for i in range(2)]

    def assign(app: dict[str, Any]) -> httpx.Response:
        with httpx.Client(base_url=stack, headers=org.headers(STAFF), timeout=60) as http:
            return http.post(f"/v1/admissions/{app['id']}/bed", json={"bed_id": str(bed)})

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(assign, apps))
    assert sorted(r.status_code for r in answers) == [200, 409], [r.text for r in answers]
    winner, loser = (apps[0], apps[1]) if answers[0].status_code == 200 else (apps[1], apps[0])
    refused = next(r for r in answers if r.status_code == 409).json()
    assert refused["detail"] == "bed B-12 is occupied"
    assert refused["field"] == "bed_id"

    with tenant_session(org.org_id, actor_type="test") as s:
        holders = s.scalars(select(BedOccupancy.admission_id).where(BedOccupancy.bed_id == bed)).all()
        assert holders == [uuid.UUID(winner["id"])]
        lost = s.get(Admission, uuid.UUID(loser["id"]))
        assert lost is not None and (lost.status, lost.bed_id) == (AdmissionStatus.PENDING, None)
        lost_resident = s.get(Resident, lost.resident_id)
        assert lost_resident is not None
        assert (lost_resident.status, lost_resident.current_bed_id) == (ResidentStatus.APPLICANT, None)
    assert _history(org, loser["resident_id"]) == ["applicant"]
    assert _history(org, winner["resident_id"]) == ["applicant", "active"]
    with httpx.Client(base_url=stack, headers=org.headers(STAFF), timeout=60) as http:
        assert http.get(f"/v1/admissions/{loser['id']}/journey").json()["stage"] == "applied"
        # The loser can still be placed elsewhere or wait: its journey is intact.
        assert http.post(f"/v1/admissions/{loser['id']}/waitlist", json={}).json()["stage"] == "waitlisted"


def test_a_lead_goes_from_application_to_bed_transfer_and_discharge_and_the_board_follows(
    stack: str, orgs: OrgFactory
) -> None:
    org = orgs.create((STAFF,))
    staff_id = org.users[STAFF]
    layout = house(org.org_id, ["A-1", "A-2"], name="Juniper House")
    a1, a2 = layout.beds["A-1"], layout.beds["A-2"]
    with httpx.Client(base_url=stack, headers=org.headers(STAFF), timeout=60) as http:
        app = _apply(http, approved_lead(org.org_id, "Philippa", "Okonkwo"), layout.house_id)
        assert (app["status"], app["bed_id"]) == ("pending", None)
        assert app["workflow_id"] == f"admission/{org.org_id}/{app['id']}"
        assert _board_bed(http, layout.house_id, a1)["status"] == "free"

        placed = http.post(f"/v1/admissions/{app['id']}/bed", json={"bed_id": str(a1)})
        assert placed.status_code == 200, placed.text
        assert placed.json()["stage"] == "active"
        assert placed.headers["cache-control"] == "no-store"
        board_bed = _board_bed(http, layout.house_id, a1)
        assert (board_bed["status"], board_bed["occupant"]) == ("occupied", "Philippa O.")

        moved = http.post(
            f"/v1/admissions/{app['id']}/transfer", json={"to_bed_id": str(a2), "reason": "quieter"}
        )
        assert moved.status_code == 200, moved.text
        assert moved.json()["bed_id"] == str(a2)
        assert _board_bed(http, layout.house_id, a1)["status"] == "free"
        assert _board_bed(http, layout.house_id, a2)["status"] == "occupied"

        out = http.post(
            f"/v1/admissions/{app['id']}/discharge", json={"kind": "planned", "details": "completed 90 days"}
        )
        assert out.status_code == 200, out.text
        assert (out.json()["stage"], out.json()["discharge_kind"]) == ("discharged", "planned")
        assert _board_bed(http, layout.house_id, a2)["status"] == "free"
        board = http.get("/v1/beds/board", params={"house_id": str(layout.house_id)}).json()
        assert board["houses"][0]["vacant"] == 2
        assert board["vacancies_by_property"] == {str(layout.property_id): 2}
        assert http.get(f"/v1/admissions/{app['id']}").json()["status"] == "completed"

    assert _history(org, app["resident_id"]) == ["applicant", "active", "discharged"]
    with tenant_session(org.org_id, actor_type="test") as s:
        move = s.scalars(select(BedTransfer).where(BedTransfer.admission_id == uuid.UUID(app["id"]))).one()
        assert (move.from_bed_id, move.to_bed_id, move.requested_by_user_id, move.reason) == (
            a1,
            a2,
            staff_id,
            "quieter",
        )
        assert move.completed_at is not None
        gone = s.scalars(select(Discharge).where(Discharge.admission_id == uuid.UUID(app["id"]))).one()
        assert (gone.kind, gone.discharged_by_user_id, gone.reason_details, gone.is_planned) == (
            "planned",
            staff_id,
            "completed 90 days",
            True,
        )
        changed_by = s.scalars(
            select(ResidentStatusHistory.changed_by).where(
                ResidentStatusHistory.resident_id == uuid.UUID(app["resident_id"])
            )
        ).all()
        assert set(changed_by) == {staff_id}


def test_a_former_resident_is_readmitted_on_their_own_record(stack: str, orgs: OrgFactory) -> None:
    org = orgs.create((STAFF,))
    layout = house(org.org_id, ["R-1"])
    bed = str(layout.beds["R-1"])
    with httpx.Client(base_url=stack, headers=org.headers(STAFF), timeout=60) as http:
        first = _apply(http, approved_lead(org.org_id), layout.house_id)
        http.post(f"/v1/admissions/{first['id']}/bed", json={"bed_id": bed}).raise_for_status()
        http.post(f"/v1/admissions/{first['id']}/discharge", json={"kind": "voluntary"}).raise_for_status()
        again = http.post(
            "/v1/admissions",
            json={
                "resident_id": first["resident_id"],
                "house_id": str(layout.house_id),
                "weekly_rate_cents": 1,
            },
        )
        assert again.status_code == 201, again.text
        assert again.json()["resident_id"] == first["resident_id"]
        assert http.get(f"/v1/admissions/{again.json()['id']}/journey").json()["readmission"] is True
        assert http.post(f"/v1/admissions/{again.json()['id']}/bed", json={"bed_id": bed}).status_code == 200
        # Readmitting someone who lives here now is refused.
        twice = http.post(
            "/v1/admissions",
            json={
                "resident_id": first["resident_id"],
                "house_id": str(layout.house_id),
                "weekly_rate_cents": 1,
            },
        )
        assert (twice.status_code, twice.json()["field"]) == (409, "resident_id")
    assert _history(org, first["resident_id"]) == ["applicant", "active", "discharged", "applicant", "active"]
    with tenant_session(org.org_id, actor_type="test") as s:
        assert s.scalar(select(func.count()).select_from(Resident)) == 1


def test_bad_input_is_a_4xx_naming_the_field_and_writes_nothing(stack: str, orgs: OrgFactory) -> None:
    org, other = orgs.create((STAFF,)), orgs.create((STAFF,))
    layout = house(org.org_id, ["X-1"])
    foreign = house(other.org_id, ["Y-1"])
    with httpx.Client(base_url=stack, headers=org.headers(STAFF), timeout=60) as http:
        not_approved = approved_lead(org.org_id)
        with tenant_session(org.org_id, actor_type="test") as s:
            from core.enums import LeadStatus
            from services import intake

            intake.set_status(s, not_approved, LeadStatus.DECLINED)
        body = {"lead_id": str(not_approved), "house_id": str(layout.house_id), "weekly_rate_cents": 100}
        r = http.post("/v1/admissions", json=body)
        assert (r.status_code, r.json()["field"]) == (422, "lead_id")
        r = http.post("/v1/admissions", json={**body, "house_id": str(foreign.house_id)})
        assert (r.status_code, r.json()["field"]) == (404, "house_id")
        r = http.post("/v1/admissions", json={"house_id": str(layout.house_id), "weekly_rate_cents": 100})
        assert (r.status_code, r.json()["field"]) == (422, "lead_id")
        r = http.post("/v1/admissions", json={**body, "weekly_rate_cents": -5})
        assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["weekly_rate_cents"]
        assert http.get("/v1/admissions/not-a-uuid").status_code == 422

        app = _apply(http, approved_lead(org.org_id), layout.house_id)
        r = http.post(f"/v1/admissions/{app['id']}/discharge", json={"kind": "voluntary"})
        assert (r.status_code, r.json()["field"]) == (409, "admission_id")
        r = http.post(f"/v1/admissions/{app['id']}/bed", json={"bed_id": str(foreign.beds["Y-1"])})
        assert (r.status_code, r.json()["field"], r.json()["detail"]) == (404, "bed_id", "bed not found")
        r = http.post(f"/v1/admissions/{app['id']}/bed", json={"bed_id": str(uuid.uuid4())})
        assert (r.status_code, r.json()["field"]) == (404, "bed_id")
        r = http.post(
            f"/v1/admissions/{app['id']}/bed",
            json={"bed_id": str(layout.beds["X-1"]), "move_in_date": "2020-01-01"},
        )
        assert (r.status_code, r.json()["field"]) == (422, "move_in_date")
        r = http.post(
            f"/v1/admissions/{app['id']}/bed",
            json={"bed_id": str(layout.beds["X-1"]), "move_in_date": "soon"},
        )
        assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["move_in_date"]
        http.post(
            f"/v1/admissions/{app['id']}/bed", json={"bed_id": str(layout.beds["X-1"])}
        ).raise_for_status()
        r = http.post(f"/v1/admissions/{app['id']}/discharge", json={"kind": "administrative"})
        assert (r.status_code, r.json()["field"]) == (422, "reason")
        r = http.post(
            f"/v1/admissions/{app['id']}/discharge", json={"kind": "administrative", "reason": "voluntary"}
        )
        assert (r.status_code, r.json()["field"]) == (422, "reason")
        r = http.post(
            f"/v1/admissions/{app['id']}/discharge",
            json={"kind": "administrative", "reason": "rule_violation"},
        )
        assert r.status_code == 200, r.text
    with tenant_session(org.org_id, actor_type="test") as s:
        assert s.scalar(select(func.count()).select_from(Admission)) == 1
        assert s.scalar(select(func.count()).select_from(Discharge)) == 1
    with httpx.Client(base_url=stack, headers=other.headers(STAFF), timeout=60) as http:
        assert http.get(f"/v1/admissions/{app['id']}").status_code == 404


def test_staff_reorder_and_remove_waitlist_entries_with_a_reason(stack: str, orgs: OrgFactory) -> None:
    org = orgs.create((STAFF, UserRole.PEER_SUPPORT))
    layout = house(org.org_id, ["W-1"])
    with httpx.Client(base_url=stack, headers=org.headers(STAFF), timeout=60) as http:
        apps = [_apply(http, approved_lead(org.org_id, first=f"Wait{i}"), layout.house_id) for i in range(3)]
        for a in apps:
            assert http.post(f"/v1/admissions/{a['id']}/waitlist", json={}).status_code == 200
        queue = http.get("/v1/waitlist", params={"house_id": str(layout.house_id)}).json()
        assert [e["admission_id"] for e in queue] == [a["id"] for a in apps]
        last = queue[2]["id"]
        r = http.post(
            f"/v1/waitlist/{last}/priority",
            json={"priority": "urgent", "reason": "discharged from detox today"},
        )
        assert r.status_code == 200, r.text
        r = http.post(f"/v1/waitlist/{queue[0]['id']}/removal", json={"reason": "found other housing"})
        assert (r.status_code, r.json()["status"]) == (200, "removed")
        assert [e["admission_id"] for e in http.get("/v1/waitlist").json()] == [apps[2]["id"], apps[1]["id"]]
        r = http.post(f"/v1/waitlist/{last}/priority", json={"priority": "urgent"})
        assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["reason"]
    with httpx.Client(base_url=stack, headers=org.headers(UserRole.PEER_SUPPORT), timeout=60) as http:
        assert http.post(f"/v1/waitlist/{last}/removal", json={"reason": "x"}).status_code == 403
        assert http.get("/v1/beds/board").status_code == 200


def test_journey_messages_with_bad_input_are_4xx_naming_the_field_and_leave_the_stay_as_it_was(
    stack: str, orgs: OrgFactory
) -> None:
    org, other = orgs.create((STAFF,)), orgs.create((STAFF,))
    layout = house(org.org_id, ["Z-1", "Z-2"])
    foreign = house(other.org_id, ["F-1"])
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    with httpx.Client(base_url=stack, headers=org.headers(STAFF), timeout=60) as http:
        lead = approved_lead(org.org_id)
        app = _apply(http, lead, layout.house_id)
        base = f"/v1/admissions/{app['id']}"

        def refused(path: str, body: dict[str, Any]) -> tuple[int, str | None]:
            r = http.post(path, json=body)
            fields = [e["field"] for e in r.json().get("errors") or []]
            return r.status_code, r.json().get("field") if not fields else fields[0]

        assert refused(f"{base}/bed", {"bed_id": "bed-1"}) == (422, "bed_id")
        assert refused(f"{base}/bed", {"bed_id": str(layout.beds["Z-1"]), "move_in_date": "2026-02-30"}) == (
            422,
            "move_in_date",
        )
        assert refused(f"/v1/admissions/{uuid.uuid4()}/bed", {"bed_id": str(layout.beds["Z-1"])})[0] == 404
        http.post(f"{base}/bed", json={"bed_id": str(layout.beds["Z-1"])}).raise_for_status()
        # Placing, admitting or converting again what is already active is a conflict.
        assert refused(f"{base}/bed", {"bed_id": str(layout.beds["Z-2"])}) == (409, "bed_id")
        again = {"resident_id": app["resident_id"], "house_id": str(layout.house_id), "weekly_rate_cents": 1}
        assert refused("/v1/admissions", again) == (409, "resident_id")
        same_lead = {"lead_id": str(lead), "house_id": str(layout.house_id), "weekly_rate_cents": 1}
        assert refused("/v1/admissions", same_lead) == (409, "lead_id")
        # Transfers: malformed, unknown, another org's bed, the same bed.
        assert refused(f"{base}/transfer", {"to_bed_id": "Z-2"}) == (422, "to_bed_id")
        assert refused(f"{base}/transfer", {"to_bed_id": str(uuid.uuid4())}) == (404, "to_bed_id")
        assert refused(f"{base}/transfer", {"to_bed_id": str(foreign.beds["F-1"])}) == (404, "to_bed_id")
        assert refused(f"{base}/transfer", {"to_bed_id": str(layout.beds["Z-1"])}) == (422, "to_bed_id")
        assert refused(
            f"{base}/transfer", {"to_bed_id": str(layout.beds["Z-2"]), "effective_date": "soon"}
        ) == (
            422,
            "effective_date",
        )
        # Discharges: before the move-in, a malformed date, an unknown kind.
        assert refused(f"{base}/discharge", {"kind": "voluntary", "date": yesterday}) == (422, "date")
        assert refused(f"{base}/discharge", {"kind": "voluntary", "date": "2026-11-31"}) == (422, "date")
        assert refused(f"{base}/discharge", {"kind": "evicted"}) == (422, "kind")
        journey = http.get(f"{base}/journey").json()
        assert (journey["stage"], journey["bed_id"]) == ("active", str(layout.beds["Z-1"]))
    with tenant_session(org.org_id, actor_type="test") as s:
        assert s.scalar(select(func.count()).select_from(Admission)) == 1
        assert s.scalar(select(func.count()).select_from(BedTransfer)) == 0
        assert s.scalar(select(func.count()).select_from(Discharge)) == 0
        assert s.scalars(select(BedOccupancy.bed_id)).all() == [layout.beds["Z-1"]]


def test_a_transfer_obeys_the_house_rules_of_placement_and_a_mismatch_is_a_409_naming_the_rule(
    stack: str, orgs: OrgFactory
) -> None:
    org = orgs.create((STAFF,))
    men = house(org.org_id, ["M-1", "M-2"], name="Oak House", gender=HouseGender.MEN)
    women = house(org.org_id, ["W-1"], name="Elm House", gender=HouseGender.WOMEN)
    coed = house(org.org_id, ["C-1"], name="Ash House", gender=HouseGender.COED)
    lead_id = uuid.uuid4()
    with tenant_session(org.org_id, actor_type="test") as s:
        intake.record_lead(
            s, lead_id, NewLead("Dmitri", "Alvarez", housing_gender=HouseGender.MEN), created_by=None
        )
        intake.set_status(s, lead_id, LeadStatus.APPROVED)
    with httpx.Client(base_url=stack, headers=org.headers(STAFF), timeout=60) as http:
        app = _apply(http, lead_id, men.house_id)
        refused = http.post(f"/v1/admissions/{app['id']}/bed", json={"bed_id": str(women.beds["W-1"])})
        assert refused.status_code == 409, refused.text
        assert refused.json()["field"] == "bed_id" and "women" in refused.json()["detail"]
        placed = http.post(f"/v1/admissions/{app['id']}/bed", json={"bed_id": str(men.beds["M-1"])})
        assert placed.status_code == 200, placed.text
        moved = http.post(f"/v1/admissions/{app['id']}/transfer", json={"to_bed_id": str(women.beds["W-1"])})
        assert moved.status_code == 409, moved.text
        assert moved.json()["field"] == "to_bed_id" and "women" in moved.json()["detail"]
        assert _board_bed(http, women.house_id, women.beds["W-1"])["status"] == "free"
        assert _board_bed(http, men.house_id, men.beds["M-1"])["status"] == "occupied"
        ok = http.post(f"/v1/admissions/{app['id']}/transfer", json={"to_bed_id": str(coed.beds["C-1"])})
        assert ok.status_code == 200, ok.text
