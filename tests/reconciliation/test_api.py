"""Reconciliation over real HTTP: a run for one day on demand, the records with every mismatch
named, and nothing of it visible to another org or to a role without billing rights."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx

from core.enums import UserRole
from tests.factories import OrgFactory
from tests.reconciliation.test_workflows import _charge_outside_the_ledger

SPECIALIST = UserRole.BILLING_SPECIALIST


def test_a_run_names_a_stray_charge_and_only_its_own_org_sees_the_record(
    stack: str, localstripe: str, orgs: OrgFactory
) -> None:
    org = orgs.create((SPECIALIST, UserRole.HOUSE_MANAGER))
    intent = _charge_outside_the_ledger(org, 4_200)
    today = datetime.now(UTC).date().isoformat()
    with httpx.Client(base_url=stack, headers=org.headers(SPECIALIST), timeout=60) as http:
        run = http.post("/v1/reconciliation/runs", json={"day": today})
        assert run.status_code == 201, run.text
        assert run.json() == {
            "day": today,
            "matched": 0,
            "mismatches": {"missing_in_ledger": 1},
            "clean": False,
            "skipped": None,  # reconciled: Stripe is configured
        }
        again = http.post("/v1/reconciliation/runs", json={"day": today})
        assert again.status_code == 201 and again.json() == run.json()
        listed = http.get("/v1/reconciliation/records", params={"day": today, "mismatches_only": True})
        assert listed.status_code == 200
        (record,) = listed.json()
        assert (record["mismatch"], record["gross_amount_cents"], record["payment_id"]) == (
            "missing_in_ledger",
            4_200,
            None,
        )
        assert http.get(f"/v1/reconciliation/records/{record['id']}").json()["id"] == record["id"]
        bad = http.post("/v1/reconciliation/runs", json={"day": "yesterday"})
        assert bad.status_code == 422 and "day" in bad.text
    assert intent.startswith("pi_")
    other = orgs.create((SPECIALIST,))
    with httpx.Client(base_url=stack, headers=other.headers(SPECIALIST), timeout=30) as http:
        assert http.get(f"/v1/reconciliation/records/{record['id']}").status_code == 404
        assert http.get(f"/v1/reconciliation/records/{uuid.uuid4()}").status_code == 404
        assert http.get("/v1/reconciliation/records", params={"day": today}).json() == []
    with httpx.Client(base_url=stack, headers=org.headers(UserRole.HOUSE_MANAGER), timeout=30) as http:
        assert http.get("/v1/reconciliation/records").status_code == 403
        assert http.post("/v1/reconciliation/runs", json={"day": today}).status_code == 403
