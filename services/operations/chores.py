"""Chores: a house's chores (from chore templates), the weekly rotation over the residents who
live there, staff verification and the misses that count toward the house's consequences.

The rotation is a pure function (`rotate`) over plain data, so its fairness rules read and test
on their own:
- every active weekly chore of the house goes to one resident of the week's roster (who lives
  there on the Monday);
- nobody gets the chore they had last week when someone else can take it;
- the heaviest chores are placed first, each with whoever carries the least load (points over
  the last four weeks plus this week's so far), so load evens out over a month; a newcomer
  starts level with the least-loaded resident rather than at zero, so they are not handed
  every heavy chore in their first week;
- ties break by a hash of (week, chore, resident): deterministic, and not always the same
  resident first.

Mid-week moves leave everyone else's week alone: a move-in joins next week's rotation; a
move-out's open chores are excused for them and handed one by one, by the same rules, to who
still lives there (`mend`). Each step is idempotent by the state it finds (a rotated week is
not rotated again; an excused chore is not handed on twice) and assignment ids are derived
from (chore, resident, due date), so a retried activity writes nothing twice.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session

from core.contracts.operations import Assigned
from core.enums import AdmissionStatus, ChoreFrequency, ChoreStatus
from core.errors import Conflict, NotFound, Rejected
from core.events import EventType
from models.files import FileUpload
from models.operations import Chore, ChoreAssignment
from models.operations_extended import ChoreTemplate
from models.orgs import Organization
from models.residents import Admission
from services import events
from services.paging import Page, page

WEEK = timedelta(days=7)
LOOKBACK_WEEKS = 4
ASSIGNMENTS = uuid.UUID("0b7f8e0e-3c43-4f7e-9d0e-6a3c2f1d5b10")


def week_of(d: date) -> date:
    """The Monday of `d`'s week: rotations run Monday to Sunday."""
    return d - timedelta(days=d.weekday())


def org_today(session: Session, now: datetime) -> date:
    """`now`'s date in the org's timezone: a house's week starts on its own Monday."""
    org = session.get(Organization, session.info["actor"]["org_id"])
    return now.astimezone(ZoneInfo(org.timezone if org is not None else "UTC")).date()


def assignment_id(chore_id: uuid.UUID, resident_id: uuid.UUID, due: date) -> uuid.UUID:
    return uuid.uuid5(ASSIGNMENTS, f"{chore_id}/{resident_id}/{due.isoformat()}")


def due_date(week_start: date, day_of_week: int | None) -> date:
    """A weekly chore is due on its weekday, or on the Sunday when it has none."""
    return week_start + timedelta(days=6 if day_of_week is None else day_of_week)


# --- the rule ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChoreSlot:
    chore_id: uuid.UUID
    points: int


@dataclass
class Ledger:
    """What the rule knows of the weeks before: points per resident over the last four weeks,
    who had which chore last week, and how often each resident had each chore."""

    load: dict[uuid.UUID, int] = field(default_factory=dict)
    last_week: dict[uuid.UUID, set[uuid.UUID]] = field(default_factory=lambda: defaultdict(set))
    times: dict[tuple[uuid.UUID, uuid.UUID], int] = field(default_factory=lambda: defaultdict(int))


def _tiebreak(week_start: date, chore_id: uuid.UUID, resident_id: uuid.UUID) -> bytes:
    return hashlib.sha256(f"{week_start}/{chore_id}/{resident_id}".encode()).digest()


def pick(
    chore: ChoreSlot,
    roster: Sequence[uuid.UUID],
    ledger: Ledger,
    this_week: Mapping[uuid.UUID, int],
    week_start: date,
) -> uuid.UUID:
    """Who takes `chore`: not last week's holder if avoidable, then the least load, then who
    had it least often, then the hash."""
    floor = min((ledger.load[r] for r in roster if r in ledger.load), default=0)

    def key(r: uuid.UUID) -> tuple[bool, int, int, bytes]:
        return (
            r in ledger.last_week[chore.chore_id],
            ledger.load.get(r, floor) + this_week.get(r, 0),
            ledger.times[(chore.chore_id, r)],
            _tiebreak(week_start, chore.chore_id, r),
        )

    return min(roster, key=key)


def rotate(
    chores: Sequence[ChoreSlot], roster: Sequence[uuid.UUID], ledger: Ledger, week_start: date
) -> dict[uuid.UUID, uuid.UUID]:
    """One week's rotation: chore id -> resident id (empty when nobody lives there)."""
    if not roster:
        return {}
    this_week: dict[uuid.UUID, int] = defaultdict(int)
    out: dict[uuid.UUID, uuid.UUID] = {}
    for chore in sorted(chores, key=lambda c: (-c.points, str(c.chore_id))):
        who = pick(chore, roster, ledger, this_week, week_start)
        out[chore.chore_id] = who
        this_week[who] += chore.points
    return out


