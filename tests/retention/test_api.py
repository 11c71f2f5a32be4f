"""Retention over real HTTP: the policies with their legal floors (a shorter period is a 422
naming `retain_years`, nothing written), a legal hold placed and lifted with its reason, today's
dry run started, confirmed and destroyed, its certificate downloaded; another org's run is a
404."""

from __future__ import annotations

import io
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from pypdf import PdfReader

from core.contracts.retention import years_before
from core.enums import UserRole
from core.filestore import file_store_from_settings
from tests.factories import OrgFactory
from tests.retention.builders import former_resident, house

OFFICER = UserRole.COMPLIANCE_OFFICER


def test_a_policy_never_goes_below_its_legal_floor(stack: str, orgs: OrgFactory) -> None:
    org = orgs.create((OFFICER,))
    with httpx.Client(base_url=stack, headers=org.headers(OFFICER), timeout=60) as http:
        policies = {p["record_type"]: p for p in http.get("/v1/retention/policies").json()}
        resident = policies["resident"]
        assert (resident["retain_years"], resident["floor_years"], resident["retain_from"]) == (
            6,
            4,
            "discharge",
        )
        assert "717.20" in resident["floor_basis"]
        assert (
            policies["breach_incident"]["floor_years"] == 6
            and "164.530(j)" in policies["breach_incident"]["legal_basis"]
        )
        assert policies["audit_log"]["floor_years"] == 6
        short = http.put("/v1/retention/policies/resident", json={"retain_years": 3})
        assert short.status_code == 422 and short.json()["field"] == "retain_years"
        assert "at least 4 years" in short.json()["detail"]
        longer = http.put(
            "/v1/retention/policies/resident", json={"retain_years": 8, "legal_basis": "Board policy"}
        )
        assert longer.status_code == 200 and longer.json()["retain_years"] == 8
        nameless = http.put("/v1/retention/policies/document", json={"retain_years": 6})
        assert nameless.status_code == 422 and nameless.json()["field"] == "document_type"
        consent = http.put(
            "/v1/retention/policies/document", json={"retain_years": 5, "document_type": "consent_form"}
        )
        assert consent.status_code == 422 and consent.json()["field"] == "retain_years"
        after = {p["record_type"]: p for p in http.get("/v1/retention/policies").json()}
        assert after["resident"]["retain_years"] == 8


def test_a_run_lists_skips_the_held_destroys_on_confirmation_and_certifies(
    stack: str, orgs: OrgFactory
) -> None:
    org = orgs.create((OFFICER,))
    today = datetime.now(UTC).date()
    where = house(org.org_id)
    files = file_store_from_settings()
    old = years_before(today, 7)
    former_resident(org.org_id, where, files, old, today - timedelta(days=30), bed=0)
    held = former_resident(org.org_id, where, files, old, today - timedelta(days=30), bed=1)
    with httpx.Client(base_url=stack, headers=org.headers(OFFICER), timeout=60) as http:
        both = http.post(
            "/v1/retention/holds",
            json={
                "resident_id": str(held.resident_id),
                "breach_incident_id": str(uuid.uuid4()),
                "reason": "x",
            },
        )
        assert both.status_code == 422 and both.json()["field"] == "resident_id"
        blank = http.post("/v1/retention/holds", json={"resident_id": str(held.resident_id), "reason": " "})
        assert blank.status_code == 422 and blank.json()["field"] == "reason"
        hold = http.post(
            "/v1/retention/holds", json={"resident_id": str(held.resident_id), "reason": "Litigation notice"}
        )
        assert hold.status_code == 201, hold.text
        assert [h["resident_id"] for h in http.get("/v1/retention/holds").json()] == [str(held.resident_id)]

        started = http.post("/v1/retention/runs")
        assert started.status_code == 201, started.text
        run = started.json()
        assert run["status"] == "listed"
        assert run["counts"] == {"document": 1, "resident": 1, "breach_incident": 0}
        assert run["workflow_id"] == f"retention/{org.org_id}/{run['id']}"
        # Started again the same day: the same run.
        assert http.post("/v1/retention/runs").json()["id"] == run["id"]

        confirmed = http.post(f"/v1/retention/runs/{run['id']}/confirm")
        assert confirmed.status_code == 200, confirmed.text
        again = http.post(f"/v1/retention/runs/{run['id']}/confirm")
        assert again.status_code == 409 and again.json()["field"] == "run_id"
        for _ in range(300):
            row = http.get(f"/v1/retention/runs/{run['id']}").json()
            if row["certificate"]:
                break
            time.sleep(0.1)
        assert row["status"] == "destroyed" and row["certificate"] is True
        assert row["destroyed"] == {"document": 1, "resident": 1, "breach_incident": 0}
        pdf = http.get(f"/v1/retention/runs/{run['id']}/certificate.pdf")
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        words = " ".join(
            " ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(pdf.content)).pages
        )
        assert "Certificate of destruction" in words and "Quennell" not in words

        lifted = http.post(f"/v1/retention/holds/{hold.json()['id']}/lift", json={"reason": "Case settled"})
        assert lifted.status_code == 200 and lifted.json()["lifted_at"] is not None
        twice = http.post(f"/v1/retention/holds/{hold.json()['id']}/lift", json={"reason": "Again"})
        assert twice.status_code == 409

    other = orgs.create((OFFICER,))
    with httpx.Client(base_url=stack, headers=other.headers(OFFICER), timeout=60) as http:
        assert http.get(f"/v1/retention/runs/{run['id']}").status_code == 404
        assert http.get(f"/v1/retention/runs/{run['id']}/certificate.pdf").status_code == 404
        assert http.post(f"/v1/retention/runs/{run['id']}/confirm").status_code == 404
