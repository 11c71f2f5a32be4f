"""Passes: a resident's request to be away (day, overnight, weekend), approved with conditions or
denied, the departure and the return. The pass's workflow (workflows/operations/passes.py) owns
its status; these functions are what its activities write, and the lists the routes read."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.contracts.safety import PassRequest
from core.enums import PassStatus, PassType, ResidentStatus
from core.errors import Conflict, NotFound, Rejected
from core.events import EventType
from models.operations import Pass
from services import events, residents
from services.paging import Page, matching, page

LONGEST = {
    PassType.DAY: timedelta(hours=18),
    PassType.OVERNIGHT: timedelta(hours=40),
    PassType.WEEKEND: timedelta(days=4),
    PassType.EXTENDED: timedelta(days=14),
}


def check_request(req: PassRequest) -> None:
    if req.returns_at <= req.departs_at:
        raise Rejected("returns_at must be after departs_at", field="returns_at")
    if req.returns_at - req.departs_at > LONGEST[req.pass_type]:
        raise Rejected(
            f"a {req.pass_type.value} pass lasts at most {LONGEST[req.pass_type]}", field="returns_at"
        )


def request_pass(session: Session, pass_id: uuid.UUID, req: PassRequest, at: datetime) -> Pass:
    """Record the request (once per id) for the resident's current house."""
    existing = session.get(Pass, pass_id)
    if existing is not None:
        return existing
    check_request(req)
    resident = residents.get_resident(session, req.resident_id)
    if (
        resident.status not in (ResidentStatus.ACTIVE, ResidentStatus.ON_PASS)
        or resident.current_house_id is None
    ):
        raise Conflict("the resident does not live in a house now", field="resident_id")
    p = Pass(
        id=pass_id,
        org_id=session.info["actor"]["org_id"],
        resident_id=resident.id,
        house_id=resident.current_house_id,
        pass_type=req.pass_type,
        status=PassStatus.REQUESTED,
        departs_at=req.departs_at,
        returns_at=req.returns_at,
        requested_at=at,
    )
    p.destination = req.destination
    p.reason = req.reason
    session.add(p)
    session.flush()
    return p


def get_pass(session: Session, pass_id: uuid.UUID) -> Pass:
    p = session.get(Pass, pass_id)
    if p is None:
        raise NotFound("pass not found", field="pass_id")
    return p


def decide(
    session: Session,
    pass_id: uuid.UUID,
    approve: bool,
    note: str | None,
    test_on_return: bool,
    by: uuid.UUID | None,
    at: datetime,
) -> Pass:
    """Approve (with conditions in `note`) or deny (the reason in `note`); once."""
    p = get_pass(session, pass_id)
    wanted = PassStatus.APPROVED if approve else PassStatus.DENIED
    if p.status is wanted:
        return p
    if p.status is not PassStatus.REQUESTED:
        raise Conflict(f"the pass is already {p.status.value}", field="pass_id")
    p.status, p.decided_at, p.decided_by_user_id = wanted, at, by
    p.drug_test_required_on_return = approve and test_on_return
    if approve:
        p.conditions = note
    else:
        p.denial_reason = note
    events.emit(
        session, EventType.PASS_DECIDED, p.id, resident_id=p.resident_id, house_id=p.house_id, status=p.status
    )
    return p


def depart(session: Session, pass_id: uuid.UUID, at: datetime) -> Pass:
    p = get_pass(session, pass_id)
    if p.status is PassStatus.APPROVED:
        p.status, p.actual_departed_at = PassStatus.ACTIVE, at
    return p


def overdue(session: Session, pass_id: uuid.UUID) -> Pass:
    """Not back by the return time and its grace: the pass is violated."""
    p = get_pass(session, pass_id)
    if p.status is PassStatus.ACTIVE:
        p.status = PassStatus.VIOLATED
        events.emit(session, EventType.PASS_OVERDUE, p.id, resident_id=p.resident_id, house_id=p.house_id)
    return p


def check_back(session: Session, pass_id: uuid.UUID, at: datetime) -> Pass:
    """The resident checked back in: completed when on time, left violated when late."""
    p = get_pass(session, pass_id)
    if p.actual_returned_at is not None:
        return p
    if p.status not in (PassStatus.ACTIVE, PassStatus.VIOLATED):
        raise Conflict(f"the pass is {p.status.value}, not under way", field="pass_id")
    p.actual_returned_at = at
    late = at > p.returns_at
    if p.status is PassStatus.ACTIVE and not late:
        p.status = PassStatus.COMPLETED
    elif p.status is PassStatus.ACTIVE:
        p.status = PassStatus.VIOLATED
    events.emit(
        session, EventType.PASS_RETURNED, p.id, resident_id=p.resident_id, house_id=p.house_id, late=int(late)
    )
    return p


@dataclass(frozen=True)
class PassFilter:
    house_id: uuid.UUID | None = None
    resident_id: uuid.UUID | None = None
    status: PassStatus | None = None


def list_passes(session: Session, f: PassFilter, limit: int, offset: int) -> Page[Pass]:
    stmt = matching(
        select(Pass), (Pass.house_id, f.house_id), (Pass.resident_id, f.resident_id), (Pass.status, f.status)
    )
    return page(session, stmt.order_by(Pass.departs_at.desc(), Pass.id), limit, offset)
