"""Break-glass over real HTTP: a reason is required (422 naming it, nothing written), the grant
opens the record on `break-glass:<id>` at once, billing staff may not open one, a house manager
only for their own house; compliance officers see the queue with the reason and review once."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select

from core.db import tenant_session
from core.enums import UserRole
from models.compliance_extended import BreakGlassEvent
from tests.consent import access_builders as build
from tests.factories import OrgFactory
from tests.scope.world import add_login, build_side

R = UserRole


def _count(org_id: object) -> int:
    with tenant_session(org_id, actor_type="test") as s:  # type: ignore[arg-type]
        return int(s.scalar(select(func.count()).select_from(BreakGlassEvent)) or 0)


def test_break_glass_opens_the_record_for_its_time_and_is_reviewed_once(stack: str, orgs: OrgFactory) -> None:
    org = orgs.create((R.PEER_SUPPORT, R.BILLING_SPECIALIST, R.COMPLIANCE_OFFICER))
    side, other = build_side(org.org_id, "Juniper"), build_side(org.org_id, "Larch")
    resident = side.active
    build.part2_fields(org.org_id, resident)
    _, house_manager = add_login(org.org_id, R.HOUSE_MANAGER, house_id=other.house_id)
    url = f"/v1/residents/{resident}/break-glass"
    with httpx.Client(base_url=stack, headers=org.headers(R.PEER_SUPPORT), timeout=60) as peer:
        for body in ({}, {"reason": "   "}, {"reason": ""}):
            r = peer.post(url, json=body)
            assert (r.status_code, r.json()["field"]) == (422, "reason"), body
        too_long = peer.post(url, json={"reason": "Overdose", "minutes": 600})
        assert (too_long.status_code, too_long.json()["field"]) == (422, "minutes")
        assert _count(org.org_id) == 0
        assert "diagnoses" not in peer.get(f"/v1/residents/{resident}/record").json()

        opened = peer.post(
            url,
            json={"reason": "Overdose in the kitchen; EMS on the way"},
            headers={"Idempotency-Key": "bg-1"},
        )
        assert opened.status_code == 201, opened.text
        grant = opened.json()
        assert grant["reason"] is None  # never echoed outside the review read
        again = peer.post(
            url,
            json={"reason": "Overdose in the kitchen; EMS on the way"},
            headers={"Idempotency-Key": "bg-1"},
        )
        assert again.status_code == 200 and again.json()["id"] == grant["id"]
        elsewhere = peer.post(
            f"/v1/residents/{side.waiting}/break-glass",
            json={"reason": "Overdose in the kitchen; EMS on the way"},
            headers={"Idempotency-Key": "bg-1"},
        )
        assert elsewhere.status_code == 422  # the same key for another resident
        record = peer.get(f"/v1/residents/{resident}/record").json()
        assert record["access_basis"] == f"break-glass:{grant['id']}"
        assert record["diagnoses"] == ["F11.20 Opioid use disorder, severe"]
        assert _count(org.org_id) == 1
        assert (
            peer.post(
                f"/v1/break-glass/{grant['id']}/review", json={"outcome": "justified", "notes": "x"}
            ).status_code
            == 403
        )

    with httpx.Client(base_url=stack, headers=org.headers(R.BILLING_SPECIALIST), timeout=60) as billing:
        assert billing.post(url, json={"reason": "curious"}).status_code == 403
    with httpx.Client(base_url=stack, headers={"Authorization": f"Bearer {house_manager}"}, timeout=60) as hm:
        r = hm.post(url, json={"reason": "Emergency"})
        assert (r.status_code, r.json()["field"]) == (404, "resident_id")
    assert _count(org.org_id) == 1

    with httpx.Client(base_url=stack, headers=org.headers(R.COMPLIANCE_OFFICER), timeout=60) as officer:
        queue = officer.get("/v1/break-glass", params={"unreviewed": "true"}).json()
        assert [q["id"] for q in queue] == [grant["id"]]
        one = officer.get(f"/v1/break-glass/{grant['id']}").json()
        assert one["reason"] == "Overdose in the kitchen; EMS on the way"
        missing = officer.post(f"/v1/break-glass/{grant['id']}/review", json={"outcome": "justified"})
        assert (missing.status_code, missing.json()["field"]) == (422, "notes")
        reviewed = officer.post(
            f"/v1/break-glass/{grant['id']}/review", json={"outcome": "justified", "notes": "Naloxone given"}
        )
        assert reviewed.status_code == 200, reviewed.text
        assert reviewed.json()["review_outcome"] == "justified"
        assert reviewed.json()["reviewed_by_user_id"] == str(org.users[R.COMPLIANCE_OFFICER])
        twice = officer.post(
            f"/v1/break-glass/{grant['id']}/review", json={"outcome": "not_justified", "notes": "x"}
        )
        assert (twice.status_code, twice.json()["field"]) == (409, "id")
        assert officer.get("/v1/break-glass", params={"unreviewed": "true"}).json() == []
        unknown = officer.post(
            f"/v1/break-glass/{side.waiting}/review", json={"outcome": "justified", "notes": "x"}
        )
        assert (unknown.status_code, unknown.json()["field"]) == (404, "id")
