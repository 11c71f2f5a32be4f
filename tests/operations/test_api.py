"""Chores and meetings over real HTTP, as a house manager scoped to one house: templates and
chores, a week's rotation and verification, meetings, self-reports and their confirmation, the
weekly check's shortfall flag; 4xx naming the field; another house's ids are a 404."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select

from core.db import tenant_session
from core.enums import UserRole
from models.operations import ChoreAssignment, MeetingAttendance
from services.operations.chores import week_of
from tests.billing.builders import admit
from tests.factories import OrgFactory, SampleOrg
from tests.operations.builders import chore_house, meeting_rules
from tests.scope.world import add_login


def _monday(weeks: int) -> date:
    return week_of(datetime.now(UTC).date()) + timedelta(days=7 * weeks)


@dataclass(frozen=True)
class World:
    org: SampleOrg
    a: uuid.UUID
    b: uuid.UUID
    residents: list[uuid.UUID]
    other: uuid.UUID
    hm: str
    manager: uuid.UUID
    house_meeting: uuid.UUID


@pytest.fixture
def world(stack: str, orgs: OrgFactory) -> World:
    org = orgs.create((UserRole.EXECUTIVE_DIRECTOR,))
    a = chore_house(org.org_id, beds=4, name="Alder House")
    b = chore_house(org.org_id, beds=2, name="Beech House")
    manager, token = add_login(org.org_id, UserRole.HOUSE_MANAGER, house_id=a.house.house_id)
    with tenant_session(org.org_id, actor_type="test") as s:
        from models.orgs import House

        house = s.get(House, a.house.house_id)
        assert house is not None
        house.house_manager_id = manager
    moved_in = _monday(-1) - timedelta(days=30)
    residents = admit(org.org_id, a.house, [(moved_in, None)] * 3)
    (other,) = admit(org.org_id, b.house, [(moved_in, None)])
    rules = meeting_rules(org.org_id, a.house.house_id, moved_in - timedelta(days=400))
    return World(
        org, a.house.house_id, b.house.house_id, residents, other, token, manager, rules.house_meeting
    )


def _client(stack: str, token: str) -> httpx.Client:
    return httpx.Client(base_url=stack, headers={"Authorization": f"Bearer {token}"}, timeout=60)


def test_a_house_manager_rotates_verifies_and_counts_misses_in_their_house(stack: str, world: World) -> None:
    a, b = world.a, world.b
    with _client(stack, world.hm) as http:
        templates = http.get(f"/v1/houses/{a}/chore-templates").json()["items"]
        assert len(templates) == 4
        t = http.post(f"/v1/houses/{a}/chore-templates", json={"name": "Laundry room", "default_points": 2})
        assert t.status_code == 201, t.text
        made = http.post(f"/v1/houses/{a}/chores", json={"template_id": t.json()["id"], "day_of_week": 3})
        assert made.status_code == 201 and made.json()["points"] == 2
        again = http.post(f"/v1/houses/{a}/chores", json={"template_id": t.json()["id"]})
        assert (again.status_code, again.json()["field"]) == (409, "template_id")
        bad = http.post(f"/v1/houses/{a}/chores", json={"template_id": t.json()["id"], "day_of_week": 7})
        assert (bad.status_code, bad.json()["field"]) == (422, "day_of_week")

        tuesday = http.post(
            f"/v1/houses/{a}/chore-weeks", json={"week_start": str(_monday(1) + timedelta(days=1))}
        )
        assert (tuesday.status_code, tuesday.json()["field"]) == (422, "week_start")
        week = str(_monday(1))
        rotated = http.post(f"/v1/houses/{a}/chore-weeks", json={"week_start": week})
        assert rotated.status_code == 201, rotated.text
        rows = rotated.json()["assignments"]
        assert len(rows) == 5 and {r["resident_id"] for r in rows} == {str(r) for r in world.residents}
        # Asked again: the rotation it made, not a second one.
        assert (
            http.post(f"/v1/houses/{a}/chore-weeks", json={"week_start": week}).json()["assignments"] == rows
        )

        page = http.get(f"/v1/houses/{a}/chore-assignments", params={"due_from": week, "limit": 2}).json()
        assert len(page["items"]) == 2 and page["next_offset"] == 2
        first, second = rows[0]["id"], rows[1]["id"]
        photo = http.post(
            f"/v1/houses/{a}/chore-assignments/{first}/verification",
            json={"done": True, "photo_file_id": str(uuid.uuid4())},
        )
        assert (photo.status_code, photo.json()["field"]) == (404, "photo_file_id")
        done = http.post(f"/v1/houses/{a}/chore-assignments/{first}/verification", json={"done": True})
        assert done.status_code == 200 and done.json()["status"] == "verified"
        flip = http.post(f"/v1/houses/{a}/chore-assignments/{first}/verification", json={"done": False})
        assert (flip.status_code, flip.json()["field"]) == (409, "status")
        missed = http.post(f"/v1/houses/{a}/chore-assignments/{second}/verification", json={"done": False})
        assert missed.json()["status"] == "missed"
        misses = http.get(f"/v1/houses/{a}/chore-misses", params={"from": week, "to": str(_monday(2))}).json()
        assert misses == [{"resident_id": rows[1]["resident_id"], "missed": 1}]
        backwards = http.get(f"/v1/houses/{a}/chore-misses", params={"from": week, "to": str(_monday(0))})
        assert (backwards.status_code, backwards.json()["field"]) == (422, "to")

        # Another house: a 404 naming the house, nothing written, no process started.
        with tenant_session(world.org.org_id, actor_type="test") as s:
            before = s.scalar(select(func.count()).select_from(ChoreAssignment))
        for method, path, body in [
            ("GET", f"/v1/houses/{b}/chores", None),
            ("GET", f"/v1/houses/{b}/chore-assignments", None),
            ("POST", f"/v1/houses/{b}/chore-weeks", {"week_start": week}),
            ("POST", f"/v1/houses/{b}/chore-assignments/{first}/verification", {"done": True}),
        ]:
            got = http.request(method, path, json=body)
            assert (got.status_code, got.json()["field"]) == (404, "house_id"), (path, got.text)
        with tenant_session(world.org.org_id, actor_type="test") as s:
            assert s.scalar(select(func.count()).select_from(ChoreAssignment)) == before


def test_meetings_self_reports_and_the_weekly_shortfall_flag_over_http(stack: str, world: World) -> None:
    a, b = world.a, world.b
    new, steady, third = world.residents
    last = _monday(-1)
    with _client(stack, world.hm) as http:
        types = http.get("/v1/meeting-types").json()["items"]
        assert {t["kind"] for t in types} == {"house_meeting", "aa"}
        naive = http.post(
            f"/v1/houses/{a}/meetings",
            json={
                "meeting_type_id": str(world.house_meeting),
                "title": "House meeting",
                "starts_at": f"{last}T19:00:00",
            },
        )
        assert (naive.status_code, naive.json()["field"]) == (422, "starts_at")
        m = http.post(
            f"/v1/houses/{a}/meetings",
            json={
                "meeting_type_id": str(world.house_meeting),
                "title": "House meeting",
                "starts_at": f"{last + timedelta(days=1)}T19:00:00-05:00",
            },
        )
        assert m.status_code == 201, m.text
        for rid in (new, steady, third):
            took = http.post(
                f"/v1/houses/{a}/meetings/{m.json()['id']}/attendance", json={"resident_id": str(rid)}
            )
            assert took.status_code == 200 and took.json()["verified_at"] is not None
        outsider = http.post(
            f"/v1/houses/{a}/meetings/{m.json()['id']}/attendance", json={"resident_id": str(world.other)}
        )
        assert (outsider.status_code, outsider.json()["field"]) == (404, "resident_id")
        # Three outside meetings each for two of them, confirmed; one self-report for the third.
        for rid, n in ((steady, 3), (third, 3), (new, 1)):
            for day in range(n):
                r = http.post(
                    f"/v1/residents/{rid}/attendance",
                    json={
                        "kind": "aa",
                        "attended_at": f"{last + timedelta(days=day)}T12:00:00Z",
                        "meeting_name": "Noon group",
                    },
                )
                assert r.status_code == 201 and r.json()["verified_at"] is None, r.text
                ok = http.post(
                    f"/v1/houses/{a}/attendance/{r.json()['id']}/verification", json={"confirmed": True}
                )
                assert ok.status_code == 200 and ok.json()["verified_at"] is not None
        progress = {
            p["resident_id"]: p
            for p in http.get(f"/v1/houses/{a}/meeting-progress", params={"week_start": str(last)}).json()
        }
        assert progress[str(new)]["short"] is True and progress[str(steady)]["short"] is False
        assert sorted((n["required"], n["attended"]) for n in progress[str(new)]["needs"]) == [(1, 1), (3, 1)]

        check = http.post(f"/v1/houses/{a}/meeting-checks", json={"week_start": str(last)})
        assert check.status_code == 201, check.text
        assert (check.json()["checked"], check.json()["flagged"]) == (3, [str(new)])
        flags = http.get(f"/v1/houses/{a}/shortfalls").json()["items"]
        assert [(f["resident_id"], f["assigned_to_user_id"], f["status"]) for f in flags] == [
            (str(new), str(world.manager), "open")
        ]
        # Another house's meetings and flags are a 404; its resident cannot be reported for.
        assert http.get(f"/v1/houses/{b}/shortfalls").status_code == 404
        assert http.post(f"/v1/houses/{b}/meeting-checks", json={}).json()["field"] == "house_id"
        other = http.post(
            f"/v1/residents/{world.other}/attendance",
            json={"kind": "aa", "attended_at": f"{last}T12:00:00Z"},
        )
        assert (other.status_code, other.json()["field"]) == (404, "resident_id")
    with tenant_session(world.org.org_id, actor_type="test") as s:
        assert s.scalar(select(func.count()).select_from(MeetingAttendance)) == 3 + 7
