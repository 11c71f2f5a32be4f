"""Steps the signing API and browser tests share."""

from __future__ import annotations

import httpx

from core.enums import UserRole
from tests.documents.factories import make_resident, template_id
from tests.factories import SampleOrg

STAFF = UserRole.HOUSE_MANAGER


def send_for_signature(http: httpx.Client, org: SampleOrg, witness: bool = False) -> tuple[str, str]:
    """A residency agreement for a new resident, sent; returns (document id, signing path)."""
    resident = make_resident(org.org_id, "Marisol", "Quintero-Baptiste")
    doc = http.post(
        "/v1/documents", json={"template_id": str(template_id(org.org_id)), "resident_id": str(resident)}
    )
    assert doc.status_code == 201, doc.text
    doc_id = doc.json()["id"]
    signers = [{"role": "resident", "resident_id": str(resident)}]
    if witness:
        signers.append({"role": "house_manager", "user_id": str(org.users[STAFF])})
    sent = http.post(
        f"/v1/documents/{doc_id}/signature-request",
        json={"signers": signers},
        headers={"Idempotency-Key": f"send-{doc_id}"},
    )
    assert sent.status_code == 201, sent.text
    link = http.get(f"/v1/documents/{doc_id}/signature-request/link")
    assert link.status_code == 200, link.text
    return doc_id, "/sign/" + link.json()["url"].rsplit("/", 1)[1]
