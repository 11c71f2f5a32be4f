"""Steps the consent tests share: a consent body of each kind, and signing a form on the
signing page as the resident does (cookie-less, plain HTTP)."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from core.contracts.consent import ConsentKind, ExpiryEvent
from core.db import tenant_session
from core.enums import ConsentStatus, ConsentType, UserRole
from models.compliance import Consent

STAFF = UserRole.CASE_MANAGER


def tpo(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "tpo",
        "discloser": "Cedar House and its staff",
        "recipient_kind": "class",
        "recipient_classes": ["treating_provider", "health_plan", "third_party_payer", "program_operations"],
        "information_classes": ["drug_tests", "attendance", "medications"],
        "information_description": "Drug screens, meeting attendance and medication records",
        "purposes": ["treatment", "payment", "health_care_operations"],
        "expiry_event": "end_of_treatment",
        "refusal_consequences": "You can still live here; we will ask you each time before sharing",
    }
    body.update(changes)
    return body


def family(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "specific_purpose",
        "discloser": "Cedar House staff",
        "recipient_kind": "named",
        "recipient_name": "Adaeze Nwosu",
        "information_classes": ["residency_status", "attendance"],
        "information_description": "Whether I still live at the house and go to my meetings",
        "purposes": ["family_involvement"],
        "purpose_description": "So my sister can support my recovery",
        "expires_at": (datetime.now(UTC) + timedelta(days=180)).isoformat(),
    }
    body.update(changes)
    return body


def sign_on_page(stack: str, staff: httpx.Client, document_id: str, name: str) -> None:
    """The resident opens the link staff hand over, agrees to sign electronically and signs."""
    link = staff.get(f"/v1/documents/{document_id}/signature-request/link")
    assert link.status_code == 200, link.text
    path = "/sign/" + link.json()["url"].rsplit("/", 1)[1]
    with httpx.Client(base_url=stack, timeout=60) as page:
        assert page.get(path).status_code == 200
        agreed = page.post(path + "/consent", data={"esign_consent": "yes"}, headers={"Origin": stack})
        assert agreed.status_code == 303, agreed.text
        signed = page.post(
            path,
            data={"read_confirmed": "yes", "mode": "typed", "typed_signature": name},
            headers={"Origin": stack},
        )
        assert signed.status_code == 200, signed.text


def until(staff: httpx.Client, consent_id: str, status: str, seconds: float = 20) -> dict[str, Any]:
    """The consent once its lifecycle has moved it to `status` (it writes just after the
    signature request ends)."""
    deadline = time.monotonic() + seconds
    while True:
        c = staff.get(f"/v1/consents/{consent_id}").json()
        if c["status"] == status or time.monotonic() > deadline:
            assert c["status"] == status, c
            return c
        time.sleep(0.2)


def recorded_consent(org_id: uuid.UUID, resident: uuid.UUID) -> uuid.UUID:
    """An active consent as the seed (or an import) writes it: a row, no lifecycle."""
    with tenant_session(org_id, actor_type="test") as s:
        c = Consent(
            org_id=org_id,
            resident_id=resident,
            consent_type=ConsentType.COURT,
            kind=ConsentKind.SPECIFIC_PURPOSE,
            status=ConsentStatus.ACTIVE,
            recipient_name="District 28 treatment court",
            purpose="Compliance reports",
            purposes=["criminal_justice_supervision"],
            information_scope="Drug screens",
            information_classes=["drug_tests"],
            expiry_event=ExpiryEvent.CONDITION,
            expiration_event="Completion of the court program",
            effective_date=date.today(),
            signed_at=datetime.now(UTC),
        )
        s.add(c)
        s.flush()
        return c.id
