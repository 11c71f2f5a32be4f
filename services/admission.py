"""The resident journey in the database: application, placement in a bed, move-in, transfers
and discharge. Plain functions over a tenant Session, shared by the admission activities, the
API and the seed.

Every write takes the id of the row it creates from its caller (the workflow), so a retried
activity finds its own earlier write and returns it. A bed is held by a `bed_occupancies`
date range; PostgreSQL's exclusion constraint refuses an overlapping one, which is what makes
double booking impossible under any concurrency.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from enum import StrEnum

from sqlalchemy import func, or_, select
from sqlalchemy.dialects.postgresql import Range
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.enums import (
    AdmissionStatus,
    BedStatus,
    DischargeReason,
    HouseGender,
    LeadStatus,
    ResidentStatus,
    WaitlistStatus,
)
from core.errors import Conflict, NotFound, Rejected
from models.orgs import House
from models.resident_tracking import (
    BedOccupancy,
    BedTransfer,
    Discharge,
    ResidentStatusHistory,
    WaitlistEntry,
)
from models.residents import Admission, Lead, Resident
from services.housing import BedPlace, bed_place, get_house, open_range
from services.paging import Page, matching, ordered, page, within

EXCLUSION_VIOLATION = "23P01"
# A resident may start a new application only from these statuses (readmission).
READMITTABLE = {ResidentStatus.DISCHARGED, ResidentStatus.ALUMNI}
OPEN_ADMISSION = (AdmissionStatus.PENDING, AdmissionStatus.ACTIVE)


class DischargeKind(StrEnum):
    PLANNED = "planned"
    VOLUNTARY = "voluntary"
    ADMINISTRATIVE = "administrative"
    LEFT_WITHOUT_NOTICE = "left_without_notice"


# The reporting category each kind records; an administrative discharge names its own.
KIND_REASON = {
    DischargeKind.PLANNED: DischargeReason.COMPLETED_PROGRAM,
    DischargeKind.VOLUNTARY: DischargeReason.VOLUNTARY,
    DischargeKind.LEFT_WITHOUT_NOTICE: DischargeReason.OTHER,
}
ADMINISTRATIVE_REASONS = frozenset(DischargeReason) - {
    DischargeReason.COMPLETED_PROGRAM,
    DischargeReason.VOLUNTARY,
}


@dataclass(frozen=True)
class Application:
    """What staff decide when a person applies: who (an approved lead, or a former resident
    coming back), which house, and the agreed terms in integer cents."""

    house_id: uuid.UUID
    weekly_rate_cents: int
    deposit_cents: int = 0
    lead_id: uuid.UUID | None = None
    resident_id: uuid.UUID | None = None
    expected_length_days: int | None = None


@dataclass(frozen=True)
class Opened:
    admission_id: uuid.UUID
    resident_id: uuid.UUID
    house_id: uuid.UUID
    readmission: bool


@dataclass(frozen=True)
class Placed:
    admission_id: uuid.UUID
    bed_id: uuid.UUID
    house_id: uuid.UUID
    move_in_date: date
    active: bool


@dataclass(frozen=True)
class Transferred:
    transfer_id: uuid.UUID
    from_bed_id: uuid.UUID
    to_bed_id: uuid.UUID
    effective_date: date
    completed: bool


@dataclass(frozen=True)
class Discharged:
    discharge_id: uuid.UUID
    admission_id: uuid.UUID
    resident_id: uuid.UUID
    bed_id: uuid.UUID
    house_id: uuid.UUID
    discharged_on: date
    weekly_rate_cents: int
    deposit_cents: int


def day_start(d: date) -> datetime:
    return datetime.combine(d, time(0), tzinfo=UTC)


def record_status(
    session: Session,
    resident: Resident,
    to: ResidentStatus,
    *,
    admission_id: uuid.UUID | None,
    by: uuid.UUID | None,
    source: str,
    reason: str | None = None,
) -> None:
    """Change a resident's status and append the change to resident_status_history."""
    if resident.status is to:
        return
    session.add(
        ResidentStatusHistory(
            org_id=resident.org_id,
            resident_id=resident.id,
            admission_id=admission_id,
            from_status=resident.status,
            to_status=to,
            changed_by=by,
            source=source,
            reason=reason,
        )
    )
    resident.status = to


