"""Meetings: scheduled meetings, attendance (recorded by staff, or self-reported by the resident
and verified by staff), the requirements a resident's phase sets and the weekly check that flags
a shortfall to the house manager.

The phase is a rule, not a field someone must remember to change: a requirement applies to a
resident whose days in residence at the start of the week fall in its window
(`min_days_in_residence` <= days < `max_days_in_residence`), so a resident advances from one
phase's requirements to the next by living there.

Only verified attendance counts: staff recording it verify it as they record it; a resident's
self-report (with a signed slip photo from the file store, where the meeting type asks for
proof) counts once staff confirm it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from core.enums import AdmissionStatus, AttendanceStatus, MeetingKind, Priority, TaskStatus
from core.errors import Conflict, NotFound, Rejected
from core.events import EventType
from models.files import FileUpload
from models.operations import Meeting, MeetingAttendance, Task
from models.operations_extended import MeetingRequirement, MeetingType
from models.orgs import House
from models.residents import Admission
from services import events
from services.paging import Page, page

SHORTFALL_SOURCE = "meeting_shortfall"
SHORTFALLS = uuid.UUID("b1c9f3a2-5e0d-4d7a-8f61-0c2e9a4b7d33")
COUNTED = (AttendanceStatus.PRESENT, AttendanceStatus.LATE)


def _at(d: date) -> datetime:
    return datetime.combine(d, time(0), UTC)


def shortfall_task_id(resident_id: uuid.UUID, week_start: date) -> uuid.UUID:
    """One flag per resident and week, however often the check runs."""
    return uuid.uuid5(SHORTFALLS, f"{resident_id}/{week_start.isoformat()}")


# --- requirements and counting -----------------------------------------------------------------


def requirements(
    session: Session, house_id: uuid.UUID, resident_id: uuid.UUID, week_start: date, days_in: int
) -> list[MeetingRequirement]:
    """The requirements in force for the resident that week: org-wide, the house's and their
    own, within the phase window their days in residence fall in."""
    return list(
        session.scalars(
            select(MeetingRequirement)
            .where(
                MeetingRequirement.deleted_at.is_(None),
                MeetingRequirement.effective_from_date <= week_start,
                or_(
                    MeetingRequirement.effective_until_date.is_(None),
                    MeetingRequirement.effective_until_date >= week_start,
                ),
                or_(MeetingRequirement.house_id.is_(None), MeetingRequirement.house_id == house_id),
                or_(MeetingRequirement.resident_id.is_(None), MeetingRequirement.resident_id == resident_id),
                MeetingRequirement.min_days_in_residence <= days_in,
                or_(
                    MeetingRequirement.max_days_in_residence.is_(None),
                    MeetingRequirement.max_days_in_residence > days_in,
                ),
            )
            .order_by(MeetingRequirement.id)
        )
    )


def _counted(resident_id: uuid.UUID, first: date, days: int) -> Select[Any]:
    return (
        select(func.count(MeetingAttendance.id))
        .select_from(MeetingAttendance)
        .outerjoin(Meeting, Meeting.id == MeetingAttendance.meeting_id)
        .outerjoin(MeetingType, MeetingType.id == Meeting.meeting_type_id)
        .where(
            MeetingAttendance.resident_id == resident_id,
            MeetingAttendance.deleted_at.is_(None),
            MeetingAttendance.status.in_(COUNTED),
            MeetingAttendance.verified_at.is_not(None),
            MeetingAttendance.attended_at >= _at(first),
            MeetingAttendance.attended_at < _at(first + timedelta(days=days)),
        )
    )


def attended(session: Session, req: MeetingRequirement, resident_id: uuid.UUID, first: date) -> int:
    """Verified attendance that meets `req` in its period from `first`: of its meeting type, of
    its kind, or (neither given) any meeting whose type counts toward requirements."""
    stmt = _counted(resident_id, first, req.period_days)
    if req.meeting_type_id is not None:
        stmt = stmt.where(Meeting.meeting_type_id == req.meeting_type_id)
    elif req.kind is not None:
        stmt = stmt.where(func.coalesce(MeetingAttendance.kind, Meeting.kind) == req.kind)
    else:
        stmt = stmt.where(or_(MeetingType.id.is_(None), MeetingType.counts_toward_requirement.is_(True)))
    return session.scalar(stmt) or 0


@dataclass(frozen=True)
class Need:
    requirement_id: uuid.UUID
    required: int
    attended: int

    @property
    def short(self) -> bool:
        return self.attended < self.required


@dataclass(frozen=True)
class WeekCheck:
    resident_id: uuid.UUID
    days_in_residence: int
    needs: list[Need]

    @property
    def short(self) -> bool:
        return any(n.short for n in self.needs)


def whole_week(session: Session, house_id: uuid.UUID, week_start: date) -> list[tuple[uuid.UUID, date]]:
    """(resident, move-in day) of everyone who lived in the house the whole week: a resident who
    moved in or out during it is not held to a full week's meetings."""
    after = _at(week_start + timedelta(days=7))
    rows = session.execute(
        select(Admission.resident_id, func.min(Admission.admitted_at))
        .where(
            Admission.house_id == house_id,
            Admission.status.in_((AdmissionStatus.ACTIVE, AdmissionStatus.COMPLETED)),
            Admission.admitted_at < _at(week_start),
            or_(Admission.ended_at.is_(None), Admission.ended_at >= after),
        )
        .group_by(Admission.resident_id)
        .order_by(Admission.resident_id)
    ).all()
    return [(r, at.date()) for r, at in rows if at is not None]


