"""House safety over real HTTP with real roles: a house manager acts on their own house only
(another house's resident, pass or draw is a 404 naming the field), bad input is a 4xx naming
the field with nothing written, a pass goes from request to approval to departure, and a day's
draw is recomputed from its record and equal."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import httpx
from sqlalchemy import func, select

from core.config import get_settings
from core.db import tenant_session
from core.enums import UserRole
from models.operations import Pass
from services.operations import drug_tests
from tests.factories import OrgFactory
from tests.operations.places import living_resident, pa_house
from tests.scope.world import add_login

STAFF = UserRole.EXECUTIVE_DIRECTOR


def _passes(org_id: uuid.UUID) -> int:
    with tenant_session(org_id, actor_type="test") as s:
        return int(s.scalar(select(func.count()).select_from(Pass)) or 0)


def test_a_house_manager_runs_passes_and_draws_of_their_own_house_only(stack: str, orgs: OrgFactory) -> None:
    org = orgs.create((STAFF,))
    a, b = pa_house(org.org_id, None, ["A-1"]), pa_house(org.org_id, None, ["B-1"])
    ra, rb = (
        living_resident(org.org_id, a.house_id, "Anneliese"),
        living_resident(org.org_id, b.house_id, "Berit"),
    )
    _, token = add_login(org.org_id, UserRole.HOUSE_MANAGER, house_id=a.house_id)
    now = datetime.now(UTC)
    day = {
        "pass_type": "day",
        "departs_at": now.isoformat(),
        "returns_at": (now + timedelta(hours=3)).isoformat(),
    }
    with httpx.Client(base_url=stack, headers={"Authorization": f"Bearer {token}"}, timeout=60) as hm:
        # Another house's resident: 404 naming the resident, nothing written.
        r = hm.post("/v1/operations/passes", json={**day, "resident_id": str(rb)})
        assert r.status_code == 404 and r.json()["field"] == "resident_id", r.text
        # Back before leaving: 422 naming returns_at, nothing written.
        bad = {**day, "resident_id": str(ra), "returns_at": (now - timedelta(hours=1)).isoformat()}
        r = hm.post("/v1/operations/passes", json=bad)
        assert r.status_code == 422 and r.json()["field"] == "returns_at", r.text
        assert _passes(org.org_id) == 0

        r = hm.post("/v1/operations/passes", json={**day, "resident_id": str(ra)})
        assert r.status_code == 201, r.text
        pass_id = r.json()["id"]
        r = hm.post(
            f"/v1/operations/passes/{pass_id}/decision", json={"approve": True, "note": "Call at 3 pm"}
        )
        assert r.status_code == 200 and r.json()["status"] == "approved", r.text
        assert r.json()["conditions"] == "Call at 3 pm"
        r = hm.post(f"/v1/operations/passes/{pass_id}/departure")
        assert r.status_code == 200 and r.json()["status"] == "active", r.text
        # A second decision is refused naming the pass.
        r = hm.post(f"/v1/operations/passes/{pass_id}/decision", json={"approve": False})
        assert r.status_code in (409, 422) and r.json()["field"] == "pass_id", r.text
        listed = hm.get("/v1/operations/passes").json()
        assert [p["id"] for p in listed["items"]] == [pass_id]

        key = get_settings().draw_key()
        with tenant_session(org.org_id, actor_type="test") as s:
            mine = drug_tests.make_draw(s, key, a.house_id, date(2026, 12, 1)).id
            theirs = drug_tests.make_draw(s, key, b.house_id, date(2026, 12, 1)).id
        v = hm.get(f"/v1/operations/drug-test-draws/{mine}/verification")
        assert v.status_code == 200 and v.json()["equal"] is True, v.text
        assert hm.get(f"/v1/operations/drug-test-draws/{theirs}").status_code == 404
        assert hm.get(f"/v1/operations/drug-test-draws/{theirs}/verification").status_code == 404
        assert [d["id"] for d in hm.get("/v1/operations/drug-test-draws").json()["items"]] == [str(mine)]

    with httpx.Client(base_url=stack, headers=org.headers(STAFF), timeout=60) as ed:
        r = ed.post("/v1/operations/passes", json={**day, "resident_id": str(rb)})
        assert r.status_code == 201, r.text
        theirs_pass = r.json()["id"]
    with httpx.Client(base_url=stack, headers={"Authorization": f"Bearer {token}"}, timeout=60) as hm:
        r = hm.get(f"/v1/operations/passes/{theirs_pass}")
        assert r.status_code == 404 and r.json()["field"] == "pass_id"
        r = hm.post(f"/v1/operations/passes/{theirs_pass}/decision", json={"approve": True})
        assert r.status_code == 404


def test_an_incident_at_a_pennsylvania_house_shows_its_state_report_due_and_bad_input_names_the_field(
    stack: str, orgs: OrgFactory
) -> None:
    org = orgs.create((STAFF,))
    a = pa_house(org.org_id, None, ["A-1"])
    now = datetime.now(UTC)
    body = {
        "house_id": str(a.house_id),
        "incident_type": "police",
        "severity": "medium",
        "occurred_at": now.isoformat(),
        "description": "Police called to the porch.",
        "police_involved": True,
        "follow_ups": [{"title": "Write the report", "due_in_hours": 24}],
    }
    with httpx.Client(base_url=stack, headers=org.headers(STAFF), timeout=60) as ed:
        r = ed.post("/v1/operations/incidents", json={**body, "severity": "apocalyptic"})
        assert r.status_code == 422 and "severity" in r.text
        r = ed.post("/v1/operations/incidents", json=body)
        assert r.status_code == 201, r.text
        got = r.json()
        assert got["state_report_due_at"] is not None and len(got["tasks"]) == 1
        r = ed.post(f"/v1/operations/incidents/{got['id']}/state-report")
        assert r.status_code == 200 and r.json()["state_reported_at"] is not None, r.text
        pending = ed.get("/v1/operations/incidents", params={"report_pending": True}).json()["items"]
        assert pending == []
