"""The accounting of disclosures: every disclosure of a resident's records in a period, for staff
as CSV or PDF, and a resident's request for one, answered within 60 days (the `AccountingRequest`
workflow drives it; these are its steps).

Periods: Part 2 §2.25 covers disclosures made with consent in the 3 years before the request
(or a shorter period the resident chooses); HIPAA 164.528 covers 6 years. A request is answered
within 60 days, with at most one 30-day extension told to the resident in writing, with its
reason, before the first deadline; the first accounting in any 12 months is free, a later one
may carry the operator's reasonable, cost-based fee told in advance (164.528(c),
REGULATORY.md §1.7 and §3).
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.enums import RequestStatus
from core.errors import Conflict, NotFound, Rejected
from core.events import EventType
from models.compliance_extended import DisclosureAccountingRequest
from services import residents
from services.consent.disclosures import disclosures_between
from services.consent.package import AccountingLine, accounting_pdf
from services.documents import StoredFile, record_file, stored_file
from services.events import emit

ANSWER_WITHIN = timedelta(days=60)
EXTENSION = timedelta(days=30)
FREE_EVERY = timedelta(days=365)


class Lookback(StrEnum):
    """How far back an accounting reaches by default."""

    # §2.25: disclosures made with consent in the 3 years before the request.
    PART2 = "part2"
    # HIPAA 164.528(a): the 6 years before the request.
    HIPAA = "hipaa"


YEARS = {Lookback.PART2: 3, Lookback.HIPAA: 6}


def default_since(until: date, lookback: Lookback = Lookback.PART2) -> date:
    years = YEARS[lookback]
    if until.year - years < date.min.year:  # a period ending in the first years of the calendar
        return date.min
    try:
        return until.replace(year=until.year - years)
    except ValueError:  # 29 February
        return until.replace(year=until.year - years, day=28)


def _start_of(d: date) -> datetime:
    return datetime.combine(d, time.min, tzinfo=UTC)


def lines(session: Session, resident_id: uuid.UUID, since: date, until: date) -> list[AccountingLine]:
    """The disclosures made from `since` through `until` (whole days, UTC), oldest first."""
    rows = disclosures_between(session, resident_id, _start_of(since), _start_of(until + timedelta(days=1)))
    return [
        AccountingLine(
            disclosed_at=r.disclosed_at,
            recipient=r.recipient or "",
            recipient_class=(r.recipient_class or "").replace("_", " "),
            information=r.information_disclosed or "",
            purpose=r.purpose or (r.purpose_code or "").replace("_", " "),
            method=r.method.value.replace("_", " "),
        )
        for r in rows
    ]


CSV_COLUMNS = ("disclosed_at", "recipient", "recipient_class", "information", "purpose", "method")


def as_csv(items: list[AccountingLine]) -> str:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(CSV_COLUMNS)
    for line in items:
        # A cell a spreadsheet would run as a formula is written as text.
        w.writerow(
            [line.disclosed_at.isoformat()]
            + [
                f"'{v}" if v[:1] in ("=", "+", "-", "@") else v
                for v in (line.recipient, line.recipient_class, line.information, line.purpose, line.method)
            ]
        )
    return out.getvalue()


def resident_name(session: Session, resident_id: uuid.UUID) -> str:
    r = residents.get_resident(session, resident_id)
    return f"{r.first_name} {r.last_name}"


def export_pdf(session: Session, resident_id: uuid.UUID, since: date, until: date) -> bytes:
    return accounting_pdf(
        resident_name(session, resident_id), since, until, lines(session, resident_id, since, until)
    )


# --- a resident's request, step by step (the AccountingRequest workflow's activities) --------


@dataclass(frozen=True)
class Opened:
    due_at: datetime
    fee_cents: int


def response_file_id(request_id: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(request_id, "file:accounting")


def check_fee(session: Session, resident_id: uuid.UUID, fee_cents: int, at: datetime) -> None:
    """A fee only on a second or later request within 12 months (164.528(c)(2))."""
    residents.get_resident(session, resident_id)
    if not fee_cents:
        return
    earlier = session.scalar(
        select(DisclosureAccountingRequest.id)
        .where(
            DisclosureAccountingRequest.resident_id == resident_id,
            DisclosureAccountingRequest.requested_at > at - FREE_EVERY,
            DisclosureAccountingRequest.deleted_at.is_(None),
        )
        .limit(1)
    )
    if earlier is None:
        raise Rejected("the first accounting in any 12 months is free", field="fee_cents")


def open_request(
    session: Session,
    request_id: uuid.UUID,
    resident_id: uuid.UUID,
    since: date,
    until: date,
    fee_cents: int,
    at: datetime,
    user_id: uuid.UUID | None,
) -> Opened:
    """The request's row, due 60 days after `at`; idempotent by its id. The first request in 12
    months is free: a fee on it is refused."""
    done = session.get(DisclosureAccountingRequest, request_id)
    if done is not None:
        return Opened(done.due_at, done.fee_cents)
    if until < since:
        raise Rejected("the period ends before it starts", field="period_end_date")
    check_fee(session, resident_id, fee_cents, at)
    row = DisclosureAccountingRequest(
        id=request_id,
        org_id=session.info["actor"]["org_id"],
        resident_id=resident_id,
        received_by_user_id=user_id,
        requested_at=at,
        due_at=at + ANSWER_WITHIN,
        status=RequestStatus.RECEIVED,
        period_start_date=since,
        period_end_date=until,
        fee_cents=fee_cents,
    )
    session.add(row)
    session.flush()
    emit(session, EventType.ACCOUNTING_REQUESTED, row.id, resident_id=resident_id)
    return Opened(row.due_at, row.fee_cents)


def get_request(
    session: Session, request_id: uuid.UUID, resident_id: uuid.UUID | None = None
) -> DisclosureAccountingRequest:
    row = session.get(DisclosureAccountingRequest, request_id)
    if row is None or row.deleted_at is not None or resident_id not in (None, row.resident_id):
        raise NotFound("accounting request not found", field="accounting_request_id")
    return row


def deadline(row: DisclosureAccountingRequest) -> datetime:
    return row.extended_due_at or row.due_at


def extend(session: Session, request_id: uuid.UUID, reason: str, at: datetime) -> datetime:
    """Give the one 30-day extension, told to the resident in writing with `reason`, before the
    first deadline. Returns the new deadline; the same extension again is a no-op."""
    row = get_request(session, request_id)
    if row.extended_due_at is not None:
        if row.extension_reason == reason:
            return row.extended_due_at
        raise Conflict("the accounting's deadline has already been extended once", field="extension")
    if row.status is RequestStatus.FULFILLED:
        raise Conflict("the accounting has already been provided", field="extension")
    if at > row.due_at:
        raise Conflict("an extension must be given before the first deadline", field="extension")
    row.extended_due_at = row.due_at + EXTENSION
    row.extension_reason = reason
    row.extension_sent_at = at
    row.status = RequestStatus.IN_PROGRESS
    session.flush()
    emit(session, EventType.ACCOUNTING_EXTENDED, row.id, resident_id=row.resident_id)
    return row.extended_due_at


def remind(session: Session, request_id: uuid.UUID, days_left: int) -> None:
    """Tell staff (through the outbox) that the accounting is due in `days_left` days; once per
    deadline and day count."""
    row = get_request(session, request_id)
    if row.status is RequestStatus.FULFILLED:
        return
    emit(
        session,
        EventType.ACCOUNTING_DUE_SOON,
        row.id,
        occurrence=f"{deadline(row).date().isoformat()}/{days_left}",
        resident_id=row.resident_id,
        days_left=days_left,
    )


@dataclass(frozen=True)
class Contents:
    resident_name: str
    since: date
    until: date
    lines: list[AccountingLine]
    fulfilled: bool


def contents(session: Session, request_id: uuid.UUID) -> Contents:
    row = get_request(session, request_id)
    return Contents(
        resident_name(session, row.resident_id),
        row.period_start_date,
        row.period_end_date,
        lines(session, row.resident_id, row.period_start_date, row.period_end_date),
        row.status is RequestStatus.FULFILLED,
    )


def fulfil(
    session: Session, request_id: uuid.UUID, bucket: str, pdf: bytes, at: datetime, user_id: uuid.UUID | None
) -> None:
    """Link the accounting PDF (already in the store) on the request and close it; idempotent."""
    row = get_request(session, request_id)
    if row.status is RequestStatus.FULFILLED:
        return
    f = record_file(
        session,
        response_file_id(request_id),
        bucket,
        pdf,
        "application/pdf",
        f"accounting-{request_id}.pdf",
        row.resident_id,
        user_id,
        is_part2=True,
    )
    row.response_file_id = f.id
    row.status = RequestStatus.FULFILLED
    row.fulfilled_at = at
    session.flush()
    emit(session, EventType.ACCOUNTING_FULFILLED, row.id, resident_id=row.resident_id, file_id=f.id)


def response(session: Session, request_id: uuid.UUID) -> StoredFile:
    row = get_request(session, request_id)
    return stored_file(session, row.response_file_id, "accounting")


def requests_of(session: Session, resident_id: uuid.UUID) -> list[DisclosureAccountingRequest]:
    residents.get_resident(session, resident_id)
    return list(
        session.scalars(
            select(DisclosureAccountingRequest)
            .where(
                DisclosureAccountingRequest.resident_id == resident_id,
                DisclosureAccountingRequest.deleted_at.is_(None),
            )
            .order_by(DisclosureAccountingRequest.requested_at, DisclosureAccountingRequest.id)
        )
    )
