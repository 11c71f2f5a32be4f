"""Breach response over real HTTP: the privacy officer reports, assesses, downloads the letters,
records a delay and notices sent, and closes; bad input is a 422 naming the field with nothing
written; another org's incident is a 404; roles without compliance:manage are refused."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from pypdf import PdfReader
from sqlalchemy import func, select

from core.db import tenant_session
from core.enums import UserRole
from models.compliance import BreachIncident
from tests.breach.conftest import resident_in
from tests.breach.flows import ASSESSMENT_JSON
from tests.factories import OrgFactory, SampleOrg

OFFICER = UserRole.COMPLIANCE_OFFICER
FOUND: dict[str, datetime] = {}


def _incidents(org: SampleOrg) -> int:
    with tenant_session(org.org_id, actor_type="test") as s:
        return int(s.scalar(select(func.count()).select_from(BreachIncident)) or 0)


def report(http: httpx.Client, org: SampleOrg, state: str = "CA") -> tuple[str, str, dict]:
    """A stolen laptop with one resident of `state` on it; returns (incident id, resident id, body)."""
    resident = str(resident_in(org.org_id, state, "Temperance", "Abernathy-Osei"))
    found = (datetime.now(UTC) - timedelta(days=2)).replace(microsecond=0)
    r = http.post(
        "/v1/breaches",
        json={
            "discovered_at": found.isoformat(),
            "description": "A laptop holding intake packets was stolen from a staff car.",
            "phi_involved": "Names and insurance member numbers",
            "affected_resident_ids": [resident],
        },
    )
    assert r.status_code == 201, r.text
    FOUND[r.json()["id"]] = found
    return r.json()["id"], resident, r.json()


def test_an_officer_reports_assesses_downloads_the_letters_and_closes_over_http(
    stack: str, orgs: OrgFactory
) -> None:
    org = orgs.create((OFFICER,))
    with httpx.Client(base_url=stack, headers=org.headers(OFFICER), timeout=60) as http:
        incident, resident, body = report(http, org)
        assert body["workflow_id"] == f"breach/{org.org_id}/{incident}"
        assert [o["key"] for o in body["obligations"]] == ["assessment"]
        due = datetime.fromisoformat(body["obligations"][0]["due_at"])
        assert due - FOUND[incident] == timedelta(days=30)  # a Californian: 30 days, not 60
        assert http.get("/v1/breaches").json()[0]["id"] == incident
        # The letters' content is needed for a notifiable decision: 422 naming it.
        bare = {k: v for k, v in ASSESSMENT_JSON.items() if k != "notice"}
        missing = http.post(f"/v1/breaches/{incident}/assessment", json=bare)
        assert missing.status_code == 422 and missing.json()["field"] == "notice"
        decided = http.post(f"/v1/breaches/{incident}/assessment", json=ASSESSMENT_JSON)
        assert decided.status_code == 200, decided.text
        assert decided.json()["letters"] == 1
        again = http.post(f"/v1/breaches/{incident}/assessment", json=ASSESSMENT_JSON)
        assert again.status_code == 409 and again.json()["field"] == "decision"

        letters = http.get(f"/v1/breaches/{incident}/letters").json()
        assert [x["resident_id"] for x in letters] == [resident]
        pdf = http.get(letters[0]["url"])
        assert pdf.status_code == 200 and pdf.headers["cache-control"] == "no-store"
        words = " ".join(PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text().split())
        assert "Temperance Abernathy-Osei" in words and "What happened" in words
        assert http.get(f"/v1/breaches/{incident}/letters/{uuid.uuid4()}.pdf").status_code == 404

        delayed = http.post(
            f"/v1/breaches/{incident}/law-enforcement-delay",
            json={"kind": "oral", "days": 20, "official": "Sgt. Example, City Police"},
        )
        assert delayed.status_code == 202, delayed.text
        unknown = http.post(f"/v1/breaches/{incident}/completions", json={"obligation": "media-TX"})
        assert unknown.status_code == 422 and unknown.json()["field"] == "obligation"
        early = http.post(f"/v1/breaches/{incident}/close")
        assert early.status_code == 409 and early.json()["field"] == "obligations"
        assert http.get(f"/v1/breaches/{incident}/report.pdf").status_code == 404
        for key in ("individuals", "hhs_annual_log"):
            done = http.post(f"/v1/breaches/{incident}/completions", json={"obligation": key})
            assert done.status_code == 200, done.text
        state = http.get(f"/v1/breaches/{incident}").json()
        assert len(state["delays"]) == 1 and state["delays"][0]["kind"] == "oral"
        closed = http.post(f"/v1/breaches/{incident}/close")
        assert closed.status_code == 200 and closed.json()["closed"] is True
        closing = http.get(f"/v1/breaches/{incident}/report.pdf")
        assert closing.status_code == 200
        text = " ".join(
            " ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(closing.content)).pages
        )
        assert "Timeline" in text and "Law-enforcement delay" in text and "Abernathy" not in text


def test_bad_input_is_a_422_naming_the_field_and_writes_nothing(stack: str, orgs: OrgFactory) -> None:
    org = orgs.create((OFFICER,))
    resident = str(resident_in(org.org_id, "PA"))
    good = {
        "discovered_at": (datetime.now(UTC) - timedelta(days=1)).isoformat(),
        "description": "A misdirected fax.",
        "affected_resident_ids": [resident],
    }
    cases = {
        "discovered_at": {**good, "discovered_at": (datetime.now(UTC) + timedelta(days=3)).isoformat()},
        "occurred_at": {**good, "occurred_at": (datetime.now(UTC)).isoformat()},
        "description": {**good, "description": "   "},
        "affected_resident_ids": {**good, "affected_resident_ids": [resident, resident]},
        "others_by_state": {**good, "others_by_state": {"Texas": 3}},
        "baa_record_id": {**good, "baa_record_id": str(uuid.uuid4())},
        "warn_days": {**good, "warn_days": 0},
    }
    with httpx.Client(base_url=stack, headers=org.headers(OFFICER), timeout=60) as http:
        for name, body in cases.items():
            r = http.post("/v1/breaches", json=body)
            assert 400 <= r.status_code < 500, (name, r.status_code)
            assert name in (r.json().get("field") or "") + str(r.json().get("errors")), (name, r.text)
        stranger = http.post("/v1/breaches", json={**good, "affected_resident_ids": [str(uuid.uuid4())]})
        assert stranger.status_code == 404 and stranger.json()["field"] == "affected_resident_ids"
        assert _incidents(org) == 0
        incident, _, _ = report(http, org)
        for body, field in (
            ({"kind": "written"}, "until"),
            ({"kind": "oral", "days": 10}, "official"),
            ({"kind": "oral", "official": "Sgt. Example"}, "days"),
            ({"kind": "phone"}, "kind"),
        ):
            r = http.post(f"/v1/breaches/{incident}/law-enforcement-delay", json=body)
            assert r.status_code == 422 and field in str(r.json()), (body, r.text)
        assert http.get(f"/v1/breaches/{incident}").json()["delays"] == []


def test_another_orgs_incident_is_a_404_and_other_roles_are_refused(stack: str, orgs: OrgFactory) -> None:
    a = orgs.create((OFFICER, UserRole.HOUSE_MANAGER))
    b = orgs.create((OFFICER,))
    with httpx.Client(base_url=stack, headers=a.headers(OFFICER), timeout=60) as http:
        incident, resident, _ = report(http, a)
        assert http.post(f"/v1/breaches/{incident}/assessment", json=ASSESSMENT_JSON).status_code == 200
    with httpx.Client(base_url=stack, headers=b.headers(OFFICER), timeout=60) as http:
        for method, path in (
            ("GET", f"/v1/breaches/{incident}"),
            ("GET", f"/v1/breaches/{incident}/letters"),
            ("GET", f"/v1/breaches/{incident}/letters/{resident}.pdf"),
            ("POST", f"/v1/breaches/{incident}/close"),
        ):
            assert http.request(method, path).status_code == 404, path
        assert http.get("/v1/breaches").json() == []
    with httpx.Client(base_url=stack, headers=a.headers(UserRole.HOUSE_MANAGER), timeout=60) as http:
        assert http.get(f"/v1/breaches/{incident}").status_code == 403
        assert http.get(f"/v1/breaches/{incident}/letters/{resident}.pdf").status_code == 403
