"""Who reads a resident's Part 2 fields, over real HTTP: a matrix of roles × bases.

Residents of one house: one with the case manager on their care team (and a discharge), one
with an active TPO consent covering the program's own staff, one with neither. Others: a
consent only to outside recipients, an expired one, a revoked one. Without a basis the Part 2
fields are absent from the JSON (never null, never empty), with one they are present, and
every read is audited with its basis."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest

from core.contracts.consent import ConsentKind, RecipientClass
from core.enums import UserRole
from tests.audit.helpers import chain
from tests.consent import access_builders as build
from tests.documents.factories import make_resident
from tests.factories import OrgFactory, SampleOrg
from tests.scope.world import Side, add_login, build_side

R = UserRole
PART2 = {
    "primary_substance",
    "drugs_of_choice",
    "sobriety_date",
    "diagnoses",
    "medications",
    "latest_discharge",
}
ROLES = (R.ORG_OWNER, R.CASE_MANAGER, R.COMPLIANCE_OFFICER, R.BILLING_SPECIALIST, R.PEER_SUPPORT)


@dataclass
class World:
    org: SampleOrg
    side: Side
    tokens: dict[str, str]  # caller name -> bearer token
    residents: dict[str, uuid.UUID]  # name -> resident
    consent: uuid.UUID  # the TPO consent covering staff


@pytest.fixture(scope="module")
def world(stack: str, orgs: OrgFactory) -> World:
    org = orgs.create(ROLES)
    side = build_side(org.org_id, "Cedar")
    residents = {
        "team": side.discharged,
        "consent": side.active,
        "none": side.waiting,
        "outside_only": make_resident(org.org_id, "Odile", "Outside"),
        "expired": make_resident(org.org_id, "Eamon", "Expired"),
        "revoked": make_resident(org.org_id, "Rhea", "Revoked"),
    }
    for rid in residents.values():
        build.part2_fields(org.org_id, rid)
    build.part2_fields(org.org_id, side.discharged, discharge_summary="Left for a higher level of care")
    build.on_care_team(org.org_id, side.discharged, org.users[R.CASE_MANAGER])
    tpo = build.consent(org.org_id, side.active)
    build.consent(org.org_id, residents["outside_only"], classes=(RecipientClass.HEALTH_PLAN,))
    build.consent(org.org_id, residents["expired"], expires_in=timedelta(days=-1))
    build.consent(org.org_id, residents["revoked"], revoked=True)
    # A counseling-notes consent is never a basis for the record.
    build.consent(org.org_id, side.waiting, kind=ConsentKind.COUNSELING_NOTES)
    tokens = {role.value: org.token(role) for role in ROLES}
    tokens["house_manager"] = add_login(org.org_id, R.HOUSE_MANAGER, house_id=side.house_id)[1]
    tokens["resident"] = add_login(org.org_id, R.RESIDENT, resident_id=side.waiting)[1]
    other = orgs.create((R.ORG_OWNER,))
    tokens["other_org_owner"] = other.token(R.ORG_OWNER)
    return World(org, side, tokens, residents, tpo)


# caller -> resident -> the basis expected (None: no basis, fields absent), or 404.
NOT_FOUND = 404
EXPECTED: dict[str, dict[str, str | int | None]] = {
    "org_owner": {"team": None, "consent": "consent", "none": None, "outside_only": None, "expired": None},
    "case_manager": {"team": "treatment-team", "consent": "consent", "none": None, "revoked": None},
    "compliance_officer": {"team": None, "consent": "consent", "none": None, "expired": None},
    # No clinical:read: neither a care-team row nor a consent makes the fields visible.
    "house_manager": {"team": None, "consent": None, "none": None, "outside_only": NOT_FOUND},
    "peer_support": {"team": None, "consent": None, "none": None},
    "billing_specialist": {"team": None, "consent": None, "none": None},
    "resident": {"none": "self", "consent": NOT_FOUND, "team": NOT_FOUND},
    "other_org_owner": {"team": NOT_FOUND, "consent": NOT_FOUND, "none": NOT_FOUND},
}


def _read(stack: str, token: str, resident_id: uuid.UUID) -> httpx.Response:
    with httpx.Client(base_url=stack, headers={"Authorization": f"Bearer {token}"}, timeout=60) as http:
        return http.get(f"/v1/residents/{resident_id}/record")


@pytest.mark.parametrize("caller", list(EXPECTED))
def test_each_caller_reads_part2_fields_exactly_on_its_basis(stack: str, world: World, caller: str) -> None:
    for name, expected in EXPECTED[caller].items():
        rid = world.residents[name]
        r = _read(stack, world.tokens[caller], rid)
        if expected == NOT_FOUND:
            assert r.status_code == 404, (caller, name, r.text)
            assert r.json()["field"] == "resident_id"
            continue
        assert r.status_code == 200, (caller, name, r.text)
        assert r.headers["cache-control"] == "no-store"
        body = r.json()
        assert body["id"] == str(rid) and body["first_name"]
        if expected is None:
            assert body["access_basis"] is None, (caller, name)
            assert not PART2 & set(body), (caller, name, sorted(PART2 & set(body)))
        else:
            assert str(body["access_basis"]).split(":")[0] == expected, (caller, name, body["access_basis"])
            assert set(body) >= PART2
            assert body["primary_substance"] == "opioids" and body["medications"] == ["buprenorphine 8 mg"]
            assert body["sobriety_date"] == "2026-03-14"


def test_the_consent_basis_names_the_consent_and_the_discharge_comes_with_the_team_basis(
    stack: str, world: World
) -> None:
    consent = _read(stack, world.tokens["org_owner"], world.residents["consent"]).json()
    assert consent["access_basis"] == f"consent:{world.consent}"
    team = _read(stack, world.tokens["case_manager"], world.residents["team"]).json()
    assert team["latest_discharge"]["summary"] == "Left for a higher level of care"
    never = _read(stack, world.tokens["case_manager"], world.residents["consent"]).json()
    assert never["latest_discharge"] is None  # a basis, and no discharge: null, not absent


def test_every_read_is_audited_with_its_basis_and_no_values(stack: str, world: World) -> None:
    _read(stack, world.tokens["case_manager"], world.residents["team"])
    _read(stack, world.tokens["billing_specialist"], world.residents["team"])
    reads = [
        e
        for e in chain(world.org.org_id)
        if e.entity_type == "residents"
        and e.entity_id == world.residents["team"]
        and "access_basis" in e.details
    ]
    by = {(e.actor_user_id, e.details["access_basis"], e.details["part2_fields"]) for e in reads}
    assert (world.org.users[R.CASE_MANAGER], "treatment-team", True) in by
    assert (world.org.users[R.BILLING_SPECIALIST], "none", False) in by
    assert "opioids" not in " ".join(str(e.details) for e in reads)


def test_the_openapi_says_the_part2_fields_are_absent_without_a_basis(stack: str) -> None:
    schema = httpx.get(f"{stack}/openapi.json", timeout=60).json()["components"]["schemas"]["ResidentRecord"]
    for name in PART2:
        assert "absent from the response" in schema["properties"][name]["description"], name
    assert set(schema["required"]) == {
        "id",
        "first_name",
        "last_name",
        "status",
        "current_house_id",
        "access_basis",
    }