def check_resident(
    session: Session, house_id: uuid.UUID, resident_id: uuid.UUID, moved_in: date, week_start: date
) -> WeekCheck:
    days_in = (week_start - moved_in).days
    needs = [
        Need(req.id, req.required_count, attended(session, req, resident_id, week_start))
        for req in requirements(session, house_id, resident_id, week_start, days_in)
    ]
    return WeekCheck(resident_id, days_in, needs)


@dataclass(frozen=True)
class HouseCheck:
    week_start: date
    checked: int
    # Residents flagged by this check (a flag already raised for the week is not raised again).
    flagged: list[uuid.UUID]
    house_manager_id: uuid.UUID | None


def check_week(session: Session, house_id: uuid.UUID, week_start: date) -> HouseCheck:
    """The weekly check: every resident who lived in the house the whole week against their
    requirements; a shortfall becomes an open task for the house manager (one per resident and
    week) and an event. The task's wording names no meeting, programme or substance."""
    if week_start.weekday() != 0:
        raise Rejected("a week starts on a Monday", field="week_start")
    house = session.get(House, house_id)
    if house is None:
        raise NotFound("house not found", field="house_id")
    flagged: list[uuid.UUID] = []
    people = whole_week(session, house_id, week_start)
    for resident_id, moved_in in people:
        check = check_resident(session, house_id, resident_id, moved_in, week_start)
        tid = shortfall_task_id(resident_id, week_start)
        if not check.short or session.get(Task, tid) is not None:
            continue
        session.add(
            Task(
                id=tid,
                org_id=house.org_id,
                assigned_to_user_id=house.house_manager_id,
                resident_id=resident_id,
                house_id=house_id,
                status=TaskStatus.OPEN,
                priority=Priority.NORMAL,
                due_at=_at(week_start + timedelta(days=10)),
                source=SHORTFALL_SOURCE,
                title="Weekly attendance below requirement",
                description=f"Week of {week_start.isoformat()}: review with the resident.",
            )
        )
        session.flush()
        events.emit(session, EventType.ATTENDANCE_SHORTFALL, tid, resident_id=resident_id, house_id=house_id)
        flagged.append(resident_id)
    return HouseCheck(week_start, len(people), flagged, house.house_manager_id)


def shortfalls(
    session: Session,
    house_id: uuid.UUID,
    week_start: date | None,
    status: TaskStatus | None,
    limit: int,
    offset: int,
) -> Page[Task]:
    """The house's shortfall flags, newest week first."""
    stmt = select(Task).where(
        Task.house_id == house_id, Task.source == SHORTFALL_SOURCE, Task.deleted_at.is_(None)
    )
    if week_start is not None:
        stmt = stmt.where(Task.due_at == _at(week_start + timedelta(days=10)))
    if status is not None:
        stmt = stmt.where(Task.status == status)
    return page(session, stmt.order_by(Task.due_at.desc(), Task.id), limit, offset)


# --- meetings and attendance (routes) ----------------------------------------------------------


@dataclass(frozen=True)
class NewRequirement:
    required_count: int
    effective_from_date: date
    period_days: int = 7
    meeting_type_id: uuid.UUID | None = None
    kind: MeetingKind | None = None
    min_days_in_residence: int = 0
    max_days_in_residence: int | None = None
    resident_id: uuid.UUID | None = None


