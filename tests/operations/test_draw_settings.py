"""A house's random-draw settings over real HTTP: a house manager reads and changes their own
house's (another house's is a 404 naming `house_id`, nothing changed); a probability outside
0 < p <= 1, a negative cap or a yes/no for a number is a 422 naming the field; a change is in
the audit trail and takes effect from the next day's draw, today's draw keeping what it had."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import httpx
from sqlalchemy import text

from core.config import get_settings
from core.db import tenant_session
from core.enums import UserRole
from services.operations import curfew, drug_tests
from tests.factories import OrgFactory
from tests.operations.places import living_resident, pa_house
from tests.scope.world import add_login

STAFF = UserRole.EXECUTIVE_DIRECTOR
DEFAULT = {"draws": True, "probability": 0.1, "rate_bp": 1000, "weekly_cap": 2}


def _today(org_id: uuid.UUID) -> date:
    with tenant_session(org_id, actor_type="test") as s:
        return datetime.now(UTC).astimezone(curfew.org_zone(s)).date()


def _updates(org_id: uuid.UUID, house_id: uuid.UUID) -> int:
    with tenant_session(org_id, actor_type="test") as s:
        return int(
            s.execute(
                text(
                    "SELECT count(*) FROM audit_events WHERE entity_type = 'houses' AND entity_id = :id"
                    " AND action = 'update'"
                ),
                {"id": house_id},
            ).scalar_one()
        )


def _day(body: dict[str, object]) -> dict[str, object]:
    return {k: body[k] for k in DEFAULT}


def test_a_house_manager_changes_their_houses_draw_from_tomorrow_and_bad_input_names_the_field(
    stack: str, orgs: OrgFactory
) -> None:
    org = orgs.create((STAFF, UserRole.COMPLIANCE_OFFICER))
    a, b = pa_house(org.org_id, None, ["A-1", "A-2"]), pa_house(org.org_id, None, ["B-1"])
    living_resident(org.org_id, a.house_id, "Ilse")
    living_resident(org.org_id, a.house_id, "Margarethe")
    _, token = add_login(org.org_id, UserRole.HOUSE_MANAGER, house_id=a.house_id)
    today = _today(org.org_id)
    updates = _updates(org.org_id, a.house_id)  # setting the house up wrote some
    tomorrow = today + timedelta(days=1)
    mine, theirs = (
        f"/v1/houses/{a.house_id}/random-drug-testing",
        f"/v1/houses/{b.house_id}/random-drug-testing",
    )
    with httpx.Client(base_url=stack, headers={"Authorization": f"Bearer {token}"}, timeout=60) as hm:
        got = hm.get(mine)
        assert got.status_code == 200, got.text
        assert _day(got.json()) == DEFAULT and got.json()["effective_from"] is None
        assert _day(got.json()["today"]) == DEFAULT

        # Another house: 404 naming the house, for a read and for a change, and nothing changed.
        for r in (hm.get(theirs), hm.put(theirs, json={"draws": False, "probability": 0.5, "weekly_cap": 1})):
            assert r.status_code == 404 and r.json()["field"] == "house_id", r.text

        bad = [
            ("probability", {"draws": True, "probability": 0, "weekly_cap": 2}),
            ("probability", {"draws": True, "probability": 1.5, "weekly_cap": 2}),
            ("probability", {"draws": True, "probability": 0.00005, "weekly_cap": 2}),
            ("weekly_cap", {"draws": True, "probability": 0.2, "weekly_cap": -1}),
            ("weekly_cap", {"draws": True, "probability": 0.2, "weekly_cap": True}),
            ("draws", {"draws": 1, "probability": 0.2, "weekly_cap": 2}),
        ]
        for field, body in bad:
            r = hm.put(mine, json=body)
            assert r.status_code == 422 and r.json()["field"] == field, (body, r.text)
        assert _updates(org.org_id, a.house_id) == updates
        assert _day(hm.get(mine).json()) == DEFAULT

        # Every resident every day, at most once a week: from tomorrow; today keeps what it had.
        r = hm.put(mine, json={"draws": True, "probability": 1, "weekly_cap": 1})
        assert r.status_code == 200, r.text
        changed = r.json()
        assert _day(changed) == {"draws": True, "probability": 1.0, "rate_bp": 10_000, "weekly_cap": 1}
        assert changed["effective_from"] == tomorrow.isoformat() and _day(changed["today"]) == DEFAULT
        assert _updates(org.org_id, a.house_id) == updates + 1
        assert hm.get(mine).json() == changed

    key = get_settings().draw_key()
    with tenant_session(org.org_id, actor_type="test") as s:
        drawn_today = drug_tests.make_draw(s, key, a.house_id, today)
        drawn_tomorrow = drug_tests.make_draw(s, key, a.house_id, tomorrow)
        assert (drawn_today.rate_bp, drawn_today.weekly_cap) == (1000, 2)
        assert (drawn_tomorrow.rate_bp, drawn_tomorrow.weekly_cap) == (10_000, 1)
        # Everyone not already at the new cap this week (today's draw may have taken someone).
        under_cap = [r for r in drawn_tomorrow.eligible if drawn_tomorrow.weekly_counts.get(r, 0) < 1]
        assert sorted(drawn_tomorrow.selected) == sorted(under_cap)
        assert len(drawn_tomorrow.eligible) == 2

    # A second change the same day: the last wins from tomorrow, today still as it was; a house
    # that stops drawing is left out of tomorrow's draws but not today's.
    with httpx.Client(base_url=stack, headers=org.headers(STAFF), timeout=60) as ed:
        r = ed.put(mine, json={"draws": False, "probability": 0.25, "weekly_cap": 0})
        assert r.status_code == 200, r.text
        assert r.json()["draws"] is False and r.json()["probability"] == 0.25 and r.json()["weekly_cap"] == 0
        assert r.json()["effective_from"] == tomorrow.isoformat() and _day(r.json()["today"]) == DEFAULT
    with tenant_session(org.org_id, actor_type="test") as s:
        assert a.house_id in drug_tests.draw_houses(s, today)
        assert a.house_id not in drug_tests.draw_houses(s, tomorrow)
        assert b.house_id in drug_tests.draw_houses(s, tomorrow)
        # The recorded draws are what they were: each recomputes from its own inputs.
        assert drug_tests.verify(s, key, drawn_tomorrow.id).equal

    # An auditor reads the settings; only operations staff change them.
    with httpx.Client(base_url=stack, headers=org.headers(UserRole.COMPLIANCE_OFFICER), timeout=60) as co:
        assert co.get(mine).json()["draws"] is False
        assert co.put(mine, json={"draws": True, "probability": 0.1, "weekly_cap": 2}).status_code == 403
