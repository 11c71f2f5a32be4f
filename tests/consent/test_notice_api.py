"""The §2.22 patient notice end to end over real HTTP: staff give it, the resident signs its
acknowledgement on the phone-sized signing page, and `patient_notices` records the signature;
the document carries the required header verbatim with the org's values."""

from __future__ import annotations

import time
import uuid

import httpx
from sqlalchemy import select

from core.db import tenant_session
from core.enums import UserRole
from core.events import EventType
from models.documents import Document
from models.events import DomainEvent
from models.orgs import Organization
from services.consent.notices import HEADER, NOTICE_VERSION
from tests.documents.factories import make_resident
from tests.factories import OrgFactory

R = UserRole
CONTACT = {
    "name": "Dana Whitfield, Privacy Officer",
    "phone": "(555) 010-4477",
    "email": "privacy@cedar.example",
}


def _settings(org_id: uuid.UUID) -> str:
    with tenant_session(org_id, actor_type="test") as s:
        org = s.get(Organization, org_id)
        assert org is not None
        org.settings = {**(org.settings or {}), "privacy_contact": CONTACT}
        return org.name


def test_the_notice_is_given_signed_on_the_page_and_its_acknowledgement_recorded(
    stack: str, orgs: OrgFactory
) -> None:
    org = orgs.create((R.CASE_MANAGER, R.BILLING_SPECIALIST))
    name = _settings(org.org_id)
    resident = make_resident(org.org_id, "Perpetua", "Avisada")
    with httpx.Client(base_url=stack, headers=org.headers(R.CASE_MANAGER), timeout=60) as http:
        given = http.post(f"/v1/residents/{resident}/patient-notice")
        assert given.status_code == 201, given.text
        notice = given.json()
        assert notice["notice_version"] == NOTICE_VERSION and notice["acknowledged_at"] is None
        assert notice["workflow_id"] == f"consent/{org.org_id}/{notice['id']}"
        again = http.post(f"/v1/residents/{resident}/patient-notice")
        assert again.status_code == 201 and again.json()["id"] == notice["id"]
        link = http.get(f"/v1/documents/{notice['document_id']}/signature-request/link")
        assert link.status_code == 200, link.text
        path = "/sign/" + link.json()["url"].rsplit("/", 1)[1]

    with tenant_session(org.org_id, actor_type="test") as s:
        doc = s.get(Document, uuid.UUID(notice["document_id"]))
        assert doc is not None and doc.resident_id == resident
        header = HEADER.format(
            program=name, contact=CONTACT["name"], reach=f"{CONTACT['phone']} and {CONTACT['email']}"
        )
        assert (doc.content or "").startswith(header)
        assert "HOW HEALTH INFORMATION ABOUT YOU MAY BE USED AND DISCLOSED" in header

    with httpx.Client(base_url=stack, timeout=60, headers={"User-Agent": "resident-phone/1.0"}) as page:
        opened = page.get(path)
        assert opened.status_code == 200 and "Notice of Privacy Practices" in opened.text
        assert (
            page.post(path + "/consent", data={"esign_consent": "yes"}, headers={"Origin": stack}).status_code
            == 303
        )
        signed = page.post(
            path,
            data={"read_confirmed": "yes", "mode": "typed", "typed_signature": "Perpetua Avisada"},
            headers={"Origin": stack},
        )
        assert signed.status_code == 200, signed.text

    with httpx.Client(base_url=stack, headers=org.headers(R.CASE_MANAGER), timeout=60) as http:
        for _ in range(100):
            (row,) = http.get(f"/v1/residents/{resident}/patient-notices").json()
            if row["acknowledged_at"]:
                break
            time.sleep(0.1)
        assert row["acknowledged_at"] and row["signature_id"] and row["document_id"] == notice["document_id"]
        assert row["delivered_at"] <= row["acknowledged_at"]
    with tenant_session(org.org_id, actor_type="test") as s:
        types = s.scalars(
            select(DomainEvent.type).where(DomainEvent.subject_id == uuid.UUID(notice["id"]))
        ).all()
        assert list(types) == [EventType.PATIENT_NOTICE_ACKNOWLEDGED.value]

    with httpx.Client(base_url=stack, headers=org.headers(R.BILLING_SPECIALIST), timeout=60) as billing:
        assert billing.post(f"/v1/residents/{resident}/patient-notice").status_code == 403
    other = orgs.create((R.CASE_MANAGER,))
    with httpx.Client(base_url=stack, headers=other.headers(R.CASE_MANAGER), timeout=60) as foreign:
        r = foreign.post(f"/v1/residents/{resident}/patient-notice")
        assert (r.status_code, r.json()["field"]) == (404, "resident_id")