# --- the house's data --------------------------------------------------------------------------


def _day_start(d: date) -> datetime:
    return datetime.combine(d, datetime.min.time(), UTC)


def living_in(house_id: uuid.UUID, on: date) -> ColumnElement[bool]:
    """An admission to the house that covers `on`: moved in by the end of that day and not
    moved out before the next."""
    end = _day_start(on + timedelta(days=1))
    return and_(
        Admission.house_id == house_id,
        Admission.status.in_((AdmissionStatus.ACTIVE, AdmissionStatus.COMPLETED)),
        Admission.admitted_at < end,
        or_(Admission.ended_at.is_(None), Admission.ended_at >= end),
    )


def roster(session: Session, house_id: uuid.UUID, on: date) -> list[uuid.UUID]:
    """Residents who live in the house on `on`, by id."""
    rows = session.scalars(select(Admission.resident_id).where(living_in(house_id, on)).distinct())
    return sorted(rows, key=str)


def weekly_chores(session: Session, house_id: uuid.UUID) -> list[Chore]:
    return list(
        session.scalars(
            select(Chore)
            .where(
                Chore.house_id == house_id,
                Chore.deleted_at.is_(None),
                Chore.is_active.is_(True),
                Chore.frequency == ChoreFrequency.WEEKLY,
            )
            .order_by(Chore.id)
        )
    )


def _assignments(house_id: uuid.UUID, first: date, last: date) -> Select[Any]:
    return (
        select(ChoreAssignment)
        .join(Chore, Chore.id == ChoreAssignment.chore_id)
        .where(
            Chore.house_id == house_id,
            ChoreAssignment.deleted_at.is_(None),
            ChoreAssignment.due_date >= first,
            ChoreAssignment.due_date <= last,
        )
    )


def week_assignments(session: Session, house_id: uuid.UUID, week_start: date) -> list[ChoreAssignment]:
    """Every assignment of the house's chores due in the week (excused ones too), by id."""
    stmt = _assignments(house_id, week_start, week_start + timedelta(days=6))
    return list(session.scalars(stmt.order_by(ChoreAssignment.id)))


def ledger(session: Session, house_id: uuid.UUID, week_start: date) -> Ledger:
    """The four weeks before `week_start`; an excused chore counts for nobody."""
    first = week_start - LOOKBACK_WEEKS * WEEK
    rows = session.execute(
        _assignments(house_id, first, week_start - timedelta(days=1))
        .where(ChoreAssignment.status != ChoreStatus.EXCUSED)
        .with_only_columns(
            ChoreAssignment.chore_id, ChoreAssignment.resident_id, ChoreAssignment.due_date, Chore.points
        )
    ).all()
    out = Ledger()
    for chore_id, resident_id, due, points in rows:
        out.load[resident_id] = out.load.get(resident_id, 0) + points
        out.times[(chore_id, resident_id)] += 1
        if due >= week_start - WEEK:
            out.last_week[chore_id].add(resident_id)
    return out


@dataclass(frozen=True)
class Rotation:
    week_start: date
    # The week's assignments as the rotation made them (also when it had been made before).
    assigned: list[Assigned]
    created: bool


def _assigned(a: ChoreAssignment) -> Assigned:
    return Assigned(a.id, a.chore_id, a.resident_id, a.due_date)


def _add(session: Session, chore: Chore, resident_id: uuid.UUID, due: date) -> ChoreAssignment:
    a = ChoreAssignment(
        id=assignment_id(chore.id, resident_id, due),
        org_id=chore.org_id,
        chore_id=chore.id,
        resident_id=resident_id,
        due_date=due,
        status=ChoreStatus.ASSIGNED,
    )
    session.add(a)
    return a


def rotate_week(session: Session, house_id: uuid.UUID, week_start: date) -> Rotation:
    """The week's rotation for the house, made once: if the week has assignments already they
    are returned as they are."""
    if week_start.weekday() != 0:
        raise Rejected("a rotation week starts on a Monday", field="week_start")
    week_end = week_start + timedelta(days=6)
    made = list(session.scalars(_assignments(house_id, week_start, week_end).order_by(ChoreAssignment.id)))
    if made:
        return Rotation(week_start, [_assigned(a) for a in made], False)
    chores = weekly_chores(session, house_id)
    by_id = {c.id: c for c in chores}
    plan = rotate(
        [ChoreSlot(c.id, c.points) for c in chores],
        roster(session, house_id, week_start),
        ledger(session, house_id, week_start),
        week_start,
    )
    rows = [
        _add(session, by_id[cid], rid, due_date(week_start, by_id[cid].day_of_week))
        for cid, rid in plan.items()
    ]
    session.flush()
    if rows:
        events.emit(
            session,
            EventType.CHORES_ROTATED,
            house_id,
            occurrence=week_start.isoformat(),
            house_id=house_id,
            assignments=len(rows),
        )
    return Rotation(
        week_start, sorted((_assigned(a) for a in rows), key=lambda a: str(a.assignment_id)), True
    )