def check_application(session: Session, app: Application) -> None:
    """Refuse an application that cannot open, naming the field, before any process starts."""
    if (app.lead_id is None) == (app.resident_id is None):
        raise Rejected("give exactly one of lead_id or resident_id", field="lead_id")
    get_house(session, app.house_id)
    if app.lead_id is not None:
        lead = session.get(Lead, app.lead_id)
        if lead is None:
            raise NotFound("lead not found", field="lead_id")
        if lead.status is LeadStatus.CONVERTED:
            raise Conflict("this lead already has an application; readmit its resident", field="lead_id")
        if lead.status is not LeadStatus.APPROVED:
            raise Rejected(f"the lead is {lead.status.value}, not approved", field="lead_id")
    else:
        assert app.resident_id is not None
        status = session.scalar(select(Resident.status).where(Resident.id == app.resident_id))
        if status is None:
            raise NotFound("resident not found", field="resident_id")
        if status not in READMITTABLE:
            raise Conflict(
                f"the resident is {status.value}; only a former resident is readmitted", field="resident_id"
            )


def open_application(
    session: Session,
    admission_id: uuid.UUID,
    new_resident_id: uuid.UUID,
    app: Application,
    at: datetime,
    *,
    by: uuid.UUID | None,
    source: str,
) -> Opened:
    """The pending admission, and the resident it is for: made from the approved lead, or the
    former resident's own record on readmission. Idempotent on `admission_id`."""
    done = session.get(Admission, admission_id)
    if done is not None:
        return Opened(done.id, done.resident_id, done.house_id, readmission=done.lead_id is None)
    check_application(session, app)
    org_id = session.info["actor"]["org_id"]
    if app.lead_id is not None:
        lead = session.get(Lead, app.lead_id)
        assert lead is not None
        resident = Resident(
            id=new_resident_id,
            org_id=org_id,
            first_name=lead.first_name,
            last_name=lead.last_name or "",
            email=lead.email,
            phone=lead.phone,
            date_of_birth=lead.date_of_birth,
            primary_substance=lead.primary_substance,
            housing_gender=lead.housing_gender,
            status=ResidentStatus.APPLICANT,
        )
        session.add(resident)
        session.flush()
        session.add(
            ResidentStatusHistory(
                org_id=org_id,
                resident_id=resident.id,
                from_status=None,
                to_status=ResidentStatus.APPLICANT,
                changed_by=by,
                source=source,
            )
        )
        lead.status = LeadStatus.CONVERTED
        lead.converted_resident_id = resident.id
        lead.converted_at = at
    else:
        found = session.get(Resident, app.resident_id)
        assert found is not None
        resident = found
    admission = Admission(
        id=admission_id,
        org_id=org_id,
        resident_id=resident.id,
        house_id=app.house_id,
        lead_id=app.lead_id,
        status=AdmissionStatus.PENDING,
        weekly_rate_cents=app.weekly_rate_cents,
        deposit_cents=app.deposit_cents,
        expected_length_days=app.expected_length_days,
        intake_by_user_id=by,
    )
    session.add(admission)
    session.flush()
    record_status(
        session, resident, ResidentStatus.APPLICANT, admission_id=admission_id, by=by, source=source
    )
    return Opened(admission_id, resident.id, app.house_id, readmission=app.lead_id is None)


def get_admission(session: Session, admission_id: uuid.UUID) -> Admission:
    admission = session.get(Admission, admission_id)
    if admission is None:
        raise NotFound("admission not found", field="admission_id")
    return admission


