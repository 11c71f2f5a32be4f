"""§2.26 restrictions over real HTTP: recorded, answered with a reason, terminated, and enforced
when a disclosure is recorded. A restriction on disclosure to a health plan for services paid
in full out of pocket cannot be denied: the API says so with a 409 and the database agrees."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from core.db import tenant_session
from core.enums import UserRole
from core.events import EventType
from models.part2 import DisclosureRestriction
from services.events import events_about
from tests.consent.builders import disclosure_body, disclosure_count, restriction_status, tpo_consent
from tests.documents.factories import make_resident
from tests.factories import OrgFactory, SampleOrg

STAFF = UserRole.CASE_MANAGER
TO_THE_PLAN = {"recipient": "Acme Health Plan", "recipient_class": "health_plan", "purpose": "payment"}


@pytest.fixture(scope="module")
def org(orgs: OrgFactory) -> SampleOrg:
    return orgs.create((STAFF,))


def test_a_paid_in_full_restriction_must_be_granted_is_enforced_and_ends_when_terminated(
    stack: str, org: SampleOrg
) -> None:
    resident = make_resident(org.org_id)
    tpo_consent(org.org_id, resident)
    base = f"/v1/residents/{resident}/restrictions"
    with httpx.Client(base_url=stack, headers=org.headers(STAFF), timeout=60) as http:
        # Before any restriction the TPO consent covers the health plan.
        assert (
            http.post(
                f"/v1/residents/{resident}/disclosures", json=disclosure_body(**TO_THE_PLAN)
            ).status_code
            == 201
        )
        asked = http.post(base, json={"health_plan_paid_in_full": True})
        assert asked.status_code == 201, asked.text
        r = asked.json()
        assert (r["status"], r["recipient_class"]) == ("requested", "health_plan")
        assert asked.headers["cache-control"] == "no-store"

        denied = http.post(
            f"{base}/{r['id']}/decision", json={"granted": False, "reason": "We prefer not to"}
        )
        assert denied.status_code == 409 and denied.json()["field"] == "health_plan_paid_in_full"
        assert restriction_status(org.org_id, uuid.UUID(r["id"])) == "requested"

        granted = http.post(f"{base}/{r['id']}/decision", json={"granted": True, "reason": "Paid in full"})
        assert granted.status_code == 200 and granted.json()["status"] == "granted"
        changed = http.post(
            f"{base}/{r['id']}/decision", json={"granted": False, "reason": "Changed our mind"}
        )
        assert changed.status_code == 409

        refused = http.post(f"/v1/residents/{resident}/disclosures", json=disclosure_body(**TO_THE_PLAN))
        assert refused.status_code == 409 and "restricted" in refused.json()["detail"]
        assert refused.json()["field"] == "restriction"
        assert disclosure_count(org.org_id, resident) == 1
        # A provider is not the health plan: still covered.
        assert http.post(f"/v1/residents/{resident}/disclosures", json=disclosure_body()).status_code == 201

        ended = http.post(f"{base}/{r['id']}/termination")
        assert ended.status_code == 200 and ended.json()["status"] == "terminated"
        again = http.post(f"/v1/residents/{resident}/disclosures", json=disclosure_body(**TO_THE_PLAN))
        assert again.status_code == 201, again.text
        assert [x["status"] for x in http.get(base).json()] == ["terminated"]
    with tenant_session(org.org_id, actor_type="test") as s:
        assert events_about(s, uuid.UUID(r["id"])) == [
            EventType.RESTRICTION_REQUESTED,
            EventType.RESTRICTION_DECIDED,
            EventType.RESTRICTION_TERMINATED,
        ]


def test_the_database_refuses_a_denied_paid_in_full_restriction_too(org: SampleOrg) -> None:
    resident = make_resident(org.org_id)
    now = datetime.now(UTC)
    with tenant_session(org.org_id, actor_type="test") as s:
        row = DisclosureRestriction(
            org_id=org.org_id,
            resident_id=resident,
            requested_at=now,
            recipient_class="health_plan",
            health_plan_paid_in_full=True,
        )
        s.add(row)
        s.flush()
        rid = row.id
    with (
        pytest.raises(IntegrityError, match="paid_in_full_is_granted"),
        tenant_session(org.org_id, actor_type="test") as s,
    ):
        s.execute(
            update(DisclosureRestriction)
            .where(DisclosureRestriction.id == rid)
            .values(status="denied", decided_at=now)
        )


def test_a_denied_restriction_holds_nothing_back_and_a_granted_one_matches_what_it_names(
    stack: str, org: SampleOrg
) -> None:
    resident = make_resident(org.org_id)
    tpo_consent(org.org_id, resident)
    base = f"/v1/residents/{resident}/restrictions"
    with httpx.Client(base_url=stack, headers=org.headers(STAFF), timeout=60) as http:
        broad = http.post(base, json={"recipient_class": "treating_provider"}).json()
        denied = http.post(
            f"{base}/{broad['id']}/decision", json={"granted": False, "reason": "Needed for care"}
        )
        assert denied.status_code == 200 and denied.json()["decision_reason"] == "Needed for care"
        assert http.post(f"/v1/residents/{resident}/disclosures", json=disclosure_body()).status_code == 201

        narrow = http.post(
            base, json={"information_classes": ["medications"], "purposes": ["treatment"]}
        ).json()
        assert (
            http.post(
                f"{base}/{narrow['id']}/decision", json={"granted": True, "reason": "Agreed"}
            ).status_code
            == 200
        )
        meds = http.post(
            f"/v1/residents/{resident}/disclosures",
            json=disclosure_body(information_classes=["drug_tests", "medications"]),
        )
        assert meds.status_code == 409 and "restricted" in meds.json()["detail"]
        paying = http.post(
            f"/v1/residents/{resident}/disclosures",
            json=disclosure_body(information_classes=["medications"], **TO_THE_PLAN),
        )
        assert paying.status_code == 201, paying.text
        # Only a granted restriction can be terminated.
        assert http.post(f"{base}/{broad['id']}/termination").status_code == 409
    assert disclosure_count(org.org_id, resident) == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "recipient_class"),
        ({"recipient_class": "neighbour"}, "recipient_class"),
        ({"information_classes": ["horoscope"]}, "information_classes.0"),
        ({"health_plan_paid_in_full": True, "recipient_class": "family"}, "recipient_class"),
        ({"purposes": ["treatment"], "surprise": 1}, "surprise"),
    ],
)
def test_a_bad_restriction_request_is_a_422_naming_the_field(
    stack: str, org: SampleOrg, body: dict[str, object], field: str
) -> None:
    resident = make_resident(org.org_id)
    with httpx.Client(base_url=stack, headers=org.headers(STAFF), timeout=60) as http:
        bad = http.post(f"/v1/residents/{resident}/restrictions", json=body)
        assert bad.status_code == 422, bad.text
        assert bad.json()["field"] == field
        assert http.get(f"/v1/residents/{resident}/restrictions").json() == []


def test_another_orgs_resident_and_restriction_are_a_404(
    stack: str, orgs: OrgFactory, org: SampleOrg
) -> None:
    theirs = orgs.create((STAFF,))
    resident = make_resident(theirs.org_id)
    with httpx.Client(base_url=stack, headers=theirs.headers(STAFF), timeout=60) as http:
        rid = http.post(
            f"/v1/residents/{resident}/restrictions", json={"recipient_class": "employer"}
        ).json()["id"]
    with httpx.Client(base_url=stack, headers=org.headers(STAFF), timeout=60) as http:
        asked = http.post(f"/v1/residents/{resident}/restrictions", json={"recipient_class": "employer"})
        decided = http.post(
            f"/v1/residents/{resident}/restrictions/{rid}/decision", json={"granted": True, "reason": "x"}
        )
    assert (asked.status_code, asked.json()["field"]) == (404, "resident_id")
    assert decided.status_code == 404
    assert restriction_status(theirs.org_id, uuid.UUID(rid)) == "requested"