def mend(session: Session, house_id: uuid.UUID, week_start: date, on: date) -> list[Assigned]:
    """Chores still open from `on` to the week's end whose resident no longer lives in the
    house: excused for them, handed on by the rotation's rule to who lives there on `on`.
    Everyone else's week stays as it was. Returns the new assignments."""
    week_end = week_start + timedelta(days=6)
    present = set(roster(session, house_id, on))
    open_ = [
        a
        for a in session.scalars(
            _assignments(house_id, max(on, week_start), week_end)
            .where(ChoreAssignment.status == ChoreStatus.ASSIGNED)
            .order_by(ChoreAssignment.due_date, ChoreAssignment.id)
            .with_for_update(of=ChoreAssignment)
        )
        if a.resident_id not in present
    ]
    if not open_ or not present:
        return []
    book = ledger(session, house_id, week_start)
    this_week: dict[uuid.UUID, int] = defaultdict(int)
    for a in session.scalars(
        _assignments(house_id, week_start, week_end).where(ChoreAssignment.status != ChoreStatus.EXCUSED)
    ):
        this_week[a.resident_id] += a.chore.points
    staying = sorted(present, key=str)
    out = []
    for a in open_:
        a.status = ChoreStatus.EXCUSED
        this_week[a.resident_id] -= a.chore.points
        who = pick(ChoreSlot(a.chore_id, a.chore.points), staying, book, this_week, week_start)
        this_week[who] += a.chore.points
        out.append(_assigned(_add(session, a.chore, who, a.due_date)))
    session.flush()
    return out


def close_week(session: Session, house_id: uuid.UUID, week_start: date) -> list[Assigned]:
    """After the week: every chore still only assigned is missed (one event each). Returns the
    misses; closing again finds none."""
    missed = list(
        session.scalars(
            _assignments(house_id, week_start, week_start + timedelta(days=6))
            .where(ChoreAssignment.status == ChoreStatus.ASSIGNED)
            .order_by(ChoreAssignment.id)
            .with_for_update(of=ChoreAssignment)
        )
    )
    for a in missed:
        a.status = ChoreStatus.MISSED
    session.flush()
    if missed:
        events.emit_many(
            session,
            EventType.CHORE_MISSED,
            [events.Subject(a.id, a.resident_id, house_id) for a in missed],
        )
    return [_assigned(a) for a in missed]


# --- chores, templates and verification (routes) -----------------------------------------------


def templates(session: Session, house_id: uuid.UUID | None, limit: int, offset: int) -> Page[ChoreTemplate]:
    """The org's templates and, with `house_id`, that house's own."""
    stmt = select(ChoreTemplate).where(ChoreTemplate.deleted_at.is_(None))
    scope: ColumnElement[bool] = ChoreTemplate.house_id.is_(None)
    if house_id is not None:
        scope = or_(scope, ChoreTemplate.house_id == house_id)
    return page(session, stmt.where(scope).order_by(ChoreTemplate.name, ChoreTemplate.id), limit, offset)


@dataclass(frozen=True)
class NewTemplate:
    name: str
    area: str | None = None
    description: str | None = None
    default_points: int = 1
    estimated_minutes: int | None = None
    checklist: list[str] = field(default_factory=list)


def add_template(session: Session, house_id: uuid.UUID, new: NewTemplate) -> ChoreTemplate:
    t = ChoreTemplate(
        org_id=session.info["actor"]["org_id"],
        house_id=house_id,
        name=new.name,
        area=new.area,
        description=new.description,
        frequency=ChoreFrequency.WEEKLY,
        default_points=new.default_points,
        estimated_minutes=new.estimated_minutes,
        checklist=new.checklist,
    )
    session.add(t)
    session.flush()
    return t


def get_template(session: Session, template_id: uuid.UUID, house_id: uuid.UUID) -> ChoreTemplate:
    t = session.get(ChoreTemplate, template_id)
    if t is None or t.deleted_at is not None or t.house_id not in (None, house_id):
        raise NotFound("chore template not found", field="template_id")
    return t


