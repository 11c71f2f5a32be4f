"""Who may read a resident's Part 2 fields, and on what basis: the one policy every route that
shows them asks (`basis_for`), so the rule is written once.

The bases, tried in this order (the first that holds is the one audited):

1. `self`: the caller is the resident (a resident user reading their own record). A patient may
   see their own records; counseling notes are the exception (services/consent/counseling.py).
2. `treatment-team`: the caller holds `clinical:read` and has an active row in
   `care_team_members` for the resident (assigned by staff with `consent:manage`,
   services/consent/care_team.py). Treatment inside the program by the staff who treat them.
3. `consent:<id>`: the caller holds `clinical:read` and the resident has an active consent
   (signed, not revoked, not expired, not deleted) of kind `tpo` or `specific_purpose` whose
   recipients are the class `program_operations`: the TPO form's "people helping to operate
   this program", i.e. the org's own staff. A consent naming only outside recipients (a health
   plan, a family member) lets the program disclose to them; it is not a basis for the
   program's own staff to read. Counseling-notes and legal-proceedings consents never are.
4. `break-glass:<id>`: the caller opened a break-glass grant for this resident that has not
   expired (`expires_at` is checked here, on every read, so access ends on time even if no
   process runs; services/consent/break_glass.py).

`clinical:read` is the role's part (minimum necessary, 45 CFR 164.502(b)): a house manager, peer
support or billing specialist has no job need for diagnoses or substance use, so no care-team
row or consent makes those fields visible to them; only break-glass does, for an emergency, and
it is reviewed. No basis: `None`, and the caller's response leaves the fields out.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from core.contracts.consent import AccessBasis, Basis, ConsentKind, RecipientClass
from core.enums import ConsentStatus
from core.permissions import Perm
from models.compliance import Consent
from models.compliance_extended import BreakGlassEvent
from models.part2 import CareTeamMember


@dataclass(frozen=True)
class Caller:
    """Who asks: the API's principal reduced to what the policy reads (no api import here)."""

    user_id: uuid.UUID
    permissions: frozenset[Perm]
    # Set for a resident user: the resident they are.
    resident_id: uuid.UUID | None = None

    @property
    def clinical(self) -> bool:
        return Perm.CLINICAL_READ in self.permissions


# Consents whose recipients may be the program's own staff.
STAFF_CONSENT_KINDS = (ConsentKind.TPO, ConsentKind.SPECIFIC_PURPOSE)


def basis_for(session: Session, caller: Caller, resident_id: uuid.UUID, now: datetime) -> Basis | None:
    """The basis on which `caller` may read `resident_id`'s Part 2 fields at `now`, or None."""
    if caller.resident_id is not None:
        # A resident user reads only themself (the database shows them nothing else).
        return Basis(AccessBasis.SELF) if caller.resident_id == resident_id else None
    if caller.clinical:
        if on_care_team(session, caller.user_id, resident_id):
            return Basis(AccessBasis.TREATMENT_TEAM)
        consent = staff_consent(session, resident_id, now)
        if consent is not None:
            return Basis(AccessBasis.CONSENT, consent)
    grant = live_grant(session, caller.user_id, resident_id, now)
    if grant is not None:
        return Basis(AccessBasis.BREAK_GLASS, grant)
    return None


def on_care_team(session: Session, user_id: uuid.UUID, resident_id: uuid.UUID) -> bool:
    return (
        session.scalar(
            select(CareTeamMember.id).where(
                CareTeamMember.resident_id == resident_id,
                CareTeamMember.user_id == user_id,
                CareTeamMember.ended_at.is_(None),
            )
        )
        is not None
    )


def active_consents(session: Session, resident_id: uuid.UUID, now: datetime) -> list[Consent]:
    """The resident's consents in force at `now`: signed, active, not revoked, not past their
    date (the lifecycle marks expiry; the date is checked here too so a late timer changes
    nothing), newest first."""
    return list(
        session.scalars(
            select(Consent)
            .where(
                Consent.resident_id == resident_id,
                Consent.status == ConsentStatus.ACTIVE,
                Consent.signed_at.is_not(None),
                Consent.revoked_at.is_(None),
                Consent.deleted_at.is_(None),
                or_(Consent.expires_at.is_(None), Consent.expires_at > now),
            )
            .order_by(Consent.signed_at.desc(), Consent.id)
        )
    )


def covers_staff(consent: Consent) -> bool:
    return RecipientClass.PROGRAM_OPERATIONS.value in (consent.recipient_classes or [])


def staff_consent(session: Session, resident_id: uuid.UUID, now: datetime) -> uuid.UUID | None:
    for c in active_consents(session, resident_id, now):
        if c.kind in STAFF_CONSENT_KINDS and covers_staff(c):
            return c.id
    return None


def live_grant(
    session: Session, user_id: uuid.UUID, resident_id: uuid.UUID, now: datetime
) -> uuid.UUID | None:
    return session.scalar(
        select(BreakGlassEvent.id)
        .where(
            and_(
                BreakGlassEvent.user_id == user_id,
                BreakGlassEvent.resident_id == resident_id,
                BreakGlassEvent.occurred_at <= now,
                BreakGlassEvent.expires_at > now,
            )
        )
        .order_by(BreakGlassEvent.expires_at.desc())
        .limit(1)
    )
