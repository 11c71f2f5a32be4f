"""A resident's record with its Part 2 fields, read under the access policy.

The Part 2 fields are decrypted only when `basis_for` finds a basis: without one they are never
read, so they are neither shown nor logged as read. Every call writes one audit event naming
the basis (or `none`), besides the field-level read events of the decryption itself.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.contracts.consent import Basis
from core.enums import AuditAction
from models.resident_tracking import Discharge
from models.residents import Resident
from services.consent.access import Caller, basis_for
from services.residents import get_resident

# The resident's own Part 2 fields (substance use, recovery, diagnoses and medications).
PART2_FIELDS = ("primary_substance", "drugs_of_choice", "sobriety_date", "diagnoses", "medications")
# The latest discharge's Part 2 narrative fields.
DISCHARGE_FIELDS = ("reason_details", "summary", "aftercare_plan", "referred_to")


@dataclass(frozen=True)
class Part2Discharge:
    discharge_id: uuid.UUID
    discharged_at: datetime
    reason_details: str | None
    summary: str | None
    aftercare_plan: str | None
    referred_to: str | None


@dataclass(frozen=True)
class Record:
    resident: Resident
    basis: Basis | None
    # Only with a basis: the Part 2 fields by name, and the latest discharge (None: none yet).
    part2: dict[str, Any] | None = None
    discharge: Part2Discharge | None = None


def read_record(session: Session, caller: Caller, resident_id: uuid.UUID, now: datetime) -> Record:
    resident = get_resident(session, resident_id)
    basis = basis_for(session, caller, resident_id, now)
    audit.record(
        session,
        AuditAction.READ,
        "residents",
        resident_id,
        {"access_basis": str(basis) if basis else "none", "part2_fields": basis is not None},
    )
    if basis is None:
        return Record(resident, None)
    part2 = {name: getattr(resident, name) for name in PART2_FIELDS}
    return Record(resident, basis, part2, _latest_discharge(session, resident_id))


def _latest_discharge(session: Session, resident_id: uuid.UUID) -> Part2Discharge | None:
    d = session.scalar(
        select(Discharge)
        .where(Discharge.resident_id == resident_id, Discharge.deleted_at.is_(None))
        .order_by(Discharge.discharged_at.desc(), Discharge.id)
        .limit(1)
    )
    if d is None:
        return None
    return Part2Discharge(d.id, d.discharged_at, d.reason_details, d.summary, d.aftercare_plan, d.referred_to)