def _hold(
    session: Session, occupancy_id: uuid.UUID, place: BedPlace, admission: Admission, start: date
) -> None:
    """Hold the bed from `start` on; a collision is a Conflict naming the bed, and leaves this
    transaction's earlier writes to the caller's rollback."""
    if place.status is BedStatus.OUT_OF_SERVICE:
        raise Conflict(f"bed {place.label} is out of service", field="bed_id")
    try:
        with session.begin_nested():
            session.add(
                BedOccupancy(
                    id=occupancy_id,
                    org_id=admission.org_id,
                    bed_id=place.bed_id,
                    resident_id=admission.resident_id,
                    admission_id=admission.id,
                    during=open_range(start),
                )
            )
    except IntegrityError as exc:
        if getattr(exc.orig, "sqlstate", None) == EXCLUSION_VIOLATION:
            raise Conflict(
                f"bed {place.label} is occupied", field="bed_id", bed_id=str(place.bed_id)
            ) from None
        raise


def _fits_house(session: Session, admission: Admission, place: BedPlace, field: str) -> None:
    """The house rule placement and transfers share: a men's or women's house takes only
    residents who need that housing (a coed house, or a resident whose need is not recorded,
    fits anywhere). A Conflict names the rule and the bed."""
    need = session.scalar(select(Resident.housing_gender).where(Resident.id == admission.resident_id))
    if place.gender is HouseGender.COED or need is None or need is place.gender:
        return
    raise Conflict(
        f"bed {place.label} is in a {place.gender.value} house; this resident needs {need.value} housing",
        field=field,
        rule="house_gender",
        bed_id=str(place.bed_id),
    )


def record_stay(
    session: Session, occupancy_id: uuid.UUID, admission: Admission, start: date, end: date | None
) -> BedOccupancy:
    """A stay recorded after the fact (imports, the demo seed): the admission's bed held from
    `start` until `end` (None: still there). Idempotent on `occupancy_id`."""
    done = session.get(BedOccupancy, occupancy_id)
    if done is not None:
        return done
    assert admission.bed_id is not None
    stay = BedOccupancy(
        id=occupancy_id,
        org_id=admission.org_id,
        bed_id=admission.bed_id,
        resident_id=admission.resident_id,
        admission_id=admission.id,
        during=Range(start, end, bounds="[)"),
    )
    session.add(stay)
    session.flush()
    return stay


def _move_in(session: Session, admission: Admission, at: datetime, by: uuid.UUID | None, source: str) -> None:
    resident = session.get(Resident, admission.resident_id)
    assert resident is not None and admission.bed_id is not None
    admission.status = AdmissionStatus.ACTIVE
    admission.admitted_at = at
    resident.current_bed_id = admission.bed_id
    resident.current_house_id = admission.house_id
    resident.move_in_date = admission.scheduled_move_in_date
    resident.move_out_date = None
    record_status(session, resident, ResidentStatus.ACTIVE, admission_id=admission.id, by=by, source=source)


def place(
    session: Session,
    occupancy_id: uuid.UUID,
    admission_id: uuid.UUID,
    bed_id: uuid.UUID,
    move_in: date,
    at: datetime,
    *,
    by: uuid.UUID | None,
    source: str,
) -> Placed:
    """Give a pending admission its bed from `move_in`: moved in now when that day has come,
    reserved until then otherwise. Idempotent on `occupancy_id`."""
    admission = get_admission(session, admission_id)
    if session.get(BedOccupancy, occupancy_id) is not None:
        assert admission.bed_id is not None and admission.scheduled_move_in_date is not None
        return Placed(
            admission.id,
            admission.bed_id,
            admission.house_id,
            admission.scheduled_move_in_date,
            admission.status is AdmissionStatus.ACTIVE,
        )
    if admission.status is not AdmissionStatus.PENDING or admission.bed_id is not None:
        raise Conflict("this admission already has a bed", field="admission_id")
    if move_in < at.date():
        raise Rejected("move_in_date is in the past", field="move_in_date")
    place_ = bed_place(session, bed_id)
    _fits_house(session, admission, place_, "bed_id")
    _hold(session, occupancy_id, place_, admission, move_in)
    admission.bed_id = place_.bed_id
    admission.house_id = place_.house_id
    admission.scheduled_move_in_date = move_in
    resident = session.get(Resident, admission.resident_id)
    assert resident is not None
    for entry in session.scalars(
        select(WaitlistEntry).where(
            WaitlistEntry.admission_id == admission.id,
            WaitlistEntry.status.in_((WaitlistStatus.WAITING, WaitlistStatus.OFFERED)),
        )
    ):
        entry.status = WaitlistStatus.PLACED
        entry.placed_at = at
    active = move_in <= at.date()
    session.flush()
    if active:
        _move_in(session, admission, at, by, source)
    else:
        record_status(
            session, resident, ResidentStatus.ADMITTED, admission_id=admission.id, by=by, source=source
        )
    return Placed(admission.id, place_.bed_id, place_.house_id, move_in, active)