def add_requirement(session: Session, house_id: uuid.UUID, new: NewRequirement) -> MeetingRequirement:
    """A requirement of the house (or of one of its residents): a phase window in days since
    move-in, a count per period, of a meeting type, a kind, or any meeting that counts."""
    if new.meeting_type_id is not None:
        get_meeting_type(session, new.meeting_type_id)
    if new.max_days_in_residence is not None and new.max_days_in_residence <= new.min_days_in_residence:
        raise Rejected(
            "max_days_in_residence must be above min_days_in_residence", field="max_days_in_residence"
        )
    if new.resident_id is not None:
        _resident_here(session, house_id, new.resident_id, new.effective_from_date)
    r = MeetingRequirement(org_id=session.info["actor"]["org_id"], house_id=house_id, **vars(new))
    session.add(r)
    session.flush()
    return r


def house_requirements(
    session: Session, house_id: uuid.UUID, limit: int, offset: int
) -> Page[MeetingRequirement]:
    """The org's requirements and the house's own (and its residents')."""
    stmt = select(MeetingRequirement).where(
        MeetingRequirement.deleted_at.is_(None),
        or_(MeetingRequirement.house_id.is_(None), MeetingRequirement.house_id == house_id),
    )
    order = (MeetingRequirement.min_days_in_residence, MeetingRequirement.id)
    return page(session, stmt.order_by(*order), limit, offset)


def meeting_types(session: Session, limit: int, offset: int) -> Page[MeetingType]:
    stmt = select(MeetingType).where(MeetingType.deleted_at.is_(None), MeetingType.is_active.is_(True))
    return page(session, stmt.order_by(MeetingType.name, MeetingType.id), limit, offset)


def get_meeting_type(session: Session, type_id: uuid.UUID) -> MeetingType:
    t = session.get(MeetingType, type_id)
    if t is None or t.deleted_at is not None:
        raise NotFound("meeting type not found", field="meeting_type_id")
    return t


@dataclass(frozen=True)
class NewMeeting:
    meeting_type_id: uuid.UUID
    title: str
    starts_at: datetime
    ends_at: datetime | None = None
    location: str | None = None
    is_mandatory: bool = False


def add_meeting(session: Session, house_id: uuid.UUID, new: NewMeeting, by: uuid.UUID | None) -> Meeting:
    t = get_meeting_type(session, new.meeting_type_id)
    if new.ends_at is not None and new.ends_at <= new.starts_at:
        raise Rejected("ends_at must be after starts_at", field="ends_at")
    m = Meeting(
        org_id=t.org_id,
        house_id=house_id,
        meeting_type_id=t.id,
        kind=t.kind,
        title=new.title,
        starts_at=new.starts_at,
        ends_at=new.ends_at,
        location=new.location,
        is_external=t.kind is not MeetingKind.HOUSE_MEETING,
        is_mandatory=new.is_mandatory,
        facilitator_user_id=by,
    )
    session.add(m)
    session.flush()
    return m


def house_meetings(
    session: Session, house_id: uuid.UUID, first: date | None, last: date | None, limit: int, offset: int
) -> Page[Meeting]:
    if first is not None and last is not None and last < first:
        raise Rejected("to is before from", field="to")
    stmt = select(Meeting).where(Meeting.house_id == house_id, Meeting.deleted_at.is_(None))
    if first is not None:
        stmt = stmt.where(Meeting.starts_at >= _at(first))
    if last is not None:
        stmt = stmt.where(Meeting.starts_at < _at(last + timedelta(days=1)))
    return page(session, stmt.order_by(Meeting.starts_at.desc(), Meeting.id), limit, offset)


def get_meeting(session: Session, house_id: uuid.UUID, meeting_id: uuid.UUID) -> Meeting:
    m = session.get(Meeting, meeting_id)
    if m is None or m.deleted_at is not None or m.house_id != house_id:
        raise NotFound("meeting not found", field="meeting_id")
    return m


def _stays_on(resident_id: uuid.UUID, on: date) -> Select[Any]:
    return select(Admission.house_id).where(
        Admission.resident_id == resident_id,
        Admission.status.in_((AdmissionStatus.ACTIVE, AdmissionStatus.COMPLETED)),
        Admission.admitted_at < _at(on + timedelta(days=1)),
        or_(Admission.ended_at.is_(None), Admission.ended_at >= _at(on)),
    )


def _resident_here(session: Session, house_id: uuid.UUID, resident_id: uuid.UUID, on: date) -> None:
    if session.scalar(_stays_on(resident_id, on).where(Admission.house_id == house_id)) is None:
        raise NotFound("resident not found in this house", field="resident_id")


def house_on(session: Session, resident_id: uuid.UUID, on: date, field: str = "attended_at") -> uuid.UUID:
    """The house the resident lived in on `on`; refused naming `field` when none."""
    house_id = session.scalar(_stays_on(resident_id, on).order_by(Admission.admitted_at.desc()).limit(1))
    if house_id is None:
        raise Rejected("the resident lived in none of the houses that day", field=field)
    return house_id


