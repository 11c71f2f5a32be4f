"""Part 2 consents over real HTTP: recorded with every §2.31 element, signed by the resident on
the signing page, revoked in writing (a form signed on the page, or an uploaded letter), ended
by the resident's discharge; bad input refused by name with nothing written."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import func, select

from core.db import tenant_session
from core.enums import UserRole
from models.compliance import Consent
from models.documents import Document
from tests.admission.places import approved_lead, house
from tests.consent.flows import STAFF, family, recorded_consent, sign_on_page, tpo, until
from tests.documents.factories import make_resident
from tests.factories import OrgFactory, SampleOrg

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _consents(org: SampleOrg, resident_id: uuid.UUID) -> int:
    with tenant_session(org.org_id, actor_type="test") as s:
        return (
            s.scalar(select(func.count()).select_from(Consent).where(Consent.resident_id == resident_id)) or 0
        )


def test_a_tpo_consent_is_signed_on_the_page_then_revoked_by_a_signed_revocation_form(
    stack: str, orgs: OrgFactory
) -> None:
    org = orgs.create((STAFF,))
    resident = make_resident(org.org_id, "Teodora", "Vasquez-Lind")
    with httpx.Client(base_url=stack, headers=org.headers(STAFF), timeout=60) as http:
        made = http.post(
            f"/v1/residents/{resident}/consents", json=tpo(), headers={"Idempotency-Key": f"tpo-{resident}"}
        )
        assert made.status_code == 201, made.text
        c = made.json()
        assert (c["status"], c["kind"], c["form_version"]) == ("pending", "tpo", "tpo/2024.1")
        assert c["workflow_id"] == f"consent/{org.org_id}/{c['id']}"
        assert made.headers["cache-control"] == "no-store"
        again = http.post(
            f"/v1/residents/{resident}/consents", json=tpo(), headers={"Idempotency-Key": f"tpo-{resident}"}
        )
        assert (again.status_code, again.json()["id"]) == (200, c["id"])

        form = http.get(f"/v1/documents/{c['document_id']}").json()
        text = form["content"]
        # Every §2.31 element, and the two statements only a TPO consent makes.
        for words in (
            "Teodora Vasquez-Lind",
            "Who may use or share my records: Cedar House and its staff",
            "Drug screens, meeting attendance",
            "my treating providers, health plans, third-party payers and people helping to operate",
            "treatment, payment and health care operations",
            "revoke (cancel) this consent at any time, in writing",
            "does not undo what was already shared",
            "when my treatment here ends",
            "no longer protected by 42 CFR part 2",
            "If I do not sign: You can still live here",
        ):
            assert words in text, words

        sign_on_page(stack, http, c["document_id"], "Teodora Vasquez-Lind")
        active = until(http, c["id"], "active")
        assert active["signed_at"] is not None

        revoking = http.post(f"/v1/consents/{c['id']}/revocation", json={"reason": "I changed my mind"})
        assert revoking.status_code == 200, revoking.text
        form_id = revoking.json()["revocation_document_id"]
        assert revoking.json()["status"] == "active"  # until the resident signs the form
        twice = http.post(f"/v1/consents/{c['id']}/revocation", json={})
        assert twice.status_code == 409 and twice.json()["field"] == "consent_id"
        sign_on_page(stack, http, form_id, "Teodora Vasquez-Lind")
        revoked = until(http, c["id"], "revoked")
        assert (revoked["revocation_method"], revoked["revocation_document_id"]) == (
            "signed_on_page",
            form_id,
        )
        assert revoked["revoked_at"] >= revoked["signed_at"]
        late = http.post(f"/v1/consents/{c['id']}/revocation", json={})
        assert late.status_code == 409

        listed = http.get(f"/v1/residents/{resident}/consents").json()
        assert [x["status"] for x in listed] == ["revoked"]


def test_an_uploaded_letter_revokes_at_once_and_the_revoker_is_recorded(stack: str, orgs: OrgFactory) -> None:
    org = orgs.create((STAFF,))
    resident = make_resident(org.org_id, "Ingrid", "Solberg")
    with httpx.Client(base_url=stack, headers=org.headers(STAFF), timeout=60) as http:
        c = http.post(f"/v1/residents/{resident}/consents", json=family()).json()
        sign_on_page(stack, http, c["document_id"], "Ingrid Solberg")
        until(http, c["id"], "active")
        other = make_resident(org.org_id, "Someone", "Else")
        foreign = http.post(
            "/v1/documents/files",
            files={"file": ("letter.pdf", PDF, "application/pdf")},
            data={"resident_id": str(other)},
        ).json()
        wrong = http.post(f"/v1/consents/{c['id']}/revocation", json={"file_id": foreign["id"]})
        assert wrong.status_code == 404 and wrong.json()["field"] == "file_id"
        letter = http.post(
            "/v1/documents/files",
            files={"file": ("letter.pdf", PDF, "application/pdf")},
            data={"resident_id": str(resident)},
        ).json()
        done = http.post(f"/v1/consents/{c['id']}/revocation", json={"file_id": letter["id"]})
        assert done.status_code == 200, done.text
        assert (done.json()["status"], done.json()["revocation_method"]) == ("revoked", "written_upload")
    with tenant_session(org.org_id, actor_type="test") as s:
        row = s.get(Consent, uuid.UUID(c["id"]))
        assert row is not None
        assert (row.revoked_by_user_id, row.revocation_file_id) == (org.users[STAFF], uuid.UUID(letter["id"]))


def test_a_discharge_ends_the_residents_end_of_treatment_consents_and_no_others(
    stack: str, orgs: OrgFactory
) -> None:
    org = orgs.create((STAFF,))
    layout = house(org.org_id, ["B-1"], name="Alder House")
    with httpx.Client(base_url=stack, headers=org.headers(STAFF), timeout=60) as http:
        app = http.post(
            "/v1/admissions",
            json={
                "lead_id": str(approved_lead(org.org_id, "Oluwaseun", "Adebayo")),
                "house_id": str(layout.house_id),
                "weekly_rate_cents": 22500,
                "deposit_cents": 0,
            },
        ).json()
        assert http.post(
            f"/v1/admissions/{app['id']}/bed", json={"bed_id": str(layout.beds["B-1"])}
        ).is_success
        resident = app["resident_id"]
        ending = http.post(f"/v1/residents/{resident}/consents", json=tpo()).json()
        dated = http.post(f"/v1/residents/{resident}/consents", json=family()).json()
        for c in (ending, dated):
            sign_on_page(stack, http, c["document_id"], "Oluwaseun Adebayo")
            until(http, c["id"], "active")
        out = http.post(f"/v1/admissions/{app['id']}/discharge", json={"kind": "planned"})
        assert out.status_code == 200, out.text
        assert until(http, ending["id"], "expired")["expired_at"] is not None
        assert http.get(f"/v1/consents/{dated['id']}").json()["status"] == "active"


def test_bad_consents_are_422s_naming_the_element_and_write_nothing(stack: str, orgs: OrgFactory) -> None:
    org = orgs.create((STAFF,))
    resident = make_resident(org.org_id, "Bartholomew", "Kranz")
    cases = {
        "refusal_consequences": tpo(refusal_consequences=None),
        "condition_of_admission": {
            **family(),
            "kind": "counseling_notes",
            "information_classes": ["counseling_notes"],
            "condition_of_admission": True,
        },
        "expires_at": family(expires_at="2020-01-01T00:00:00Z"),
        "recipient_classes": tpo(recipient_classes=["astrologers"]),
        "information_classes": family(information_classes=["residency_status", "counseling_notes"]),
        "purposes": family(purposes=["legal_proceedings"]),
        "discloser": family(discloser=""),
        "recipient_name": family(recipient_name=""),
        "expiry_event": family(expires_at=None, expiry_event="none"),
        "intermediary_participants": family(recipient_kind="intermediary", recipient_name="Mountain HIE"),
    }
    with httpx.Client(base_url=stack, headers=org.headers(STAFF), timeout=60) as http:
        for field, body in cases.items():
            r = http.post(f"/v1/residents/{resident}/consents", json=body)
            assert r.status_code == 422, (field, r.text)
            assert field in r.text, (field, r.text)
        missing = http.post(f"/v1/residents/{resident}/consents", json={**family(), "purposes": []})
        assert missing.status_code == 422 and "purposes" in missing.text
        nobody = http.post(f"/v1/residents/{uuid.uuid4()}/consents", json=family())
        assert nobody.status_code == 404
    assert _consents(org, resident) == 0
    with tenant_session(org.org_id, actor_type="test") as s:
        assert (
            s.scalar(select(func.count()).select_from(Document).where(Document.resident_id == resident)) == 0
        )


def test_consents_are_another_orgs_404_and_need_consent_manage(stack: str, orgs: OrgFactory) -> None:
    a = orgs.create((STAFF, UserRole.HOUSE_MANAGER, UserRole.COMPLIANCE_OFFICER))
    b = orgs.create((STAFF,))
    resident = make_resident(a.org_id, "Philomena", "Adeyemi")
    with httpx.Client(base_url=stack, headers=a.headers(STAFF), timeout=60) as http:
        c = http.post(f"/v1/residents/{resident}/consents", json=family()).json()
    with httpx.Client(base_url=stack, headers=b.headers(STAFF), timeout=60) as other:
        assert other.get(f"/v1/consents/{c['id']}").status_code == 404
        assert other.get(f"/v1/residents/{resident}/consents").status_code == 404
        assert other.post(f"/v1/residents/{resident}/consents", json=family()).status_code == 404
        assert other.post(f"/v1/consents/{c['id']}/revocation", json={}).status_code == 404
    with httpx.Client(base_url=stack, headers=a.headers(UserRole.HOUSE_MANAGER), timeout=60) as hm:
        assert hm.get(f"/v1/consents/{c['id']}").status_code == 403
    with httpx.Client(base_url=stack, headers=a.headers(UserRole.COMPLIANCE_OFFICER), timeout=60) as co:
        assert co.get(f"/v1/consents/{c['id']}").json()["status"] == "pending"


def test_a_consent_recorded_before_lifecycles_is_adopted_and_ends_on_its_condition(
    stack: str, orgs: OrgFactory
) -> None:
    org = orgs.create((STAFF,))
    resident = make_resident(org.org_id, "Anselm", "Whitcombe")
    consent_id = recorded_consent(org.org_id, resident)
    with httpx.Client(base_url=stack, headers=org.headers(STAFF), timeout=60) as http:
        wrong = http.post(f"/v1/consents/{consent_id}/expiry-event", json={"event": "end_of_treatment"})
        assert wrong.status_code == 409 and wrong.json()["field"] == "event"
        ended = http.post(f"/v1/consents/{consent_id}/expiry-event", json={"event": "condition"})
        assert ended.status_code == 200, ended.text
        assert ended.json()["status"] == "expired"
        again = http.post(f"/v1/consents/{consent_id}/revocation", json={})
        assert again.status_code == 409 and "expired" in again.json()["detail"]