def move_in(
    session: Session, admission_id: uuid.UUID, at: datetime, *, by: uuid.UUID | None, source: str
) -> None:
    """A reservation's day has come. Idempotent: an active admission is left as it is."""
    admission = get_admission(session, admission_id)
    if admission.status is AdmissionStatus.PENDING and admission.bed_id is not None:
        _move_in(session, admission, at, by, source)


def _current_hold(session: Session, admission_id: uuid.UUID) -> BedOccupancy:
    hold = session.scalar(
        select(BedOccupancy)
        .where(BedOccupancy.admission_id == admission_id, func.upper_inf(BedOccupancy.during))
        .with_for_update()
    )
    if hold is None:
        raise Conflict("this admission holds no bed", field="admission_id")
    return hold


def _close(hold: BedOccupancy, on: date) -> None:
    lower = hold.during.lower
    assert lower is not None
    # Ending before the stay began (a cancelled reservation) leaves an empty range: it holds nothing.
    hold.during = Range(lower, max(lower, on), bounds="[)")


def transfer(
    session: Session,
    transfer_id: uuid.UUID,
    occupancy_id: uuid.UUID,
    admission_id: uuid.UUID,
    to_bed_id: uuid.UUID,
    effective: date,
    at: datetime,
    reason: str | None,
    *,
    by: uuid.UUID | None,
) -> Transferred:
    """Move an active resident to another bed from `effective` on: the old stay ends that day,
    the new one begins; the move completes now or on that day. Idempotent on `transfer_id`."""
    done = session.get(BedTransfer, transfer_id)
    if done is not None:
        return Transferred(
            done.id, done.from_bed_id, done.to_bed_id, done.effective_at.date(), done.completed_at is not None
        )
    admission = get_admission(session, admission_id)
    if admission.status is not AdmissionStatus.ACTIVE or admission.bed_id is None:
        raise Conflict("only an active resident is transferred", field="admission_id")
    if effective < at.date():
        raise Rejected("effective_date is in the past", field="effective_date")
    if to_bed_id == admission.bed_id:
        raise Rejected("the resident is already in that bed", field="to_bed_id")
    target = bed_place(session, to_bed_id, "to_bed_id")
    _fits_house(session, admission, target, "to_bed_id")
    hold = _current_hold(session, admission.id)
    from_bed, from_house = admission.bed_id, admission.house_id
    _close(hold, effective)
    session.flush()
    _hold(session, occupancy_id, target, admission, effective)
    row = BedTransfer(
        id=transfer_id,
        org_id=admission.org_id,
        resident_id=admission.resident_id,
        admission_id=admission.id,
        from_bed_id=from_bed,
        to_bed_id=target.bed_id,
        from_house_id=from_house,
        to_house_id=target.house_id,
        effective_at=day_start(effective),
        requested_by_user_id=by,
        reason=reason,
    )
    session.add(row)
    session.flush()
    completed = effective <= at.date()
    if completed:
        complete_transfer(session, transfer_id, at)
    return Transferred(transfer_id, from_bed, target.bed_id, effective, completed)


def complete_transfer(session: Session, transfer_id: uuid.UUID, at: datetime) -> None:
    row = session.get(BedTransfer, transfer_id)
    if row is None:
        raise NotFound("transfer not found", field="transfer_id")
    if row.completed_at is not None or row.cancelled_at is not None:
        return
    admission = get_admission(session, row.admission_id)
    resident = session.get(Resident, row.resident_id)
    assert resident is not None
    row.completed_at = at
    admission.bed_id = row.to_bed_id
    admission.house_id = row.to_house_id
    # Clear first: the old and new current beds are both unique among residents.
    resident.current_bed_id = None
    session.flush()
    resident.current_bed_id = row.to_bed_id
    resident.current_house_id = row.to_house_id


