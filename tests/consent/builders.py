"""Consents and disclosures as rows, for the disclosure, accounting and restriction tests: a
consent here is already signed and active (or revoked, expired...) as the test says; how it got
there is the lifecycle's business and its own tests'."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from core.contracts.consent import (
    ConsentKind,
    ExpiryEvent,
    InformationClass,
    Purpose,
    RecipientClass,
    RecipientKind,
    RevocationMethod,
)
from core.db import tenant_session
from core.enums import ConsentStatus, ConsentType
from models.compliance import Consent, ConsentDisclosure
from models.part2 import DisclosureRestriction

PROVIDER = "Blue Ridge Intensive Outpatient Program"


def make_consent(org_id: uuid.UUID, resident_id: uuid.UUID, **fields: Any) -> uuid.UUID:
    """A signed, active specific-purpose consent naming PROVIDER for drug tests and attendance,
    for treatment and care coordination, expiring in a year; `fields` change any of it."""
    now = datetime.now(UTC)
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "org_id": org_id,
        "resident_id": resident_id,
        "consent_type": ConsentType.TREATMENT,
        "kind": ConsentKind.SPECIFIC_PURPOSE,
        "status": ConsentStatus.ACTIVE,
        "discloser": "Staff of Alder House",
        "recipient_kind": RecipientKind.NAMED,
        "recipient_name": "Dr. Imani Okafor",
        "recipient_organization": PROVIDER,
        "purpose": "Coordinating outpatient treatment",
        "purposes": [Purpose.TREATMENT.value, Purpose.CARE_COORDINATION.value],
        "information_scope": "Drug test results and attendance at house meetings",
        "information_classes": [InformationClass.DRUG_TESTS.value, InformationClass.ATTENDANCE.value],
        "effective_date": date.today() - timedelta(days=10),
        "expires_at": now + timedelta(days=365),
        "signed_at": now - timedelta(days=10),
    }
    values.update(fields)
    if values["status"] is ConsentStatus.REVOKED:
        values.setdefault("revoked_at", now - timedelta(days=1))
        values.setdefault("revocation_method", RevocationMethod.WRITTEN_UPLOAD)
    with tenant_session(org_id, actor_type="test") as s:
        s.add(Consent(**values))
    consent_id: uuid.UUID = values["id"]
    return consent_id


def tpo_consent(org_id: uuid.UUID, resident_id: uuid.UUID, **fields: Any) -> uuid.UUID:
    """A single consent for all future treatment, payment and health care operations."""
    tpo: dict[str, Any] = {
        "kind": ConsentKind.TPO,
        "recipient_kind": RecipientKind.CLASS,
        "recipient_classes": [
            c.value for c in RecipientClass if c.value in ("treating_provider", "health_plan")
        ],
        "recipient_name": "My treating providers and health plans",
        "recipient_organization": None,
        "purposes": [],
        "information_classes": [
            c.value for c in InformationClass if c is not InformationClass.COUNSELING_NOTES
        ],
        "expires_at": None,
        "expiry_event": ExpiryEvent.NONE,
    }
    return make_consent(org_id, resident_id, **{**tpo, **fields})


def revoke(org_id: uuid.UUID, consent_id: uuid.UUID) -> None:
    with tenant_session(org_id, actor_type="test") as s:
        c = s.get(Consent, consent_id)
        assert c is not None
        c.status = ConsentStatus.REVOKED
        c.revoked_at = datetime.now(UTC)
        c.revocation_method = RevocationMethod.WRITTEN_UPLOAD


def disclosure_count(org_id: uuid.UUID, resident_id: uuid.UUID | None = None) -> int:
    with tenant_session(org_id, actor_type="test") as s:
        q = select(func.count()).select_from(ConsentDisclosure)
        if resident_id is not None:
            q = q.where(ConsentDisclosure.resident_id == resident_id)
        return s.scalar(q) or 0


def restriction_status(org_id: uuid.UUID, restriction_id: uuid.UUID) -> str:
    with tenant_session(org_id, actor_type="test") as s:
        r = s.get(DisclosureRestriction, restriction_id)
        assert r is not None
        return r.status.value


def disclosure_body(**fields: Any) -> dict[str, Any]:
    """What staff send to record a disclosure to PROVIDER under `make_consent`'s defaults."""
    body: dict[str, Any] = {
        "recipient": PROVIDER,
        "recipient_class": "treating_provider",
        "information_classes": ["drug_tests"],
        "description": "Drug test results, 2026-11-01 to 2026-11-30",
        "purpose": "treatment",
        "method": "electronic",
    }
    body.update(fields)
    return body


def add_disclosure(
    org_id: uuid.UUID,
    resident_id: uuid.UUID,
    consent_id: uuid.UUID,
    by: uuid.UUID,
    at: datetime,
    recipient: str = PROVIDER,
    description: str = "Drug test results",
) -> uuid.UUID:
    """A disclosure as a row (the accounting reads rows; the API's own tests make them over HTTP)."""
    from core.contracts.consent import NOTICE_VERSION, NoticeStatement
    from core.enums import DisclosureMethod

    did = uuid.uuid4()
    with tenant_session(org_id, actor_type="test") as s:
        s.add(
            ConsentDisclosure(
                id=did,
                org_id=org_id,
                consent_id=consent_id,
                resident_id=resident_id,
                disclosed_at=at,
                disclosed_by_user_id=by,
                recipient=recipient,
                information_disclosed=description,
                purpose="treatment",
                method=DisclosureMethod.ELECTRONIC,
                recipient_class="treating_provider",
                information_classes=["drug_tests"],
                purpose_code="treatment",
                redisclosure_notice_included=True,
                notice_statement=NoticeStatement.STATEMENT_1,
                notice_version=NOTICE_VERSION,
            )
        )
    return did
