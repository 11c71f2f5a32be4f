"""Bed holds: a stay is a `bed_occupancies` date range, and PostgreSQL's exclusion constraint
refuses an overlapping one, which is what makes double booking impossible under any
concurrency. Placement, transfers and discharge hold, check and end beds through these."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import Range
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.enums import BedStatus, HouseGender
from core.errors import Conflict
from models.resident_tracking import BedOccupancy
from models.residents import Admission, Resident
from services.housing import BedPlace, open_range

EXCLUSION_VIOLATION = "23P01"


def day_start(d: date) -> datetime:
    return datetime.combine(d, time(0), tzinfo=UTC)


def hold_bed(
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


def check_house_rule(session: Session, admission: Admission, place: BedPlace, field: str) -> None:
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


def end_hold(hold: BedOccupancy, on: date) -> None:
    lower = hold.during.lower
    assert lower is not None
    # Ending before the stay began (a cancelled reservation) leaves an empty range: it holds nothing.
    hold.during = Range(lower, max(lower, on), bounds="[)")
