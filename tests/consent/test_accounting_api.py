"""The accounting of disclosures over real HTTP: staff export exactly the resident's disclosures
in the period as CSV and PDF; a resident's request is recorded (due in 60 days, the first in 12
months free), extended once and produced through its workflow; another org's resident or
request is a 404."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from core.enums import UserRole
from tests.consent.builders import add_disclosure, disclosure_body, make_consent
from tests.consent.test_disclosures_api import pdf_text
from tests.documents.factories import make_resident
from tests.factories import OrgFactory, SampleOrg

STAFF = UserRole.CASE_MANAGER
DAY = timedelta(days=1)


@pytest.fixture(scope="module")
def org(orgs: OrgFactory) -> SampleOrg:
    return orgs.create((STAFF,))


def test_the_accounting_lists_exactly_the_disclosures_made_as_csv_and_pdf(stack: str, org: SampleOrg) -> None:
    mine, theirs = make_resident(org.org_id, "Leontine", "Abernathy-Osei"), make_resident(org.org_id)
    make_consent(org.org_id, mine)
    other = make_consent(org.org_id, theirs)
    now, by = datetime.now(UTC), org.users[STAFF]
    # Four years ago: outside §2.25's three years, inside HIPAA's six.
    add_disclosure(org.org_id, mine, make_consent(org.org_id, mine), by, now - 4 * 365 * DAY, "Old Clinic")
    add_disclosure(org.org_id, theirs, other, by, now - DAY, "Not Her Clinic")
    with httpx.Client(base_url=stack, headers=org.headers(STAFF), timeout=60) as http:
        made = [
            http.post(
                f"/v1/residents/{mine}/disclosures", json=disclosure_body(description=f"Drug tests, week {n}")
            )
            for n in (1, 2)
        ]
        assert [m.status_code for m in made] == [201, 201]
        got = http.get(f"/v1/residents/{mine}/disclosures/accounting.csv")
        assert got.status_code == 200, got.text
        assert got.headers["content-type"].startswith("text/csv")
        assert got.headers["cache-control"] == "no-store"
        rows = list(csv.DictReader(io.StringIO(got.text)))
        assert [r["information"] for r in rows] == ["Drug tests, week 1", "Drug tests, week 2"]
        assert {r["recipient"] for r in rows} == {"Blue Ridge Intensive Outpatient Program"}

        six = http.get(f"/v1/residents/{mine}/disclosures/accounting.csv", params={"lookback": "hipaa"})
        assert [r["recipient"] for r in csv.DictReader(io.StringIO(six.text))] == ["Old Clinic"] + [
            r["recipient"] for r in rows
        ]
        recent = http.get(
            f"/v1/residents/{mine}/disclosures/accounting.csv",
            params={"since": (now + DAY).date().isoformat()},
        )
        assert recent.status_code == 422 and recent.json()["field"] == "since"
        # A period ending in year 3 looks back to the first day of the calendar, not to a 500.
        ancient = http.get(
            f"/v1/residents/{mine}/disclosures/accounting.csv",
            params={"lookback": "hipaa", "until": "0003-01-18"},
        )
        assert ancient.status_code == 200 and list(csv.DictReader(io.StringIO(ancient.text))) == []

        pdf = http.get(f"/v1/residents/{mine}/disclosures/accounting.pdf")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
        assert pdf.headers["cache-control"] == "no-store"
        text = pdf_text(pdf.content)
    assert "Leontine Abernathy-Osei" in text and "Drug tests, week 1" in text and "Drug tests, week 2" in text
    assert "Not Her Clinic" not in text and "Old Clinic" not in text


def test_a_residents_request_is_recorded_extended_once_and_produced(stack: str, org: SampleOrg) -> None:
    resident = make_resident(org.org_id, "Pell", "Okonkwo-Brandt")
    consent = make_consent(org.org_id, resident)
    add_disclosure(org.org_id, resident, consent, org.users[STAFF], datetime.now(UTC) - DAY, "Harbor Clinic")
    with httpx.Client(base_url=stack, headers=org.headers(STAFF), timeout=60) as http:
        charged = http.post(f"/v1/residents/{resident}/accounting-requests", json={"fee_cents": 2500})
        assert charged.status_code == 422 and charged.json()["field"] == "fee_cents"
        key = {"Idempotency-Key": f"accounting-{resident}"}
        asked = http.post(f"/v1/residents/{resident}/accounting-requests", json={}, headers=key)
        assert asked.status_code == 201, asked.text
        r = asked.json()
        assert (r["status"], r["fee_cents"], r["accounting_url"]) == ("received", 0, None)
        due = datetime.fromisoformat(r["due_at"]) - datetime.fromisoformat(r["requested_at"])
        assert due == timedelta(days=60)
        again = http.post(f"/v1/residents/{resident}/accounting-requests", json={}, headers=key)
        assert again.status_code == 200 and again.json()["id"] == r["id"]

        extended = http.post(
            f"/v1/accounting-requests/{r['id']}/extension", json={"reason": "Vendor records"}
        )
        assert extended.status_code == 200, extended.text
        assert extended.json()["extended_due_at"] is not None
        twice = http.post(f"/v1/accounting-requests/{r['id']}/extension", json={"reason": "Again"})
        assert twice.status_code == 409 and "once" in twice.json()["detail"]
        blank = http.post(f"/v1/accounting-requests/{r['id']}/extension", json={"reason": " "})
        assert blank.status_code == 422 and blank.json()["field"] == "reason"

        assert http.get(f"/v1/accounting-requests/{r['id']}/accounting.pdf").status_code == 404
        done = http.post(f"/v1/accounting-requests/{r['id']}/fulfilment")
        assert done.status_code == 200, done.text
        assert done.json()["status"] == "fulfilled" and done.json()["accounting_url"]
        pdf = http.get(done.json()["accounting_url"])
        assert pdf.status_code == 200 and pdf.headers["cache-control"] == "no-store"
        assert "Harbor Clinic" in pdf_text(pdf.content)
        assert http.post(f"/v1/accounting-requests/{r['id']}/fulfilment").status_code == 409

        # A second request within 12 months may carry the operator's fee.
        later = http.post(f"/v1/residents/{resident}/accounting-requests", json={"fee_cents": 2500})
        assert later.status_code == 201 and later.json()["fee_cents"] == 2500
        listed = http.get(f"/v1/residents/{resident}/accounting-requests").json()
        assert [x["id"] for x in listed] == [r["id"], later.json()["id"]]


def test_another_orgs_resident_and_request_are_a_404(stack: str, orgs: OrgFactory, org: SampleOrg) -> None:
    theirs = orgs.create((STAFF,))
    resident = make_resident(theirs.org_id)
    with httpx.Client(base_url=stack, headers=theirs.headers(STAFF), timeout=60) as http:
        rid = http.post(f"/v1/residents/{resident}/accounting-requests", json={}).json()["id"]
    with httpx.Client(base_url=stack, headers=org.headers(STAFF), timeout=60) as http:
        for r in (
            http.get(f"/v1/residents/{resident}/disclosures/accounting.csv"),
            http.get(f"/v1/residents/{resident}/disclosures/accounting.pdf"),
            http.post(f"/v1/residents/{resident}/accounting-requests", json={}),
            http.get(f"/v1/accounting-requests/{rid}"),
            http.post(f"/v1/accounting-requests/{rid}/extension", json={"reason": "x"}),
            http.post(f"/v1/accounting-requests/{rid}/fulfilment"),
        ):
            assert r.status_code == 404, (r.request.url, r.text)
    with httpx.Client(base_url=stack, headers=theirs.headers(STAFF), timeout=60) as http:
        assert http.get(f"/v1/accounting-requests/{rid}").json()["extended_due_at"] is None
        assert http.get(f"/v1/residents/{uuid.uuid4()}/accounting-requests").status_code == 404
