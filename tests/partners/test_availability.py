"""A referral partner's key reads open beds per house: counts with gender and level of support,
the same counts the bed board shows staff, and nothing about who lives there."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from core.db import tenant_session
from core.enums import HouseGender, UserRole
from services import availability, housing
from tests.factories import OrgFactory
from tests.scope.world import build_side

OWNER = UserRole.ORG_OWNER


def test_open_beds_are_the_bed_boards_free_beds_counted_per_house(orgs: OrgFactory) -> None:
    org = orgs.create((OWNER,))
    build_side(org.org_id, "Alder", HouseGender.MEN)  # stays, a transfer, a discharge, a waitlist
    build_side(org.org_id, "Beech", HouseGender.WOMEN)
    today = datetime.now(UTC).date()
    with tenant_session(org.org_id, actor_type="test") as s:
        board = {h.house_id: h.vacant for h in housing.bed_board(s, today).houses}
        counted = {h.house_id: h.open_beds for h in availability.open_beds(s, today)}
        women = availability.open_beds(s, today, HouseGender.WOMEN)
    assert counted == board and sum(counted.values()) < 6  # someone lives there
    assert [h.name for h in women] == ["Beech"]


def test_a_partner_key_reads_counts_and_nothing_else(stack: str, orgs: OrgFactory) -> None:
    org = orgs.create((OWNER,))
    side = build_side(org.org_id, "Cedar", HouseGender.MEN)
    with httpx.Client(base_url=stack, headers=org.headers(OWNER), timeout=30) as http:
        made = http.post(
            "/v1/api-keys", json={"name": "County referral line", "scopes": ["availability:read"]}
        )
        assert made.status_code == 201, made.text
    with httpx.Client(base_url=stack, headers={"Authorization": f"Bearer {made.json()['key']}"}) as partner:
        r = partner.get("/v1/availability", params={"gender": "men"})
        assert r.status_code == 200, r.text
        (house,) = r.json()["houses"]
        assert set(house) == {"house_id", "name", "gender", "level_of_support", "open_beds"}
        assert house["house_id"] == str(side.house_id) and house["gender"] == "men"
        assert str(side.active) not in r.text and "Testperson" not in r.text
        assert partner.get("/v1/beds/board").status_code == 403  # the board names occupants
        assert partner.get("/v1/leads").status_code == 403


def test_a_lead_a_partner_refers_with_its_key_names_the_partner(stack: str, orgs: OrgFactory) -> None:
    org = orgs.create((OWNER,))
    with httpx.Client(base_url=stack, headers=org.headers(OWNER), timeout=30) as http:
        key = {"name": "Hospital discharge desk", "scopes": ["availability:read", "lead:write"]}
        made = http.post("/v1/api-keys", json=key).json()
        own = http.post("/v1/leads", json={"first_name": "Walked", "last_name": "In"}).json()
        assert own["referred_by_api_key_id"] is None
    headers = {"Authorization": f"Bearer {made['key']}"}
    with httpx.Client(base_url=stack, headers=headers, timeout=30) as partner:
        body = {"first_name": "Referred", "last_name": "Person", "referred_by_api_key_id": str(made["id"])}
        assert partner.post("/v1/leads", json=body).status_code == 422  # not the caller's to say
        referred = partner.post("/v1/leads", json={"first_name": "Referred", "last_name": "Person"})
        assert referred.status_code == 201, referred.text
    with httpx.Client(base_url=stack, headers=org.headers(OWNER), timeout=30) as http:
        seen = http.get(f"/v1/leads/{referred.json()['id']}").json()
        assert seen["referred_by_api_key_id"] == made["id"]
