"""Break-glass: emergency access to one resident's Part 2 records, for a limited time, reviewed.

A grant is one `break_glass_events` row, written by the `BreakGlassReview` workflow's first
activity under the id the API chose (a retry finds it). It is live while `occurred_at <= now <
expires_at`; the access policy checks that on every read (services/consent/access.py), so the
access ends on time with nothing to do. The workflow records the end in the audit trail,
escalates to the org owners when no compliance officer has reviewed it within 24 hours, and
takes the review. E-mails and events carry ids only: never the reason, never the resident.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.enums import AuditAction, BreakGlassReviewOutcome
from core.errors import Conflict, NotFound
from core.events import EventType
from core.notify import Email
from models.compliance_extended import BreakGlassEvent
from services import events
from services.residents import get_resident
from services.users import owner_addresses

DEFAULT_MINUTES = 60
MAX_MINUTES = 240
MESSAGE_NAMESPACE = uuid.UUID("0b7c3f52-3a1d-4e0b-8f5e-6c2d9a4e1b77")


def get_event(session: Session, event_id: uuid.UUID) -> BreakGlassEvent:
    ev = session.get(BreakGlassEvent, event_id)
    if ev is None:
        raise NotFound("break-glass event not found", field="id")
    return ev


def open_grant(
    session: Session,
    event_id: uuid.UUID,
    user_id: uuid.UUID,
    resident_id: uuid.UUID,
    reason: str,
    at: datetime,
    minutes: int,
) -> BreakGlassEvent:
    """Write the grant (once: a retry returns the row written first)."""
    existing = session.get(BreakGlassEvent, event_id)
    if existing is not None:
        return existing
    resident = get_resident(session, resident_id)
    ev = BreakGlassEvent(
        id=event_id,
        org_id=resident.org_id,
        user_id=user_id,
        resident_id=resident_id,
        reason=reason,
        occurred_at=at,
        expires_at=at + timedelta(minutes=minutes),
    )
    session.add(ev)
    session.flush()
    audit.record(
        session, AuditAction.BREAK_GLASS, "break_glass_events", event_id, {"opened": True, "minutes": minutes}
    )
    events.emit(session, EventType.BREAK_GLASS_OPENED, event_id, resident_id=resident_id, user_id=user_id)
    return ev


def record_end(session: Session, event_id: uuid.UUID, at: datetime) -> None:
    """The grant's time is over: said in the audit trail (the policy already refuses it)."""
    ev = get_event(session, event_id)
    audit.record(
        session,
        AuditAction.BREAK_GLASS,
        "break_glass_events",
        ev.id,
        {"ended": True, "expired_at": ev.expires_at.isoformat(), "recorded_at": at.isoformat()},
    )


def escalation_email(to: list[str], event_id: uuid.UUID, base_url: str) -> Email:
    """Ids and a link only: who was accessed and why stay behind the sign-in."""
    body = (
        "An emergency (break-glass) access to a resident's confidential records was opened more than"
        " 24 hours ago and no compliance officer has reviewed it yet.\n\n"
        f"Review it: {base_url.rstrip('/')}/v1/break-glass/{event_id}\n\n"
        "Federal rules (42 CFR part 2) require that such access is reviewed. This message holds no"
        " patient information; sign in to see the details."
    )
    message_id = f"<{uuid.uuid5(MESSAGE_NAMESPACE, f'escalated:{event_id}').hex}@break-glass.recoveryos>"
    return Email(tuple(to), "Emergency access awaiting review", body, message_id)


def escalate(session: Session, event_id: uuid.UUID, at: datetime, base_url: str) -> tuple[bool, Email | None]:
    """Mark the grant escalated (once) and return the e-mail to the owners (None when no owner
    has an address); (False, None) when it was reviewed first. A retry after a failed send
    gets the same message again."""
    ev = get_event(session, event_id)
    if ev.escalated_at is None:
        if ev.reviewed_at is not None:
            return False, None
        ev.escalated_at = at
        events.emit(session, EventType.BREAK_GLASS_ESCALATED, ev.id, resident_id=ev.resident_id)
    to = owner_addresses(session)
    return True, escalation_email(to, ev.id, base_url) if to else None


def review(
    session: Session,
    event_id: uuid.UUID,
    reviewer: uuid.UUID,
    outcome: BreakGlassReviewOutcome,
    notes: str,
    at: datetime,
) -> BreakGlassEvent:
    """Record the compliance officer's finding (once; a retry of the same review is a no-op)."""
    ev = get_event(session, event_id)
    if ev.reviewed_at is not None:
        if ev.reviewed_by_user_id == reviewer and ev.review_outcome == outcome:
            return ev
        raise Conflict("this emergency access has already been reviewed", field="id")
    check_reviewer(ev, reviewer)
    ev.reviewed_by_user_id = reviewer
    ev.reviewed_at = max(at, ev.occurred_at)
    ev.review_outcome = outcome
    ev.review_notes = notes
    events.emit(session, EventType.BREAK_GLASS_REVIEWED, ev.id, resident_id=ev.resident_id, outcome=outcome)
    return ev


def check_reviewer(ev: BreakGlassEvent, reviewer: uuid.UUID) -> None:
    if ev.user_id == reviewer:
        raise Conflict("nobody reviews their own emergency access", field="id")


def listing(session: Session, unreviewed_only: bool) -> list[BreakGlassEvent]:
    q = select(BreakGlassEvent).order_by(BreakGlassEvent.occurred_at.desc(), BreakGlassEvent.id)
    if unreviewed_only:
        q = q.where(BreakGlassEvent.reviewed_at.is_(None))
    return list(session.scalars(q.limit(500)))
