"""A drug test's lab file over real HTTP: staff upload the lab's report to the file store and
attach it to the result with the chain-of-custody form; the custody details are ciphertext in
the database; reading the file back is an audit event and, for a house manager, only for their
own houses; a file id this org never uploaded (another org's, or none at all) is a 4xx naming
`lab_file_id` and nothing is recorded."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import text

from core.db import tenant_session
from core.enums import UserRole
from tests.factories import OrgFactory
from tests.operations.places import living_resident, pa_house
from tests.scope.world import add_login

STAFF = UserRole.EXECUTIVE_DIRECTOR
REPORT = b"%PDF-1.4\n% Keystone Toxicology: specimen SP-0412, all analytes below cutoff\n%%EOF\n"


def _upload(http: httpx.Client, resident: uuid.UUID | None = None, data: bytes = REPORT) -> str:
    form = {"resident_id": str(resident)} if resident else {}
    r = http.post("/v1/documents/files", files={"file": ("lab.pdf", data, "application/pdf")}, data=form)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _collect(http: httpx.Client, resident: uuid.UUID, at: datetime, form: str) -> str:
    body = {
        "resident_id": str(resident),
        "test_type": "urine",
        "basis": "scheduled",
        "collected_at": at.isoformat(),
        "chain_of_custody_id": form,
    }
    r = http.post("/v1/operations/drug-tests", json=body)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _exports(org_id: uuid.UUID, test_id: str) -> int:
    with tenant_session(org_id, actor_type="test") as s:
        return int(
            s.execute(
                text(
                    "SELECT count(*) FROM audit_events WHERE entity_type = 'drug_tests' AND entity_id = :id"
                    " AND action = 'export' AND details->>'file' = 'lab_report'"
                ),
                {"id": test_id},
            ).scalar_one()
        )


def test_a_lab_report_is_attached_with_its_custody_encrypted_and_read_back_audited_and_house_scoped(
    stack: str, orgs: OrgFactory
) -> None:
    org, other = orgs.create((STAFF,)), orgs.create((STAFF,))
    a, b = pa_house(org.org_id, None, ["A-1"]), pa_house(org.org_id, None, ["B-1"])
    ra = living_resident(org.org_id, a.house_id, "Ottilie")
    rb = living_resident(org.org_id, b.house_id, "Brun")
    _, token = add_login(org.org_id, UserRole.HOUSE_MANAGER, house_id=a.house_id)
    collected = datetime.now(UTC) - timedelta(days=1)
    custody = {
        "collector": "J. Rivera",
        "specimen_id": "SP-0412",
        "lab": "Keystone Toxicology",
        "seal_intact": True,
        "collected_at": collected.isoformat(),
        "received_at": (collected + timedelta(hours=18)).isoformat(),
    }
    result = {"result": "negative", "resulted_at": datetime.now(UTC).isoformat(), "custody": custody}
    with httpx.Client(base_url=stack, headers=other.headers(STAFF), timeout=60) as theirs:
        foreign = _upload(theirs)
    with httpx.Client(base_url=stack, headers=org.headers(STAFF), timeout=60) as ed:
        test_b = _collect(ed, rb, collected, "COC-0411")
        ed_b_file = _upload(ed, rb)
        r = ed.post(f"/v1/operations/drug-tests/{test_b}/result", json={**result, "lab_file_id": ed_b_file})
        assert r.status_code == 200, r.text

    with httpx.Client(base_url=stack, headers={"Authorization": f"Bearer {token}"}, timeout=60) as hm:
        test_a = _collect(hm, ra, collected, "COC-0412")
        to = f"/v1/operations/drug-tests/{test_a}/result"
        refused = {
            "another org's file": hm.post(to, json={**result, "lab_file_id": foreign}),
            "a file never uploaded": hm.post(to, json={**result, "lab_file_id": str(uuid.uuid4())}),
            "another resident's file": hm.post(to, json={**result, "lab_file_id": ed_b_file}),
        }
        for why, r in refused.items():
            assert r.status_code in (404, 422) and r.json()["field"] == "lab_file_id", (why, r.text)
        late = {**custody, "received_at": (collected - timedelta(hours=1)).isoformat()}
        r = hm.post(f"/v1/operations/drug-tests/{test_a}/result", json={**result, "custody": late})
        assert r.status_code == 422 and r.json()["field"] == "custody.received_at", r.text
        # Nothing was recorded by any refusal: the test is still pending, with no lab file.
        got = hm.get(f"/v1/operations/drug-tests/{test_a}").json()
        assert (got["result"], got["lab_file"], got["custody"]) == ("pending", None, {})
        assert hm.get(f"/v1/operations/drug-tests/{test_a}/lab-report").status_code == 404

        file_id = _upload(hm, ra)
        r = hm.post(f"/v1/operations/drug-tests/{test_a}/result", json={**result, "lab_file_id": file_id})
        assert r.status_code == 200 and r.json()["recurrence"] is False, r.text
        got = hm.get(f"/v1/operations/drug-tests/{test_a}").json()
        assert got["result"] == "negative" and got["lab_file"]["id"] == file_id
        assert got["custody"]["specimen_id"] == "SP-0412" and got["custody"]["seal_intact"] is True
        assert got["custody"]["lab"] == "Keystone Toxicology"

        before = _exports(org.org_id, test_a)
        r = hm.get(f"/v1/operations/drug-tests/{test_a}/lab-report")
        assert r.status_code == 200 and r.content == REPORT, r.text
        assert r.headers["content-type"] == "application/pdf" and r.headers["cache-control"] == "no-store"
        assert _exports(org.org_id, test_a) == before + 1

        # Another house's test and its file: 404 naming the test, and no read recorded.
        for path in (f"/v1/operations/drug-tests/{test_b}", f"/v1/operations/drug-tests/{test_b}/lab-report"):
            r = hm.get(path)
            assert r.status_code == 404 and r.json()["field"] == "test_id", r.text
        assert _exports(org.org_id, test_b) == 0

    # At rest the custody form is ciphertext: no collector, specimen or lab in the row.
    with tenant_session(org.org_id, actor_type="test") as s:
        raw = s.execute(text("SELECT lab_details FROM drug_tests WHERE id = :id"), {"id": test_a}).scalar()
    assert raw is not None and b"Keystone" not in bytes(raw) and b"SP-0412" not in bytes(raw)
