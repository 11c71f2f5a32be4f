"""Check-ins and assessments: answers encrypted (mood included, finding F5), ranges checked in
the application, staff queues without answers, and the answers and results shown only on an
access basis; assessments due on the programme's schedule per resident."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta

import httpx
from sqlalchemy import func, select, text

from core.db import tenant_session
from core.enums import UserRole
from core.permissions import Perm
from models.operations_extended import WellnessCheckIn
from services.consent.access import Caller
from services.operations import assessments
from services.operations.assessments import NewAssessment
from tests.billing.builders import admit, make_house
from tests.factories import OrgFactory
from tests.scope.world import add_login

TODAY = datetime.now(UTC).date()


def test_wellness_answers_are_encrypted_and_withheld_from_staff_without_a_basis(
    stack: str, orgs: OrgFactory
) -> None:
    org = orgs.create((UserRole.EXECUTIVE_DIRECTOR,))
    a = make_house(org.org_id, beds=2)
    resident, other = admit(org.org_id, a, [(TODAY - timedelta(days=20), None)] * 2)
    _, token = add_login(org.org_id, UserRole.HOUSE_MANAGER, house_id=a.house_id)
    with httpx.Client(base_url=stack, headers={"Authorization": f"Bearer {token}"}, timeout=60) as http:
        base = f"/v1/residents/{resident}/wellness-check-ins"
        day = str(TODAY)
        bad = http.post(base, json={"check_in_date": day, "mood_rating": 11})
        assert (bad.status_code, bad.json()["field"]) == (422, "mood_rating")
        bad = http.post(base, json={"check_in_date": day, "mood_rating": 5, "craving_rating": -1})
        assert (bad.status_code, bad.json()["field"]) == (422, "craving_rating")
        ok = http.post(
            base,
            json={"check_in_date": day, "mood_rating": 3, "craving_rating": 7, "follow_up_requested": True},
        )
        assert ok.status_code == 201 and ok.json()["answers"] is None, ok.text
        # A house manager has no clinical:read: the check-ins, never the answers.
        listed = http.get(base).json()
        assert listed["access_basis"] is None and [i["answers"] for i in listed["items"]] == [None]
        queue = http.get(f"/v1/houses/{a.house_id}/wellness-follow-ups").json()["items"]
        assert [(q["resident_id"], q["answers"]) for q in queue] == [(str(resident), None)]
        seen = http.post(
            f"/v1/houses/{a.house_id}/wellness-check-ins/{ok.json()['id']}/review",
            json={"staff_notes": "Talked"},
        )
        assert seen.json()["reviewed_at"] is not None
        assert http.get(f"/v1/houses/{a.house_id}/wellness-follow-ups").json()["items"] == []

        daily = f"/v1/residents/{other}/daily-check-ins"
        first = http.post(daily, json={"check_in_date": day, "method": "app", "responses": {"plan": "work"}})
        assert first.status_code == 201, first.text
        twice = http.post(daily, json={"check_in_date": day})
        assert (twice.status_code, twice.json()["field"]) == (409, "check_in_date")
        before = http.post(daily, json={"check_in_date": str(TODAY - timedelta(days=400))})
        assert (before.status_code, before.json()["field"]) == (422, "check_in_date")
        rows = http.get(f"/v1/houses/{a.house_id}/daily-check-ins", params={"on": day}).json()["items"]
        assert [(r["resident_id"], r["status"]) for r in rows] == [(str(other), "on_time")]
        assert "responses" not in rows[0]
    with tenant_session(org.org_id, actor_type="test") as s:
        assert s.scalar(select(func.count()).select_from(WellnessCheckIn)) == 1
        raw = s.execute(text("SELECT mood_rating FROM wellness_check_ins")).scalar()
        assert raw is not None and bytes(raw) not in (b"3", b"\x03")


def test_assessments_fall_due_on_the_programme_and_show_results_only_on_a_basis(orgs: OrgFactory) -> None:
    org = orgs.create((UserRole.CASE_MANAGER,))
    a = make_house(org.org_id, beds=2)
    settled, newcomer = admit(
        org.org_id, a, [(TODAY - timedelta(days=60), None), (TODAY - timedelta(days=3), None)]
    )
    with tenant_session(org.org_id, actor_type="test") as s:
        due = {(d.resident_id, d.instrument): d for d in assessments.due(s, a.house_id, TODAY)}
        # Never assessed: due from move-in (the settled resident's are overdue, the newcomer's
        # screening within the week; their recovery-capital measure not yet).
        assert due[(settled, "BAM")].overdue and due[(settled, "BARC-10")].overdue
        assert (newcomer, "BAM") in due and (newcomer, "BARC-10") not in due
        given = datetime.combine(TODAY - timedelta(days=1), time(10), UTC)
        assessments.record(
            s, settled, NewAssessment("BAM", given, score=12, severity="moderate", clinician_notes="x"), None
        )
    with tenant_session(org.org_id, actor_type="test") as s:
        due_now = {(d.resident_id, d.instrument) for d in assessments.due(s, a.house_id, TODAY)}
        assert (settled, "BAM") not in due_now and (settled, "BARC-10") in due_now
        staff = Caller(uuid.uuid4(), frozenset({Perm.CLINICAL_READ, Perm.RESIDENT_READ}))
        page, basis = assessments.resident_assessments(s, staff, settled, datetime.now(UTC), 10, 0)
        assert basis is None and [r.next_due_date for r in page.items] == [
            TODAY - timedelta(days=1) + timedelta(days=30)
        ]
        themself = Caller(uuid.uuid4(), frozenset({Perm.SELF_SERVICE}), resident_id=settled)
        _, basis = assessments.resident_assessments(s, themself, settled, datetime.now(UTC), 10, 0)
        assert basis is not None and str(basis) == "self"
        assert assessments.results(page.items[0])["score"] == 12