def discharge(
    session: Session,
    discharge_id: uuid.UUID,
    admission_id: uuid.UUID,
    kind: DischargeKind,
    reason: DischargeReason,
    on: date,
    at: datetime,
    details: str | None,
    *,
    by: uuid.UUID | None,
    source: str,
) -> Discharged:
    """End an active stay on `on`: the bed is free from that day, the resident discharged, and
    any future transfer of this stay cancelled. Idempotent on `discharge_id`."""
    admission = get_admission(session, admission_id)
    done = session.get(Discharge, discharge_id)
    if done is not None:
        return _discharged(done, admission)
    if admission.status is not AdmissionStatus.ACTIVE or admission.bed_id is None:
        raise Conflict("there is no active residency to discharge", field="admission_id")
    assert admission.admitted_at is not None
    if on < admission.admitted_at.date():
        raise Rejected("date is before the move-in", field="date")
    resident = session.get(Resident, admission.resident_id)
    assert resident is not None
    for hold in session.scalars(
        select(BedOccupancy).where(BedOccupancy.admission_id == admission.id).with_for_update()
    ):
        if hold.during.isempty:
            continue  # a stay that never began (a transfer on its first day) holds nothing
        if hold.during.upper is None or hold.during.upper > on:
            _close(hold, on)
    for pending in session.scalars(
        select(BedTransfer).where(
            BedTransfer.admission_id == admission.id,
            BedTransfer.completed_at.is_(None),
            BedTransfer.cancelled_at.is_(None),
        )
    ):
        pending.cancelled_at = at
    bed_id, house_id = admission.bed_id, admission.house_id
    row = Discharge(
        id=discharge_id,
        org_id=admission.org_id,
        resident_id=resident.id,
        admission_id=admission.id,
        house_id=house_id,
        bed_id=bed_id,
        # The day it took effect; the moment, when that day is today.
        discharged_at=at if on == at.date() else day_start(on),
        reason=reason,
        kind=kind.value,
        is_planned=kind is DischargeKind.PLANNED,
        discharged_by_user_id=by,
        reason_details=details,
    )
    session.add(row)
    admission.status = AdmissionStatus.COMPLETED
    admission.ended_at = max(at, admission.admitted_at)
    resident.current_bed_id = None
    resident.current_house_id = None
    resident.move_out_date = on
    record_status(
        session,
        resident,
        ResidentStatus.DISCHARGED,
        admission_id=admission.id,
        by=by,
        source=source,
        reason=kind.value,
    )
    session.flush()
    return _discharged(row, admission)


def _discharged(row: Discharge, admission: Admission) -> Discharged:
    assert row.bed_id is not None and admission.resident_id is not None
    return Discharged(
        discharge_id=row.id,
        admission_id=admission.id,
        resident_id=admission.resident_id,
        bed_id=row.bed_id,
        house_id=row.house_id,
        discharged_on=row.discharged_at.date(),
        weekly_rate_cents=admission.weekly_rate_cents,
        deposit_cents=admission.deposit_cents,
    )


def status_history(session: Session, resident_id: uuid.UUID) -> list[ResidentStatusHistory]:
    return list(
        session.scalars(
            select(ResidentStatusHistory)
            .where(ResidentStatusHistory.resident_id == resident_id)
            .order_by(ResidentStatusHistory.occurred_at)
        )
    )


# --- reads for the journey's list routes ------------------------------------------------------
# Row-level security applies the caller's scope (migration 0011): a house manager's session
# sees only their houses' rows, a resident's only their own, whatever the filters say.


class ResidentSort(StrEnum):
    CREATED_AT = "created_at"
    CREATED_AT_DESC = "-created_at"
    MOVE_IN_DATE = "move_in_date"
    MOVE_IN_DATE_DESC = "-move_in_date"
    RESIDENT_NUMBER = "resident_number"
    RESIDENT_NUMBER_DESC = "-resident_number"
    STATUS = "status"
    STATUS_DESC = "-status"


_RESIDENT_SORT = {
    "created_at": Resident.created_at,
    "move_in_date": Resident.move_in_date,
    "resident_number": Resident.resident_number,
    "status": Resident.status,
}