def add_chore(
    session: Session, house_id: uuid.UUID, template_id: uuid.UUID, day_of_week: int | None
) -> Chore:
    """A weekly chore of the house made from a template (the org's or the house's own)."""
    t = get_template(session, template_id, house_id)
    taken = session.scalar(
        select(Chore.id).where(Chore.house_id == house_id, Chore.name == t.name, Chore.deleted_at.is_(None))
    )
    if taken is not None:
        raise Conflict("the house already has a chore of this name", field="template_id")
    c = Chore(
        org_id=t.org_id,
        house_id=house_id,
        template_id=t.id,
        name=t.name,
        description=t.description,
        area=t.area,
        frequency=ChoreFrequency.WEEKLY,
        day_of_week=day_of_week,
        points=t.default_points,
        estimated_minutes=t.estimated_minutes,
    )
    session.add(c)
    session.flush()
    return c


def house_chores(session: Session, house_id: uuid.UUID, limit: int, offset: int) -> Page[Chore]:
    stmt = select(Chore).where(Chore.house_id == house_id, Chore.deleted_at.is_(None))
    return page(session, stmt.order_by(Chore.name, Chore.id), limit, offset)


@dataclass(frozen=True)
class AssignmentFilter:
    house_id: uuid.UUID
    resident_id: uuid.UUID | None = None
    status: ChoreStatus | None = None
    first: date | None = None
    last: date | None = None


def assignments(session: Session, f: AssignmentFilter, limit: int, offset: int) -> Page[ChoreAssignment]:
    if f.first is not None and f.last is not None and f.last < f.first:
        raise Rejected("due_to is before due_from", field="due_to")
    stmt = _assignments(f.house_id, f.first or date.min, f.last or date.max)
    if f.resident_id is not None:
        stmt = stmt.where(ChoreAssignment.resident_id == f.resident_id)
    if f.status is not None:
        stmt = stmt.where(ChoreAssignment.status == f.status)
    return page(session, stmt.order_by(ChoreAssignment.due_date, ChoreAssignment.id), limit, offset)


def get_assignment(session: Session, house_id: uuid.UUID, assignment_id: uuid.UUID) -> ChoreAssignment:
    a = session.get(ChoreAssignment, assignment_id)
    if a is None or a.deleted_at is not None or a.chore.house_id != house_id:
        raise NotFound("chore assignment not found", field="assignment_id")
    return a


def verify(
    session: Session,
    house_id: uuid.UUID,
    assignment_id: uuid.UUID,
    by: uuid.UUID | None,
    at: datetime,
    done: bool,
    photo_file_id: uuid.UUID | None,
) -> ChoreAssignment:
    """Staff check a chore: done (verified, with an optional photo from the file store) or not
    done (missed). Checking it the same way again changes nothing; the other way is a Conflict."""
    a = get_assignment(session, house_id, assignment_id)
    wanted = ChoreStatus.VERIFIED if done else ChoreStatus.MISSED
    if a.status is wanted:
        return a
    if a.status not in (ChoreStatus.ASSIGNED, ChoreStatus.COMPLETED):
        raise Conflict(f"the chore is already {a.status.value}", field="status")
    if photo_file_id is not None:
        f = session.get(FileUpload, photo_file_id)
        if f is None or f.deleted_at is not None:
            raise NotFound("photo not found", field="photo_file_id")
        a.photo_file_id = photo_file_id
    a.status = wanted
    if done:
        a.completed_at = a.completed_at or at
        a.verified_at = at
        a.verified_by_user_id = by
    session.flush()
    if not done:
        events.emit(session, EventType.CHORE_MISSED, a.id, resident_id=a.resident_id, house_id=house_id)
    return a


@dataclass(frozen=True)
class Misses:
    resident_id: uuid.UUID
    missed: int


def misses(session: Session, house_id: uuid.UUID, first: date, last: date) -> list[Misses]:
    """Missed chores per resident from `first` to `last`: what the house's consequences count."""
    if last < first:
        raise Rejected("to is before from", field="to")
    rows = session.execute(
        select(ChoreAssignment.resident_id, func.count())
        .join(Chore, Chore.id == ChoreAssignment.chore_id)
        .where(
            and_(
                Chore.house_id == house_id,
                ChoreAssignment.deleted_at.is_(None),
                ChoreAssignment.status == ChoreStatus.MISSED,
                ChoreAssignment.due_date >= first,
                ChoreAssignment.due_date <= last,
            )
        )
        .group_by(ChoreAssignment.resident_id)
        .order_by(func.count().desc(), ChoreAssignment.resident_id)
    ).all()
    return [Misses(r, n) for r, n in rows]
