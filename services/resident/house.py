"""The house part of a resident's home page: this week's chores, meeting progress against their
phase's requirements, their passes, and today's check-ins, read and written through the
house-operations services the staff routes use.

Two kinds of read, kept apart on purpose:
- the resident's own rows (their chore assignments, attendance, passes, check-ins) are read in
  their own session scope (`mine`): PostgreSQL shows them their own rows and nothing else;
- the house's rules those rows are measured against (a chore's name and day, the meeting
  requirements of the house and the org, tonight's curfew) are not visible to a resident's
  scope, and making them visible would also show them housemates' rows (an assignment or an
  attendance row is visible when its chore or meeting is). So `rules` reads them org-wide, for
  the signed-in resident's own id and current house only; the id always comes from the session,
  never from the page.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.enums import AdmissionStatus, ChoreStatus, MeetingKind, PassStatus, PassType, ResidentStatus
from models.operations import Chore, ChoreAssignment, DailyCheckIn, MeetingAttendance, Pass
from models.operations_extended import CurfewCheckIn, MeetingType
from models.residents import Admission, Resident
from services.operations import chores, curfew, meetings

# Shown to a resident, in plain words.
KIND_WORDS = {
    MeetingKind.HOUSE_MEETING: "house meetings",
    MeetingKind.AA: "AA meetings",
    MeetingKind.NA: "NA meetings",
    MeetingKind.SMART_RECOVERY: "SMART Recovery meetings",
    MeetingKind.CELEBRATE_RECOVERY: "Celebrate Recovery meetings",
    MeetingKind.THERAPY: "therapy sessions",
    MeetingKind.OTHER: "other meetings",
}
# The kinds a resident may report themself (a house meeting is on the staff's register).
SELF_REPORT_KINDS = tuple(k for k in MeetingKind if k is not MeetingKind.HOUSE_MEETING)
# A resident asks for these from their phone; longer ones are arranged with staff.
RESIDENT_PASS_TYPES = (PassType.DAY, PassType.OVERNIGHT)
# The newest passes on the home page (each has its own page).
PASSES_SHOWN = 10


@dataclass(frozen=True)
class ChoreRow:
    name: str
    due_date: date
    status: ChoreStatus


@dataclass(frozen=True)
class NeedRow:
    label: str
    required: int
    attended: int


@dataclass(frozen=True)
class PassRow:
    pass_id: uuid.UUID
    pass_type: PassType
    status: PassStatus
    departs_at: datetime
    returns_at: datetime
    destination: str | None
    conditions: str | None = None


@dataclass(frozen=True)
class Mine:
    """The resident's own rows, read in their own scope."""

    living: bool
    assignments: list[tuple[uuid.UUID, date, ChoreStatus]]
    passes: list[PassRow]
    daily_at: datetime | None
    curfew_at: datetime | None
    waiting_reports: int


@dataclass(frozen=True)
class Rules:
    """What the house expects of the resident this week (read org-wide for them only)."""

    chore_names: dict[uuid.UUID, str] = field(default_factory=dict)
    needs: list[NeedRow] = field(default_factory=list)
    curfew_due: datetime | None = None


@dataclass(frozen=True)
class Week:
    living: bool
    today: date
    week_start: date
    zone: ZoneInfo
    chores: list[ChoreRow]
    needs: list[NeedRow]
    waiting_reports: int
    passes: list[PassRow]
    daily_at: datetime | None
    curfew_due: datetime | None
    curfew_at: datetime | None


def _start(d: date) -> datetime:
    return datetime.combine(d, time(0), UTC)


def living(resident: Resident) -> bool:
    return resident.current_house_id is not None and resident.status in (
        ResidentStatus.ACTIVE,
        ResidentStatus.ON_PASS,
    )


def pass_row(p: Pass) -> PassRow:
    return PassRow(p.id, p.pass_type, p.status, p.departs_at, p.returns_at, p.destination, p.conditions)


