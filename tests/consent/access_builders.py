"""Rows the access tests stand on, written directly (the consent lifecycle is tested on its own):
consents in each state, a resident's Part 2 fields, care-team rows."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from core.contracts.consent import ConsentKind, RecipientClass, RecipientKind, RevocationMethod
from core.db import tenant_session
from core.enums import ConsentStatus, ConsentType
from models.compliance import Consent
from models.part2 import CareTeamMember
from models.resident_tracking import Discharge
from models.residents import Resident


def consent(
    org_id: uuid.UUID,
    resident_id: uuid.UUID,
    *,
    kind: ConsentKind = ConsentKind.TPO,
    classes: tuple[RecipientClass, ...] = (
        RecipientClass.PROGRAM_OPERATIONS,
        RecipientClass.TREATING_PROVIDER,
    ),
    status: ConsentStatus = ConsentStatus.ACTIVE,
    expires_in: timedelta | None = timedelta(days=365),
    revoked: bool = False,
) -> uuid.UUID:
    """A signed consent row as the lifecycle leaves it (its status given)."""
    now = datetime.now(UTC)
    with tenant_session(org_id, actor_type="test") as s:
        c = Consent(
            org_id=org_id,
            resident_id=resident_id,
            consent_type=ConsentType.TREATMENT,
            kind=kind,
            status=ConsentStatus.REVOKED if revoked else status,
            recipient_kind=RecipientKind.CLASS,
            recipient_classes=[c.value for c in classes],
            recipient_name="My treating providers and people helping to operate this program",
            purpose="Treatment, payment and health care operations",
            purposes=["treatment", "payment", "health_care_operations"],
            information_scope="All of my substance use disorder records",
            information_classes=(
                ["counseling_notes"]
                if kind is ConsentKind.COUNSELING_NOTES
                else ["substance_use_history", "medications", "discharge_summary"]
            ),
            effective_date=date.today(),
            expires_at=now + expires_in if expires_in is not None else None,
            expiry_event=None if expires_in is not None else "end_of_treatment",
            signed_at=now - timedelta(days=1),
            revoked_at=now if revoked else None,
            revocation_method=RevocationMethod.WRITTEN_UPLOAD if revoked else None,
        )
        s.add(c)
        s.flush()
        return c.id


def part2_fields(org_id: uuid.UUID, resident_id: uuid.UUID, discharge_summary: str | None = None) -> None:
    """Fill in the resident's Part 2 fields (and their latest discharge's summary, if any)."""
    with tenant_session(org_id, actor_type="test") as s:
        r = s.get(Resident, resident_id)
        assert r is not None
        r.primary_substance = "opioids"
        r.drugs_of_choice = ["fentanyl", "alcohol"]
        r.sobriety_date = date(2026, 3, 14)
        r.diagnoses = ["F11.20 Opioid use disorder, severe"]
        r.medications = ["buprenorphine 8 mg"]
        if discharge_summary is not None:
            d = s.query(Discharge).filter(Discharge.resident_id == resident_id).one()
            d.summary = discharge_summary


def on_care_team(org_id: uuid.UUID, resident_id: uuid.UUID, user_id: uuid.UUID) -> None:
    with tenant_session(org_id, actor_type="test") as s:
        s.add(CareTeamMember(org_id=org_id, resident_id=resident_id, user_id=user_id, role="case_manager"))
