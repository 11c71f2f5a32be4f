"""Reads for the journey's list routes: residents, transfers and discharges, filtered, sorted
and paged. Row-level security applies the caller's scope (migration 0011): a house manager's
session sees only their houses' rows, a resident's only their own, whatever the filters say."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.contracts.admission import DischargeKind
from core.enums import DischargeReason, HouseGender, ResidentStatus
from models.orgs import House
from models.resident_tracking import BedTransfer, Discharge
from models.residents import Resident
from services.paging import Page, matching, ordered, page, within


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
