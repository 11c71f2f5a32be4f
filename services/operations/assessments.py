"""Clinical assessments: the house programme's instruments, when each resident is due one, and
the results, encrypted and readable only on an access basis.

The programme (`PROGRAMME`): an intake screening (BAM, the Brief Addiction Monitor) within a
week of moving in and again every 30 days, and a recovery-capital measure (BARC-10) within two
weeks and every 90 days. Recording one sets its `next_due_date`; what is due is worked out per
resident from their move-in and their last assessment of each instrument, so it needs no timer
of its own and stays right when an assessment is recorded late.

Score, severity, answers and the clinician's notes are Part 2 data: recorded by staff with
`clinical:read`, and shown only when `services/consent/access.basis_for` finds a basis (the
resident themself, their treatment team, a staff consent, break-glass). Without one the caller
sees that an assessment exists and when, never what it found.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.contracts.consent import Basis
from core.errors import Rejected
from models.operations_extended import ClinicalAssessment
from models.residents import Admission
from services.consent.access import Caller, basis_for
from services.operations.chores import living_in
from services.operations.meetings import house_on
from services.paging import Page, page


@dataclass(frozen=True)
class Instrument:
    name: str
    first_within_days: int
    every_days: int


PROGRAMME = {
    "BAM": Instrument("BAM", 7, 30),
    "BARC-10": Instrument("BARC-10", 14, 90),
}


@dataclass(frozen=True)
class NewAssessment:
    instrument: str
    administered_at: datetime
    score: int | None = None
    severity: str | None = None
    subscale_scores: dict[str, Any] = field(default_factory=dict)
    answers: dict[str, Any] = field(default_factory=dict)
    clinician_notes: str | None = None


def record(
    session: Session, resident_id: uuid.UUID, new: NewAssessment, by: uuid.UUID | None
) -> ClinicalAssessment:
    instrument = PROGRAMME.get(new.instrument)
    if instrument is None:
        raise Rejected(f"instrument must be one of {', '.join(PROGRAMME)}", field="instrument")
    house_on(session, resident_id, new.administered_at.date(), field="administered_at")
    row = ClinicalAssessment(
        org_id=session.info["actor"]["org_id"],
        resident_id=resident_id,
        instrument=instrument.name,
        administered_at=new.administered_at,
        administered_by_user_id=by,
        completed_at=new.administered_at,
        next_due_date=new.administered_at.date() + timedelta(days=instrument.every_days),
        score=new.score,
        severity=new.severity,
        subscale_scores=new.subscale_scores or None,
        answers=new.answers or None,
        clinician_notes=new.clinician_notes,
    )
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True)
class Due:
    resident_id: uuid.UUID
    instrument: str
    due_date: date
    overdue: bool


def due(session: Session, house_id: uuid.UUID, on: date, within_days: int = 7) -> list[Due]:
    """Assessments due by `on` + `within_days` for residents living in the house, soonest first:
    from move-in for an instrument never given, from the last one's `next_due_date` otherwise."""
    people = _living_there(session, house_id, on)
    last = {
        (r, i): d
        for r, i, d in session.execute(
            select(
                ClinicalAssessment.resident_id,
                ClinicalAssessment.instrument,
                func.max(ClinicalAssessment.next_due_date),
            )
            .where(ClinicalAssessment.deleted_at.is_(None), ClinicalAssessment.resident_id.in_(list(people)))
            .group_by(ClinicalAssessment.resident_id, ClinicalAssessment.instrument)
        ).all()
    }
    out = []
    for resident_id, moved_in in people.items():
        for ins in PROGRAMME.values():
            when = last.get((resident_id, ins.name)) or moved_in + timedelta(days=ins.first_within_days)
            if when <= on + timedelta(days=within_days):
                out.append(Due(resident_id, ins.name, when, when < on))
    return sorted(out, key=lambda d: (d.due_date, str(d.resident_id), d.instrument))


def _living_there(session: Session, house_id: uuid.UUID, on: date) -> dict[uuid.UUID, date]:
    """Who lives in the house on `on`, with the day they moved in."""
    rows = session.execute(
        select(Admission.resident_id, func.min(Admission.admitted_at))
        .where(living_in(house_id, on))
        .group_by(Admission.resident_id)
    ).all()
    return {r: at.date() for r, at in rows if at is not None}


def resident_assessments(
    session: Session, caller: Caller, resident_id: uuid.UUID, now: datetime, limit: int, offset: int
) -> tuple[Page[ClinicalAssessment], Basis | None]:
    """A resident's assessments, newest first, and the caller's basis (None: results withheld)."""
    basis = basis_for(session, caller, resident_id, now)
    stmt = select(ClinicalAssessment).where(
        ClinicalAssessment.resident_id == resident_id, ClinicalAssessment.deleted_at.is_(None)
    )
    got = page(
        session,
        stmt.order_by(ClinicalAssessment.administered_at.desc(), ClinicalAssessment.id),
        limit,
        offset,
    )
    return got, basis


def results(row: ClinicalAssessment) -> dict[str, Any]:
    return {
        "score": row.score,
        "severity": row.severity,
        "subscale_scores": row.subscale_scores,
        "answers": row.answers,
        "clinician_notes": row.clinician_notes,
    }