def _proof(session: Session, proof_file_id: uuid.UUID | None) -> None:
    if proof_file_id is None:
        return
    f = session.get(FileUpload, proof_file_id)
    if f is None or f.deleted_at is not None:
        raise NotFound("proof file not found", field="proof_file_id")


def record_attendance(
    session: Session,
    house_id: uuid.UUID,
    meeting_id: uuid.UUID,
    resident_id: uuid.UUID,
    status: AttendanceStatus,
    by: uuid.UUID | None,
    at: datetime,
) -> MeetingAttendance:
    """Staff take the register of a scheduled meeting: recorded and verified at once. Taking
    it again for the same resident updates the status."""
    m = get_meeting(session, house_id, meeting_id)
    _resident_here(session, house_id, resident_id, m.starts_at.date())
    row = session.scalar(
        select(MeetingAttendance).where(
            MeetingAttendance.meeting_id == m.id,
            MeetingAttendance.resident_id == resident_id,
            MeetingAttendance.deleted_at.is_(None),
        )
    )
    if row is None:
        row = MeetingAttendance(
            org_id=m.org_id, meeting_id=m.id, resident_id=resident_id, attended_at=m.starts_at
        )
        session.add(row)
    row.status = status
    row.verified_by_user_id = by
    row.verified_at = at
    session.flush()
    return row


@dataclass(frozen=True)
class SelfReport:
    resident_id: uuid.UUID
    kind: MeetingKind
    attended_at: datetime
    meeting_name: str | None = None
    proof_file_id: uuid.UUID | None = None


def report_attendance(session: Session, r: SelfReport) -> MeetingAttendance:
    """A resident reports an outside meeting (optionally with a signed slip photo); it counts
    once staff of the house they lived in that day verify it."""
    house_on(session, r.resident_id, r.attended_at.date())
    _proof(session, r.proof_file_id)
    row = MeetingAttendance(
        org_id=session.info["actor"]["org_id"],
        resident_id=r.resident_id,
        kind=r.kind,
        external_meeting_name=r.meeting_name,
        attended_at=r.attended_at,
        status=AttendanceStatus.PRESENT,
        proof_file_id=r.proof_file_id,
    )
    session.add(row)
    session.flush()
    return row


def _attendance_in_house(house_id: uuid.UUID) -> Select[Any]:
    here = select(Admission.resident_id).where(Admission.house_id == house_id)
    return (
        select(MeetingAttendance)
        .outerjoin(Meeting, Meeting.id == MeetingAttendance.meeting_id)
        .where(
            MeetingAttendance.deleted_at.is_(None),
            or_(
                Meeting.house_id == house_id,
                and_(MeetingAttendance.meeting_id.is_(None), MeetingAttendance.resident_id.in_(here)),
            ),
        )
    )


def get_attendance(session: Session, house_id: uuid.UUID, attendance_id: uuid.UUID) -> MeetingAttendance:
    row: MeetingAttendance | None = session.scalar(
        _attendance_in_house(house_id).where(MeetingAttendance.id == attendance_id)
    )
    if row is None:
        raise NotFound("attendance not found", field="attendance_id")
    return row


def verify_attendance(
    session: Session,
    house_id: uuid.UUID,
    attendance_id: uuid.UUID,
    by: uuid.UUID | None,
    at: datetime,
    ok: bool,
) -> MeetingAttendance:
    """Staff confirm a self-report (it counts from then on) or reject it (it never counts)."""
    row = get_attendance(session, house_id, attendance_id)
    if row.verified_at is not None:
        if (row.status in COUNTED) == ok:
            return row
        raise Conflict("this attendance was already checked", field="attendance_id")
    if not ok:
        row.status = AttendanceStatus.ABSENT
    row.verified_by_user_id = by
    row.verified_at = at
    session.flush()
    return row


def attendance(
    session: Session,
    house_id: uuid.UUID,
    resident_id: uuid.UUID | None,
    verified: bool | None,
    limit: int,
    offset: int,
) -> Page[MeetingAttendance]:
    stmt = _attendance_in_house(house_id)
    if resident_id is not None:
        stmt = stmt.where(MeetingAttendance.resident_id == resident_id)
    if verified is not None:
        col = MeetingAttendance.verified_at
        stmt = stmt.where(col.is_not(None) if verified else col.is_(None))
    return page(
        session, stmt.order_by(MeetingAttendance.attended_at.desc(), MeetingAttendance.id), limit, offset
    )
