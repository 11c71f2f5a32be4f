"""Daily check-ins (accountability: whereabouts and the day's plan) and wellness check-ins
(mood, cravings, stress, sleep).

Every answer is Part 2 data and encrypted, `mood_rating` included (finding F5); SQL cannot see
inside the ciphertext, so the rating ranges are checked here. Staff queues read only plaintext:
a check-in's status and date, and whether a resident asked to talk (`follow_up_requested`),
never the answers. A resident's answers are shown only on an access basis
(services/consent/access.py: the resident themself, their treatment team, a staff consent, or
break-glass).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.contracts.consent import Basis
from core.enums import CheckInStatus
from core.errors import Conflict, NotFound, Rejected
from models.operations import DailyCheckIn
from models.operations_extended import WellnessCheckIn
from services.consent.access import Caller, basis_for
from services.operations.meetings import house_on
from services.paging import Page, page

# (lowest, highest) of each rating, as the survey asks them.
RANGES = {
    "mood_rating": (1, 10),
    "craving_rating": (0, 10),
    "stress_rating": (1, 10),
    "sleep_rating": (1, 10),
}


@dataclass(frozen=True)
class DailyAnswers:
    check_in_date: date
    status: CheckInStatus = CheckInStatus.ON_TIME
    method: str | None = None
    responses: dict[str, Any] = field(default_factory=dict)
    notes: str | None = None


def record_daily(session: Session, resident_id: uuid.UUID, a: DailyAnswers, at: datetime) -> DailyCheckIn:
    """One check-in per resident and day (a second is a 409 naming `check_in_date`)."""
    house_id = house_on(session, resident_id, a.check_in_date, field="check_in_date")
    taken = session.scalar(
        select(DailyCheckIn.id).where(
            DailyCheckIn.resident_id == resident_id,
            DailyCheckIn.check_in_date == a.check_in_date,
            DailyCheckIn.deleted_at.is_(None),
        )
    )
    if taken is not None:
        raise Conflict("the resident has checked in that day", field="check_in_date")
    row = DailyCheckIn(
        org_id=session.info["actor"]["org_id"],
        resident_id=resident_id,
        house_id=house_id,
        check_in_date=a.check_in_date,
        checked_in_at=at if a.status is not CheckInStatus.MISSED else None,
        status=a.status,
        method=a.method,
        responses=a.responses or None,
        notes=a.notes,
    )
    session.add(row)
    session.flush()
    return row


def daily(
    session: Session,
    house_id: uuid.UUID,
    on: date | None,
    status: CheckInStatus | None,
    limit: int,
    offset: int,
) -> Page[DailyCheckIn]:
    stmt = select(DailyCheckIn).where(DailyCheckIn.house_id == house_id, DailyCheckIn.deleted_at.is_(None))
    if on is not None:
        stmt = stmt.where(DailyCheckIn.check_in_date == on)
    if status is not None:
        stmt = stmt.where(DailyCheckIn.status == status)
    return page(session, stmt.order_by(DailyCheckIn.check_in_date.desc(), DailyCheckIn.id), limit, offset)


@dataclass(frozen=True)
class Wellness:
    check_in_date: date
    mood_rating: int
    craving_rating: int | None = None
    stress_rating: int | None = None
    sleep_rating: int | None = None
    follow_up_requested: bool = False
    notes: str | None = None


def _check_ranges(w: Wellness) -> None:
    for name, (low, high) in RANGES.items():
        value = getattr(w, name)
        if value is not None and not low <= value <= high:
            raise Rejected(f"{name} must be from {low} to {high}", field=name)


def record_wellness(
    session: Session, resident_id: uuid.UUID, w: Wellness, by: uuid.UUID | None, at: datetime
) -> WellnessCheckIn:
    _check_ranges(w)
    house_id = house_on(session, resident_id, w.check_in_date, field="check_in_date")
    row = WellnessCheckIn(
        org_id=session.info["actor"]["org_id"],
        resident_id=resident_id,
        house_id=house_id,
        check_in_date=w.check_in_date,
        submitted_at=at,
        submitted_by_user_id=by,
        follow_up_requested=w.follow_up_requested,
        mood_rating=w.mood_rating,
        craving_rating=w.craving_rating,
        stress_rating=w.stress_rating,
        sleep_rating=w.sleep_rating,
        notes=w.notes,
    )
    session.add(row)
    session.flush()
    return row


def follow_ups(session: Session, house_id: uuid.UUID, limit: int, offset: int) -> Page[WellnessCheckIn]:
    """Residents who asked to talk and whom nobody has seen yet (no answers in it)."""
    stmt = select(WellnessCheckIn).where(
        WellnessCheckIn.house_id == house_id,
        WellnessCheckIn.deleted_at.is_(None),
        WellnessCheckIn.follow_up_requested.is_(True),
        WellnessCheckIn.reviewed_at.is_(None),
    )
    return page(session, stmt.order_by(WellnessCheckIn.submitted_at, WellnessCheckIn.id), limit, offset)


def review(
    session: Session,
    house_id: uuid.UUID,
    check_in_id: uuid.UUID,
    by: uuid.UUID | None,
    at: datetime,
    notes: str | None,
) -> WellnessCheckIn:
    row = session.get(WellnessCheckIn, check_in_id)
    if row is None or row.deleted_at is not None or row.house_id != house_id:
        raise NotFound("wellness check-in not found", field="check_in_id")
    if row.reviewed_at is None:
        row.reviewed_at, row.reviewed_by_user_id = at, by
        row.staff_notes = notes
        session.flush()
    return row


def resident_wellness(
    session: Session, caller: Caller, resident_id: uuid.UUID, now: datetime, limit: int, offset: int
) -> tuple[Page[WellnessCheckIn], Basis | None]:
    """A resident's wellness check-ins; the caller learns the answers only on a basis."""
    basis = basis_for(session, caller, resident_id, now)
    stmt = select(WellnessCheckIn).where(
        WellnessCheckIn.resident_id == resident_id, WellnessCheckIn.deleted_at.is_(None)
    )
    got = page(session, stmt.order_by(WellnessCheckIn.submitted_at.desc(), WellnessCheckIn.id), limit, offset)
    return got, basis


def answers(row: WellnessCheckIn) -> dict[str, Any]:
    return {name: getattr(row, name) for name in (*RANGES, "notes")}
