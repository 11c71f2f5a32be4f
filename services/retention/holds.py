"""Legal holds: placed and lifted by staff with a reason (encrypted), audited and emitted. An
active hold on a resident suspends destruction of everything in that resident's record; one on a
breach incident suspends the incident's and those of every resident it affected."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.enums import AuditAction
from core.errors import Conflict, NotFound, Rejected
from core.events import EventType
from models.compliance import BreachIncident
from models.residents import Resident
from models.retention import LegalHold
from services.events import emit

ENTITY = "legal_hold"


def place(
    session: Session,
    hold_id: uuid.UUID,
    reason: str,
    user_id: uuid.UUID | None,
    at: datetime,
    resident_id: uuid.UUID | None = None,
    breach_incident_id: uuid.UUID | None = None,
) -> LegalHold:
    if (resident_id is None) == (breach_incident_id is None):
        raise Rejected("a hold names a resident or a breach incident, not both", field="resident_id")
    if not reason.strip():
        raise Rejected("a hold states its reason", field="reason")
    existing = session.get(LegalHold, hold_id)
    if existing is not None:
        return existing
    if resident_id is not None:
        r = session.get(Resident, resident_id)
        if r is None:
            raise NotFound(f"no resident {resident_id}", field="resident_id")
    if breach_incident_id is not None:
        inc = session.get(BreachIncident, breach_incident_id)
        if inc is None or inc.deleted_at is not None:
            raise NotFound(f"no breach incident {breach_incident_id}", field="breach_incident_id")
    hold = LegalHold(
        id=hold_id,
        org_id=session.info["actor"]["org_id"],
        resident_id=resident_id,
        breach_incident_id=breach_incident_id,
        placed_by_user_id=user_id,
        placed_at=at,
    )
    hold.reason = reason
    session.add(hold)
    session.flush()
    audit.record(session, AuditAction.CREATE, ENTITY, hold_id, {"step": "placed"})
    emit(
        session, EventType.LEGAL_HOLD_PLACED, hold_id, resident_id=resident_id, incident_id=breach_incident_id
    )
    return hold


def lift(
    session: Session, hold_id: uuid.UUID, reason: str, user_id: uuid.UUID | None, at: datetime
) -> LegalHold:
    hold = get(session, hold_id)
    if hold.lifted_at is not None:
        raise Conflict("this hold has already been lifted", field="hold_id")
    if not reason.strip():
        raise Rejected("lifting a hold states its reason", field="reason")
    hold.lifted_at, hold.lifted_by_user_id = at, user_id
    hold.lift_reason = reason
    audit.record(session, AuditAction.UPDATE, ENTITY, hold_id, {"step": "lifted"})
    emit(session, EventType.LEGAL_HOLD_LIFTED, hold_id, resident_id=hold.resident_id)
    return hold


def get(session: Session, hold_id: uuid.UUID) -> LegalHold:
    hold = session.get(LegalHold, hold_id)
    if hold is None:
        raise NotFound(f"no legal hold {hold_id}", field="hold_id")
    return hold


def all_holds(session: Session) -> list[LegalHold]:
    return list(session.scalars(select(LegalHold).order_by(LegalHold.placed_at, LegalHold.id)))


def held(session: Session) -> tuple[set[uuid.UUID], set[uuid.UUID]]:
    """(residents, breach incidents) under an active hold; a held incident holds the records of
    every resident it affected too."""
    active = list(session.scalars(select(LegalHold).where(LegalHold.lifted_at.is_(None))))
    residents = {h.resident_id for h in active if h.resident_id is not None}
    incidents = {h.breach_incident_id for h in active if h.breach_incident_id is not None}
    for inc_id in incidents:
        inc = session.get(BreachIncident, inc_id)
        ids = inc.affected_resident_ids if inc is not None else None
        residents |= {uuid.UUID(str(r)) for r in ids or []}
    return residents, incidents
