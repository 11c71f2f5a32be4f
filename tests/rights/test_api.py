"""The right of access over real HTTP: the privacy officer records a request, extends it once,
fulfils it; the resident downloads their records through the link without signing in, and each
download is audited; a tampered link is refused; a denial's letter downloads; bad input is a 422
naming the field; another org's request is a 404."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from pypdf import PdfReader
from sqlalchemy import text

from core.db import tenant_session
from core.enums import UserRole
from services.rights.links import make_token
from tests.breach.conftest import resident_in
from tests.factories import OrgFactory, SampleOrg

OFFICER = UserRole.COMPLIANCE_OFFICER


def ask(http: httpx.Client, org: SampleOrg, resident: uuid.UUID | None = None) -> tuple[str, dict]:
    resident = resident or resident_in(org.org_id, "PA", "Leontyne", "Marchetti-Obi")
    r = http.post(
        f"/v1/residents/{resident}/access-requests", json={"details": "All my records", "link_days": 3}
    )
    assert r.status_code == 201, r.text
    return r.json()["id"], r.json()


def _downloads(org: SampleOrg, request_id: str) -> int:
    with tenant_session(org.org_id, actor_type="test") as s:
        return int(
            s.execute(
                text(
                    "SELECT count(*) FROM audit_events WHERE entity_id = :id AND action = 'export'"
                    " AND details->>'step' = 'downloaded'"
                ),
                {"id": request_id},
            ).scalar_one()
        )


def test_a_request_is_extended_fulfilled_and_downloaded_through_its_link(
    stack: str, orgs: OrgFactory
) -> None:
    org = orgs.create((OFFICER,))
    with httpx.Client(base_url=stack, headers=org.headers(OFFICER), timeout=60) as http:
        request_id, body = ask(http, org)
        requested = datetime.fromisoformat(body["requested_at"])
        assert datetime.fromisoformat(body["due_at"]) - requested == timedelta(days=30)
        assert body["workflow_id"] == f"access/{org.org_id}/{request_id}" and body["link"] is None
        blank = http.post(f"/v1/access-requests/{request_id}/extension", json={"reason": "  "})
        assert blank.status_code == 422 and blank.json()["field"] == "reason"
        extended = http.post(f"/v1/access-requests/{request_id}/extension", json={"reason": "Archived files"})
        assert extended.status_code == 200 and extended.json()["extended"] is True
        assert datetime.fromisoformat(extended.json()["due_at"]) - requested == timedelta(days=60)
        again = http.post(f"/v1/access-requests/{request_id}/extension", json={"reason": "Again"})
        assert again.status_code == 409 and again.json()["field"] == "reason"
        done = http.post(f"/v1/access-requests/{request_id}/fulfilment")
        assert done.status_code == 200, done.text
        link = done.json()["link"]
        assert done.json()["status"] == "fulfilled" and "/v1/records/" in link
        assert http.post(f"/v1/access-requests/{request_id}/fulfilment").status_code == 409

    path = "/v1/records/" + link.rsplit("/", 1)[1]
    with httpx.Client(base_url=stack, timeout=60) as resident:  # no sign-in: the link is enough
        as_json = resident.get(path + ".json")
        assert as_json.status_code == 200 and as_json.headers["cache-control"] == "no-store"
        assert as_json.json()["residents"][0]["last_name"] == "Marchetti-Obi"
        as_pdf = resident.get(path + ".pdf")
        assert as_pdf.status_code == 200
        assert "Marchetti-Obi" in PdfReader(io.BytesIO(as_pdf.content)).pages[0].extract_text()
        token = link.rsplit("/", 1)[1]
        tampered = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
        refused = resident.get(f"/v1/records/{tampered}.json")
        assert refused.status_code == 422 and refused.json()["field"] == "token"
        claims_expired = make_token(
            org.org_id, uuid.UUID(request_id), uuid.uuid4(), datetime.now(UTC) - timedelta(1)
        )
        assert resident.get(f"/v1/records/{claims_expired}.json").status_code == 422
        someone_else = make_token(
            org.org_id, uuid.UUID(request_id), uuid.uuid4(), datetime.now(UTC) + timedelta(1)
        )
        assert resident.get(f"/v1/records/{someone_else}.json").status_code == 404
    assert _downloads(org, request_id) == 2


def test_a_denial_writes_its_letter_and_bad_input_names_the_field(stack: str, orgs: OrgFactory) -> None:
    org = orgs.create((OFFICER,))
    with httpx.Client(base_url=stack, headers=org.headers(OFFICER), timeout=60) as http:
        stranger = http.post(f"/v1/residents/{uuid.uuid4()}/access-requests", json={})
        assert stranger.status_code == 404 and stranger.json()["field"] == "resident_id"
        too_long = http.post(
            f"/v1/residents/{resident_in(org.org_id, 'PA')}/access-requests", json={"link_days": 90}
        )
        assert too_long.status_code == 422 and too_long.json()["field"] == "link_days"
        request_id, _ = ask(http, org)
        bad = http.post(
            f"/v1/access-requests/{request_id}/denial", json={"ground": "bored", "explanation": "x"}
        )
        assert bad.status_code == 422 and bad.json()["field"] == "ground"
        assert http.get(f"/v1/access-requests/{request_id}/denial-letter.pdf").status_code == 404
        denied = http.post(
            f"/v1/access-requests/{request_id}/denial",
            json={
                "ground": "psychotherapy_notes",
                "explanation": "Counselling notes",
                "contact": "Privacy officer",
            },
        )
        assert denied.status_code == 200 and denied.json()["status"] == "denied"
        letter = http.get(f"/v1/access-requests/{request_id}/denial-letter.pdf")
        assert letter.status_code == 200 and letter.content.startswith(b"%PDF-")
        assert "does not give a review" in " ".join(
            PdfReader(io.BytesIO(letter.content)).pages[0].extract_text().split()
        )


def test_another_orgs_request_is_a_404(stack: str, orgs: OrgFactory) -> None:
    a, b = orgs.create((OFFICER,)), orgs.create((OFFICER,))
    with httpx.Client(base_url=stack, headers=a.headers(OFFICER), timeout=60) as http:
        request_id, _ = ask(http, a)
    with httpx.Client(base_url=stack, headers=b.headers(OFFICER), timeout=60) as http:
        assert http.get(f"/v1/access-requests/{request_id}").status_code == 404
        assert http.post(f"/v1/access-requests/{request_id}/fulfilment").status_code == 404


def amend(http: httpx.Client, org: SampleOrg, resident: uuid.UUID | None = None) -> tuple[str, dict]:
    resident = resident or resident_in(org.org_id, "PA", "Ambrose", "Kittredge-Nwosu")
    r = http.post(
        f"/v1/residents/{resident}/amendment-requests",
        json={
            "details": "The incident report names the wrong person",
            "notify": ["court@county.example.gov"],
        },
    )
    assert r.status_code == 201, r.text
    return r.json()["id"], r.json()


def test_an_amendment_is_denied_the_resident_disagrees_and_bad_input_names_the_field(
    stack: str, orgs: OrgFactory
) -> None:
    org = orgs.create((OFFICER,))
    resident = resident_in(org.org_id, "PA")
    with httpx.Client(base_url=stack, headers=org.headers(OFFICER), timeout=60) as http:
        url = f"/v1/residents/{resident}/amendment-requests"
        wrong = http.post(url, json={"details": "x", "field": "ssn_last4", "value": "1234"})
        assert wrong.status_code == 422 and wrong.json()["field"] == "field"
        half = http.post(url, json={"details": "x", "field": "pronouns"})
        assert half.status_code == 422 and half.json()["field"] == "value"
        request_id, body = amend(http, org)
        assert datetime.fromisoformat(body["due_at"]) - datetime.fromisoformat(
            body["requested_at"]
        ) == timedelta(days=60)
        early = http.post(f"/v1/amendment-requests/{request_id}/disagreement", json={"statement": "No"})
        assert early.status_code == 409 and early.json()["field"] == "statement"
        denied = http.post(
            f"/v1/amendment-requests/{request_id}/denial",
            json={
                "ground": "accurate_and_complete",
                "explanation": "Matches the log",
                "contact": "Privacy officer",
            },
        )
        assert denied.status_code == 200 and denied.json()["status"] == "denied"
        letter = http.get(f"/v1/amendment-requests/{request_id}/denial-letter.pdf")
        assert letter.status_code == 200 and letter.content.startswith(b"%PDF-")
        filed = http.post(
            f"/v1/amendment-requests/{request_id}/disagreement", json={"statement": "I was not there"}
        )
        assert filed.status_code == 200 and filed.json()["disagreement_filed"] is True
        assert http.get(f"/v1/amendment-requests/{request_id}").json()["disagreement_filed"] is True