def mine(session: Session, resident_id: uuid.UUID, now: datetime) -> Mine:
    """In the resident's own scope: every query names them, and PostgreSQL would hide anyone
    else's rows even if one did not."""
    resident = session.get(Resident, resident_id)
    here = resident is not None and living(resident)
    zone = curfew.org_zone(session)
    today = now.astimezone(zone).date()
    week = chores.week_of(today)
    assignments = [
        (a.chore_id, a.due_date, a.status)
        for a in session.scalars(
            select(ChoreAssignment)
            .where(
                ChoreAssignment.resident_id == resident_id,
                ChoreAssignment.deleted_at.is_(None),
                ChoreAssignment.due_date >= week,
                ChoreAssignment.due_date <= week + timedelta(days=6),
            )
            .order_by(ChoreAssignment.due_date, ChoreAssignment.id)
        )
    ]
    passes = [
        pass_row(p)
        for p in session.scalars(
            select(Pass)
            .where(Pass.resident_id == resident_id, Pass.deleted_at.is_(None))
            .order_by(Pass.departs_at.desc(), Pass.id)
            .limit(PASSES_SHOWN)
        )
    ]
    daily_at = session.scalar(
        select(DailyCheckIn.checked_in_at).where(
            DailyCheckIn.resident_id == resident_id,
            DailyCheckIn.check_in_date == today,
            DailyCheckIn.deleted_at.is_(None),
        )
    )
    curfew_at = session.scalar(
        select(CurfewCheckIn.checked_in_at).where(
            CurfewCheckIn.resident_id == resident_id,
            CurfewCheckIn.curfew_date == curfew.night_of(now, zone),
        )
    )
    waiting = session.scalar(
        select(func.count(MeetingAttendance.id)).where(
            MeetingAttendance.resident_id == resident_id,
            MeetingAttendance.deleted_at.is_(None),
            MeetingAttendance.verified_at.is_(None),
            MeetingAttendance.attended_at >= _start(week),
        )
    )
    return Mine(here, assignments, passes, daily_at, curfew_at, waiting or 0)


def _need_label(session: Session, req_type_id: uuid.UUID | None, kind: MeetingKind | None) -> str:
    if req_type_id is not None:
        t = session.get(MeetingType, req_type_id)
        if t is not None and t.kind is not None:
            return KIND_WORDS[t.kind]
        return "meetings"
    if kind is not None:
        return KIND_WORDS[kind]
    return "outside meetings"


def rules(session: Session, resident_id: uuid.UUID, chore_ids: list[uuid.UUID], now: datetime) -> Rules:
    """Org-wide, for the signed-in resident only: the names of their own chores, their meeting
    progress this week (the staff's `check_resident`, so both count the same way) and tonight's
    curfew. Nothing about any other resident is read."""
    resident = session.get(Resident, resident_id)
    if resident is None or not living(resident) or resident.current_house_id is None:
        return Rules()
    house_id = resident.current_house_id
    names = {
        c.id: c.name
        for c in session.scalars(select(Chore).where(Chore.id.in_(chore_ids), Chore.house_id == house_id))
    }
    zone = curfew.org_zone(session)
    week = chores.week_of(now.astimezone(zone).date())
    moved_in = session.scalar(
        select(func.min(Admission.admitted_at)).where(
            Admission.resident_id == resident_id,
            Admission.house_id == house_id,
            Admission.status == AdmissionStatus.ACTIVE,
        )
    )
    # Someone who moved in this week is held to the first phase's requirements.
    first_day = min(moved_in.date() if moved_in else week, week)
    check = meetings.check_resident(session, house_id, resident_id, first_day, week)
    by_id = {
        r.id: r for r in meetings.requirements(session, house_id, resident_id, week, check.days_in_residence)
    }
    needs = [
        NeedRow(
            _need_label(session, by_id[n.requirement_id].meeting_type_id, by_id[n.requirement_id].kind),
            n.required,
            n.attended,
        )
        for n in check.needs
        if n.requirement_id in by_id
    ]
    night = curfew.night_of(now, zone)
    config = curfew.config_for(session, resident, night)
    due = curfew.due_at(config, night, zone) if config is not None else None
    return Rules(names, needs, due)


def week(m: Mine, r: Rules, now: datetime, zone: ZoneInfo) -> Week:
    today = now.astimezone(zone).date()
    rows = [
        ChoreRow(r.chore_names[cid], due, status)
        for cid, due, status in m.assignments
        if cid in r.chore_names
    ]
    return Week(
        m.living,
        today,
        chores.week_of(today),
        zone,
        rows,
        r.needs,
        m.waiting_reports,
        m.passes,
        m.daily_at,
        r.curfew_due,
        m.curfew_at,
    )