@dataclass(frozen=True)
class ResidentFilter:
    status: ResidentStatus | None = None
    house_id: uuid.UUID | None = None
    property_id: uuid.UUID | None = None
    housing_gender: HouseGender | None = None


def list_residents(
    session: Session,
    f: ResidentFilter,
    sort: ResidentSort = ResidentSort.CREATED_AT_DESC,
    limit: int = 50,
    offset: int = 0,
) -> Page[Resident]:
    stmt = matching(
        select(Resident),
        (Resident.status, f.status),
        (Resident.current_house_id, f.house_id),
        (Resident.housing_gender, f.housing_gender),
    )
    if f.property_id is not None:
        stmt = stmt.where(
            Resident.current_house_id.in_(select(House.id).where(House.property_id == f.property_id))
        )
    return page(session, ordered(stmt, sort, _RESIDENT_SORT, Resident.id), limit, offset)


class TransferState(StrEnum):
    PENDING = "pending"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class TransferSort(StrEnum):
    EFFECTIVE_AT = "effective_at"
    EFFECTIVE_AT_DESC = "-effective_at"
    CREATED_AT = "created_at"
    CREATED_AT_DESC = "-created_at"


_TRANSFER_SORT = {"effective_at": BedTransfer.effective_at, "created_at": BedTransfer.created_at}


@dataclass(frozen=True)
class TransferFilter:
    resident_id: uuid.UUID | None = None
    admission_id: uuid.UUID | None = None
    house_id: uuid.UUID | None = None
    state: TransferState | None = None
    effective_from: date | None = None
    effective_to: date | None = None


def list_transfers(
    session: Session,
    f: TransferFilter,
    sort: TransferSort = TransferSort.EFFECTIVE_AT_DESC,
    limit: int = 50,
    offset: int = 0,
) -> Page[BedTransfer]:
    stmt = matching(
        select(BedTransfer),
        (BedTransfer.resident_id, f.resident_id),
        (BedTransfer.admission_id, f.admission_id),
    )
    if f.house_id is not None:
        stmt = stmt.where(or_(BedTransfer.from_house_id == f.house_id, BedTransfer.to_house_id == f.house_id))
    if f.state is TransferState.PENDING:
        stmt = stmt.where(BedTransfer.completed_at.is_(None), BedTransfer.cancelled_at.is_(None))
    elif f.state is TransferState.COMPLETED:
        stmt = stmt.where(BedTransfer.completed_at.is_not(None))
    elif f.state is TransferState.CANCELLED:
        stmt = stmt.where(BedTransfer.cancelled_at.is_not(None))
    stmt = within(stmt, BedTransfer.effective_at, f.effective_from, f.effective_to, "effective_to")
    return page(session, ordered(stmt, sort, _TRANSFER_SORT, BedTransfer.id), limit, offset)


class DischargeSort(StrEnum):
    DISCHARGED_AT = "discharged_at"
    DISCHARGED_AT_DESC = "-discharged_at"


_DISCHARGE_SORT = {"discharged_at": Discharge.discharged_at}


@dataclass(frozen=True)
class DischargeFilter:
    resident_id: uuid.UUID | None = None
    house_id: uuid.UUID | None = None
    reason: DischargeReason | None = None
    kind: DischargeKind | None = None
    discharged_from: date | None = None
    discharged_to: date | None = None


def list_discharges(
    session: Session,
    f: DischargeFilter,
    sort: DischargeSort = DischargeSort.DISCHARGED_AT_DESC,
    limit: int = 50,
    offset: int = 0,
) -> Page[Discharge]:
    stmt = matching(
        select(Discharge),
        (Discharge.resident_id, f.resident_id),
        (Discharge.house_id, f.house_id),
        (Discharge.reason, f.reason),
        (Discharge.kind, f.kind.value if f.kind else None),
    )
    stmt = within(stmt, Discharge.discharged_at, f.discharged_from, f.discharged_to, "discharged_to")
    return page(session, ordered(stmt, sort, _DISCHARGE_SORT, Discharge.id), limit, offset)
