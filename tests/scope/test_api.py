"""Scoped roles and the journey's list routes over real HTTP: a house manager of house A gets
404 for house B's residents, leads, beds and admissions and lists only house A; a property
manager cannot place anyone in (or from) another property; a resident sees only themself;
every list pages, filters and sorts on whitelisted fields; every response is no-store."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute
from sqlalchemy import func, select, text

from api.routes import admission as admission_routes
from api.routes import intake as intake_routes
from core.db import tenant_session
from core.enums import ResidentStatus, UserRole
from models.residents import Admission
from tests.admission.places import approved_lead
from tests.factories import OrgFactory, SampleOrg
from tests.scope.world import Side, add_login, build_side

STAFF = UserRole.CASE_MANAGER


@dataclass
class World:
    org: SampleOrg
    a: Side
    b: Side
    house_manager: str  # tokens
    property_manager: str
    resident: str
    # Admissions opened through the API (so their journeys run): one per house.
    journey_a: str
    journey_b: str
    lead: str  # a lead recorded through the API


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _open(http: httpx.Client, org_id: uuid.UUID, house_id: uuid.UUID) -> str:
    r = http.post(
        "/v1/admissions",
        json={"lead_id": str(approved_lead(org_id)), "house_id": str(house_id), "weekly_rate_cents": 100},
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


@pytest.fixture(scope="module")
def world(stack: str, orgs: OrgFactory) -> World:
    org = orgs.create((STAFF,))
    a, b = build_side(org.org_id, "Aspen"), build_side(org.org_id, "Birch")
    _, hm = add_login(org.org_id, UserRole.HOUSE_MANAGER, house_id=a.house_id)
    _, pm = add_login(org.org_id, UserRole.PROPERTY_MANAGER, property_id=a.property_id)
    _, res = add_login(org.org_id, UserRole.RESIDENT, resident_id=a.active)
    with httpx.Client(base_url=stack, headers=org.headers(STAFF), timeout=60) as http:
        ja, jb = _open(http, org.org_id, a.house_id), _open(http, org.org_id, b.house_id)
        lead = http.post("/v1/leads", json={"first_name": "Odalys", "last_name": "Quintero"})
        assert lead.status_code == 201, lead.text
    return World(org, a, b, hm, pm, res, ja, jb, str(lead.json()["id"]))


def _ids(r: httpx.Response) -> set[uuid.UUID]:
    assert r.status_code == 200, r.text
    body = r.json()
    rows = body["items"] if isinstance(body, dict) else body
    return {uuid.UUID(i["id"]) for i in rows}


def _problem(r: httpx.Response) -> tuple[int, str | None]:
    return r.status_code, r.json().get("field")


def test_a_house_manager_sees_only_their_house_and_gets_404_for_another(stack: str, world: World) -> None:
    a, b = world.a, world.b
    with httpx.Client(base_url=stack, headers=_bearer(world.house_manager), timeout=60) as http:
        residents = _ids(http.get("/v1/residents", params={"limit": 200}))
        assert a.residents <= residents and not residents & b.residents
        assert _problem(http.get(f"/v1/residents/{b.active}")) == (404, "resident_id")
        assert http.get(f"/v1/residents/{a.active}").json()["current_house_id"] == str(a.house_id)

        leads = _ids(http.get("/v1/leads", params={"limit": 200}))
        assert a.leads <= leads and not leads & b.leads
        assert _problem(http.get(f"/v1/leads/{b.prospect}")) == (404, "lead_id")
        assert http.get(f"/v1/leads/{a.prospect}").status_code == 200

        board = http.get("/v1/beds/board").json()
        assert [h["house_id"] for h in board["houses"]] == [str(a.house_id)]
        assert http.get("/v1/beds/board", params={"house_id": str(b.house_id)}).json()["houses"] == []

        assert _ids(http.get("/v1/transfers")) == {a.transfer}
        assert _ids(http.get("/v1/discharges")) == {a.discharge}
        waiting = _ids(http.get("/v1/waitlist"))
        assert a.entry in waiting and b.entry not in waiting
        assert _problem(http.get(f"/v1/admissions/{b.admissions[0]}")) == (404, "admission_id")
        assert _problem(http.get(f"/v1/admissions/{world.journey_b}/journey")) == (404, "admission_id")
        assert http.get(f"/v1/admissions/{world.journey_a}/journey").status_code == 200
        # A house manager admits into their own house only: another house's journey and
        # another house's bed are as unknown as another org's, and nothing is written.
        before = _admissions(world.org.org_id)
        r = http.post(f"/v1/admissions/{world.journey_b}/bed", json={"bed_id": str(b.beds["3"])})
        assert _problem(r) == (404, "admission_id")
        r = http.post(f"/v1/admissions/{world.journey_a}/bed", json={"bed_id": str(b.beds["3"])})
        assert _problem(r) == (404, "bed_id")
        assert _admissions(world.org.org_id) == before
        assert _stage(stack, world, str(world.journey_a)) == "applied"


def _stage(stack: str, world: World, admission_id: str) -> str:
    with httpx.Client(base_url=stack, headers=world.org.headers(STAFF), timeout=60) as http:
        return str(http.get(f"/v1/admissions/{admission_id}/journey").json()["stage"])


def _admissions(org_id: uuid.UUID) -> int:
    with tenant_session(org_id, actor_type="test") as s:
        return s.scalar(select(func.count()).select_from(Admission)) or 0


def test_a_property_manager_cannot_place_into_or_from_another_property_and_nothing_is_written(
    stack: str, world: World
) -> None:
    a, b = world.a, world.b
    before = _admissions(world.org.org_id)
    with httpx.Client(base_url=stack, headers=_bearer(world.property_manager), timeout=60) as http:
        r = http.post(f"/v1/admissions/{world.journey_b}/bed", json={"bed_id": str(b.beds["3"])})
        assert _problem(r) == (404, "admission_id")
        r = http.post(f"/v1/admissions/{world.journey_a}/bed", json={"bed_id": str(b.beds["3"])})
        assert _problem(r) == (404, "bed_id")
        lead = approved_lead(world.org.org_id)
        body = {"lead_id": str(lead), "house_id": str(b.house_id), "weekly_rate_cents": 100}
        assert _problem(http.post("/v1/admissions", json=body)) == (404, "house_id")
        assert _problem(http.post(f"/v1/admissions/{world.journey_b}/waitlist", json={})) == (
            404,
            "admission_id",
        )
    assert _admissions(world.org.org_id) == before
    assert (_stage(stack, world, world.journey_a), _stage(stack, world, world.journey_b)) == (
        "applied",
        "applied",
    )
    with httpx.Client(base_url=stack, headers=_bearer(world.property_manager), timeout=60) as http:
        r = http.post(f"/v1/admissions/{world.journey_a}/bed", json={"bed_id": str(a.beds["3"])})
        assert r.status_code == 200, r.text
    assert _stage(stack, world, world.journey_a) == "active"


def test_a_resident_sees_only_their_own_record_and_nothing_staff_see(stack: str, world: World) -> None:
    a = world.a
    with httpx.Client(base_url=stack, headers=_bearer(world.resident), timeout=60) as http:
        assert _ids(http.get("/v1/residents")) == {a.active}
        assert http.get(f"/v1/residents/{a.active}").status_code == 200
        assert _problem(http.get(f"/v1/residents/{a.waiting}")) == (404, "resident_id")
        for path in (
            "/v1/leads",
            f"/v1/leads/{a.prospect}",
            "/v1/beds/board",
            "/v1/transfers",
            "/v1/discharges",
            "/v1/waitlist",
            f"/v1/admissions/{a.admissions[0]}",
        ):
            assert http.get(path).status_code == 403, path


@pytest.fixture(scope="module")
def lists(stack: str, orgs: OrgFactory) -> tuple[SampleOrg, Side, Side]:
    org = orgs.create((STAFF,))
    return org, build_side(org.org_id, "Cedar"), build_side(org.org_id, "Dogwood")


def test_residents_page_without_overlap_and_filter_by_status_house_and_property(
    stack: str, lists: tuple[SampleOrg, Side, Side]
) -> None:
    org, a, b = lists
    with httpx.Client(base_url=stack, headers=org.headers(STAFF), timeout=60) as http:
        seen: list[uuid.UUID] = []
        offset: int | None = 0
        while offset is not None:
            page = http.get(
                "/v1/residents", params={"limit": 4, "offset": offset, "sort": "created_at"}
            ).json()
            assert len(page["items"]) <= 4
            seen += [uuid.UUID(i["id"]) for i in page["items"]]
            offset = page["next_offset"]
        assert len(seen) == len(set(seen)) == 6 and set(seen) == a.residents | b.residents
        assert _ids(http.get("/v1/residents", params={"status": "active"})) == {a.active, b.active}
        assert _ids(http.get("/v1/residents", params={"house_id": str(a.house_id)})) == {a.active}
        assert _ids(http.get("/v1/residents", params={"property_id": str(b.property_id)})) == {b.active}
        ranked = http.get("/v1/residents", params={"sort": "-status"}).json()["items"]
        # Enums sort in their lifecycle order (PostgreSQL enum order), latest stage first here.
        order = [s.value for s in ResidentStatus]
        statuses = [r["status"] for r in ranked]
        assert statuses == sorted(statuses, key=order.index, reverse=True) and len(set(statuses)) == 3


def test_leads_transfers_discharges_and_waitlist_filter_on_their_fields(
    stack: str, lists: tuple[SampleOrg, Side, Side]
) -> None:
    org, a, b = lists
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    with httpx.Client(base_url=stack, headers=org.headers(STAFF), timeout=60) as http:
        assert _ids(http.get("/v1/leads", params={"status": "new"})) == {a.prospect, b.prospect}
        assert _ids(http.get("/v1/leads", params={"house_id": str(a.house_id)})) == {a.prospect}
        assert _ids(http.get("/v1/leads", params={"status": "converted"})) == set(
            a.converted_leads + b.converted_leads
        )
        assert _ids(http.get("/v1/transfers", params={"house_id": str(b.house_id)})) == {b.transfer}
        assert _ids(http.get("/v1/transfers", params={"state": "completed"})) == {a.transfer, b.transfer}
        assert _ids(http.get("/v1/transfers", params={"state": "pending"})) == set()
        assert _ids(http.get("/v1/transfers", params={"effective_from": tomorrow})) == set()
        assert _ids(http.get("/v1/transfers", params={"resident_id": str(a.active)})) == {a.transfer}
        assert _ids(http.get("/v1/discharges", params={"kind": "voluntary"})) == {a.discharge, b.discharge}
        assert _ids(http.get("/v1/discharges", params={"reason": "relapse"})) == set()
        assert _ids(http.get("/v1/discharges", params={"discharged_to": "2020-01-01"})) == set()
        assert _ids(http.get("/v1/discharges", params={"house_id": str(a.house_id)})) == {a.discharge}
        assert _ids(http.get("/v1/waitlist", params={"property_id": str(a.property_id)})) == {a.entry}
        assert _ids(http.get("/v1/waitlist", params={"housing_gender": "men"})) == set()
        assert _ids(http.get("/v1/waitlist", params={"status": "placed"})) == set()
        assert _ids(http.get("/v1/waitlist", params={"priority": "normal"})) == {a.entry, b.entry}


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/v1/residents", {"sort": "last_name"}, "sort"),
        ("/v1/leads", {"sort": "email"}, "sort"),
        ("/v1/transfers", {"sort": "reason"}, "sort"),
        ("/v1/discharges", {"sort": "summary"}, "sort"),
        ("/v1/residents", {"limit": 0}, "limit"),
        ("/v1/leads", {"limit": 201}, "limit"),
        ("/v1/discharges", {"offset": -1}, "offset"),
        ("/v1/residents", {"house_id": "house-a"}, "house_id"),
        ("/v1/residents", {"status": "asleep"}, "status"),
        ("/v1/transfers", {"effective_from": "2026-13-01"}, "effective_from"),
        ("/v1/transfers", {"effective_from": "2026-11-20", "effective_to": "2026-11-01"}, "effective_to"),
        ("/v1/discharges", {"discharged_from": "yesterday"}, "discharged_from"),
        ("/v1/discharges", {"discharged_from": "2026-11-20", "discharged_to": "2026-11-19"}, "discharged_to"),
        ("/v1/residents/not-a-uuid", {}, "resident_id"),
        ("/v1/waitlist", {"property_id": "42"}, "property_id"),
    ],
)
def test_bad_list_input_is_a_422_naming_the_field(
    stack: str, lists: tuple[SampleOrg, Side, Side], path: str, params: dict[str, Any], field: str
) -> None:
    org, _, _ = lists
    with httpx.Client(base_url=stack, headers=org.headers(STAFF), timeout=60) as http:
        r = http.get(path, params=params)
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["field"] == field or [e["field"] for e in body.get("errors") or []] == [field], body


def _path(route: APIRoute, ids: dict[str, str]) -> str:
    path = route.path
    for name, value in ids.items():
        path = path.replace("{" + name + "}", value)
    assert "{" not in path, path
    return path


def test_every_journey_and_lead_route_answers_no_store(stack: str, world: World) -> None:
    """Walks every route of the admission and intake routers: each read answers 200 for real
    ids, and every answer (reads, writes, refusals) carries Cache-Control: no-store."""
    reads = {
        "admission_id": world.journey_a,
        "lead_id": world.lead,
        "resident_id": str(world.a.active),
        "entry_id": str(world.a.entry),
    }
    unknown = dict.fromkeys(reads, str(uuid.uuid4()))
    walked = 0
    with httpx.Client(base_url=stack, headers=world.org.headers(STAFF), timeout=60) as http:
        for router in (admission_routes.router, intake_routes.router):
            for route in router.routes:
                assert isinstance(route, APIRoute)
                for method in route.methods or ():
                    if method == "GET":
                        r = http.get(_path(route, reads))
                        assert r.status_code == 200, (route.path, r.text)
                    else:
                        r = http.request(method, _path(route, unknown), json={})
                        assert r.status_code in (202, 404, 422), (route.path, r.text)
                    assert r.headers["cache-control"] == "no-store", route.path
                    walked += 1
    assert walked >= 22


def _idempotency_keys(org_id: uuid.UUID) -> int:
    with tenant_session(org_id, actor_type="test") as s:
        return int(s.execute(text("SELECT count(*) FROM idempotency_keys")).scalar_one())


def test_a_house_manager_takes_an_inquiry_for_their_house_and_owns_it_but_cannot_file_it_elsewhere(
    stack: str, world: World
) -> None:
    a, b = world.a, world.b
    with httpx.Client(base_url=stack, headers=_bearer(world.house_manager), timeout=60) as http:
        r = http.post(
            "/v1/leads",
            json={"first_name": "Jordan", "last_name": "Walker", "house_preference_id": str(a.house_id)},
            headers={"Idempotency-Key": "hm-own-house"},
        )
        assert r.status_code == 201, r.text
        lead_id = r.json()["id"]
        assert r.json()["house_preference_id"] == str(a.house_id)
        assert http.get(f"/v1/leads/{lead_id}").status_code == 200
        assert lead_id in {str(i) for i in _ids(http.get("/v1/leads", params={"limit": 200}))}
        r = http.post(f"/v1/leads/{lead_id}/decision", json={"decision": "approve"})
        assert (r.status_code, r.json()["status"]) == (200, "approved"), r.text

        # Without a house the inquiry is still theirs: they took it.
        r = http.post("/v1/leads", json={"first_name": "Sam", "last_name": "Reyes"})
        assert r.status_code == 201 and http.get(f"/v1/leads/{r.json()['id']}").status_code == 200

        keys = _idempotency_keys(world.org.org_id)
        r = http.post(
            "/v1/leads",
            json={"first_name": "Ana", "last_name": "Lima", "house_preference_id": str(b.house_id)},
            headers={"Idempotency-Key": "hm-other-house"},
        )
        assert _problem(r) == (404, "house_preference_id")
        assert _idempotency_keys(world.org.org_id) == keys
