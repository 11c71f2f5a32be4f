"""§2.26 restrictions: a resident asks that some disclosures not be made; staff grant or deny it
with a reason, and may later terminate a granted one. A granted restriction refuses matching
disclosures (services/consent/coverage.py, `restricted`).

The program need not agree to a restriction in general, but it must agree to one on disclosure
to a health plan for services the resident paid for in full out of pocket (§2.26, after HIPAA
164.522(a)(1)(vi); exact Part 2 text unconfirmed, REGULATORY.md §1.7): denying one is a 409
here and a CHECK constraint (`paid_in_full_is_granted`) in the database.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.contracts.consent import InformationClass, Purpose, RecipientClass, RestrictionStatus
from core.errors import Conflict, NotFound, Rejected
from core.events import EventType
from models.part2 import DisclosureRestriction
from services import residents
from services.events import emit


@dataclass(frozen=True)
class RestrictionAsked:
    restriction_id: uuid.UUID
    resident_id: uuid.UUID
    at: datetime
    user_id: uuid.UUID
    recipient_class: RecipientClass | None = None
    recipient: str | None = None
    information_classes: tuple[InformationClass, ...] = ()
    purposes: tuple[Purpose, ...] = ()
    health_plan_paid_in_full: bool = False


def request(session: Session, ask: RestrictionAsked) -> DisclosureRestriction:
    """Record the resident's request; idempotent by its id."""
    residents.get_resident(session, ask.resident_id)
    done = session.get(DisclosureRestriction, ask.restriction_id)
    if done is not None:
        return done
    if ask.health_plan_paid_in_full and ask.recipient_class not in (None, RecipientClass.HEALTH_PLAN):
        raise Rejected(
            "a paid-in-full restriction restricts disclosure to a health plan: recipient_class must be"
            " health_plan",
            field="recipient_class",
        )
    if not (
        ask.recipient_class
        or ask.recipient
        or ask.information_classes
        or ask.purposes
        or ask.health_plan_paid_in_full
    ):
        raise Rejected(
            "a restriction names a recipient, kinds of information or purposes", field="recipient_class"
        )
    row = DisclosureRestriction(
        id=ask.restriction_id,
        org_id=session.info["actor"]["org_id"],
        resident_id=ask.resident_id,
        requested_at=ask.at,
        received_by_user_id=ask.user_id,
        recipient_class=(
            RecipientClass.HEALTH_PLAN.value if ask.health_plan_paid_in_full else ask.recipient_class
        ),
        recipient=ask.recipient,
        information_classes=[c.value for c in ask.information_classes],
        purposes=[p.value for p in ask.purposes],
        health_plan_paid_in_full=ask.health_plan_paid_in_full,
        status=RestrictionStatus.REQUESTED,
    )
    session.add(row)
    session.flush()
    emit(session, EventType.RESTRICTION_REQUESTED, row.id, resident_id=ask.resident_id)
    return row


def get_restriction(
    session: Session, resident_id: uuid.UUID, restriction_id: uuid.UUID
) -> DisclosureRestriction:
    residents.get_resident(session, resident_id)
    row = session.get(DisclosureRestriction, restriction_id)
    if row is None or row.resident_id != resident_id:
        raise NotFound("restriction not found", field="restriction_id")
    return row


def list_restrictions(session: Session, resident_id: uuid.UUID) -> list[DisclosureRestriction]:
    residents.get_resident(session, resident_id)
    return list(
        session.scalars(
            select(DisclosureRestriction)
            .where(DisclosureRestriction.resident_id == resident_id)
            .order_by(DisclosureRestriction.requested_at, DisclosureRestriction.id)
        )
    )


def decide(
    session: Session,
    resident_id: uuid.UUID,
    restriction_id: uuid.UUID,
    granted: bool,
    reason: str,
    at: datetime,
    user_id: uuid.UUID,
) -> DisclosureRestriction:
    """Grant or deny a requested restriction, with the reason told to the resident. Answering
    again the same way is a no-op; changing an answer is a 409."""
    row = get_restriction(session, resident_id, restriction_id)
    status = RestrictionStatus.GRANTED if granted else RestrictionStatus.DENIED
    if row.status is status:
        return row
    if row.status is not RestrictionStatus.REQUESTED:
        raise Conflict(f"this restriction is already {row.status.value}", field="status")
    if not granted and row.health_plan_paid_in_full:
        raise Conflict(
            "health_plan_paid_in_full: a restriction on disclosure to a health plan for services paid in"
            " full out of pocket must be granted (§2.26)",
            field="health_plan_paid_in_full",
        )
    row.status = status
    row.decided_at = at
    row.decided_by_user_id = user_id
    row.decision_reason = reason
    session.flush()
    emit(session, EventType.RESTRICTION_DECIDED, row.id, resident_id=resident_id, status=status)
    return row


def terminate(
    session: Session, resident_id: uuid.UUID, restriction_id: uuid.UUID, at: datetime
) -> DisclosureRestriction:
    """End a granted restriction (at the resident's request, or told to them in writing):
    disclosures after `at` are no longer held back by it."""
    row = get_restriction(session, resident_id, restriction_id)
    if row.status is RestrictionStatus.TERMINATED:
        return row
    if row.status is not RestrictionStatus.GRANTED:
        raise Conflict(
            f"only a granted restriction can be terminated; this one is {row.status.value}", field="status"
        )
    row.status = RestrictionStatus.TERMINATED
    row.terminated_at = at
    session.flush()
    emit(session, EventType.RESTRICTION_TERMINATED, row.id, resident_id=resident_id)
    return row
