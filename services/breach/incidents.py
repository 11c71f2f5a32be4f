"""An incident's record, written by the BreachResponse workflow's activities.

Every step is idempotent: a step already on the incident's timeline (by its key) is not
written again, and its event id comes from the step (`core.events.event_id`), so a retried
activity records nothing twice. Every step is audited (`audit.record`, ids only) and emitted.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.contracts.breach import (
    FEDERAL_DAYS,
    RETAIN_YEARS,
    Assessment,
    Decision,
    Delay,
    Facts,
    Kind,
    NewIncident,
    Obligation,
    individuals_due,
)
from core.enums import AuditAction, BreachRiskLevel, BreachStatus
from core.errors import NotFound
from core.events import EventType
from models.compliance import BaaRecord, BreachIncident
from models.orgs import House, Property
from models.residents import Resident
from services.events import emit

ENTITY = "breach_incident"


def get_incident(session: Session, incident_id: uuid.UUID) -> BreachIncident:
    inc = session.get(BreachIncident, incident_id)
    if inc is None or inc.deleted_at is not None:
        raise NotFound(f"no breach incident {incident_id}", field="incident_id")
    return inc


def list_incidents(session: Session, limit: int = 100) -> list[BreachIncident]:
    return list(
        session.scalars(
            select(BreachIncident)
            .where(BreachIncident.deleted_at.is_(None))
            .order_by(BreachIncident.discovered_at.desc())
            .limit(limit)
        )
    )


def _state_of(session: Session, r: Resident) -> str | None:
    """Where a resident lives: their house's state, else the state of their address before
    move-in (a former resident's last known address)."""
    if r.current_house_id is not None:
        state = session.scalar(
            select(Property.state)
            .join(House, House.property_id == Property.id)
            .where(House.id == r.current_house_id)
        )
        if state:
            return state.upper()
    prior = r.prior_address or {}
    state = prior.get("state") if isinstance(prior, dict) else None
    return str(state).upper() if state else None


def _reachable(r: Resident) -> bool:
    return r.current_house_id is not None or bool(r.prior_address) or bool(r.email)


def check_report(session: Session, new: NewIncident) -> None:
    """Everything a report names exists in the caller's org: 404 naming the field otherwise."""
    for rid in new.affected_resident_ids:
        r = session.get(Resident, rid)
        if r is None or r.deleted_at is not None:
            raise NotFound(f"no resident {rid}", field="affected_resident_ids")
    if new.baa_record_id is not None:
        baa = session.get(BaaRecord, new.baa_record_id)
        if baa is None or baa.deleted_at is not None:
            raise NotFound(f"no business associate agreement {new.baa_record_id}", field="baa_record_id")


def _ba_due(session: Session, inc: BreachIncident) -> datetime | None:
    if inc.baa_record_id is None:
        return None
    baa = session.get(BaaRecord, inc.baa_record_id)
    days = min(FEDERAL_DAYS, (baa.breach_notice_days if baa else None) or FEDERAL_DAYS)
    return (inc.ba_discovered_at or inc.discovered_at) + timedelta(days=days)


def facts(session: Session, inc: BreachIncident) -> Facts:
    return Facts(
        inc.discovered_at,
        inc.affected_count,
        {k: int(v) for k, v in inc.affected_by_state.items()},
        inc.unreachable_count,
        _ba_due(session, inc),
    )


def _years_after(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def _day(inc: BreachIncident, at: datetime) -> int:
    return max(0, (at - inc.discovered_at).days)


def _step(inc: BreachIncident, key: str, at: datetime, what: str) -> bool:
    """Put a step on the timeline; False when it is there already (a retry)."""
    if any(e["key"] == key for e in inc.timeline):
        return False
    inc.timeline = [*inc.timeline, {"key": key, "at": at.isoformat(), "what": what}]
    return True


def record(
    session: Session, incident_id: uuid.UUID, new: NewIncident, user_id: uuid.UUID | None, at: datetime
) -> Facts:
    inc = session.get(BreachIncident, incident_id)
    if inc is not None:
        return facts(session, inc)
    check_report(session, new)
    by_state: dict[str, int] = {}
    unreachable = new.others_unreachable
    for rid in new.affected_resident_ids:
        r = session.get(Resident, rid)
        assert r is not None
        state = _state_of(session, r) or "??"
        by_state[state] = by_state.get(state, 0) + 1
        unreachable += 0 if _reachable(r) else 1
    for state, n in new.others_by_state.items():
        by_state[state.upper()] = by_state.get(state.upper(), 0) + n
    affected = len(new.affected_resident_ids) + sum(new.others_by_state.values())
    first, _ = individuals_due(Facts(new.discovered_at, affected, by_state, unreachable))
    inc = BreachIncident(
        id=incident_id,
        org_id=session.info["actor"]["org_id"],
        occurred_at=new.occurred_at,
        discovered_at=new.discovered_at,
        reported_by_user_id=user_id,
        status=BreachStatus.DISCOVERED,
        baa_record_id=new.baa_record_id,
        ba_discovered_at=new.ba_discovered_at,
        involves_part2=new.involves_part2,
        description=new.description,
        phi_involved=new.phi_involved,
        affected_count=affected,
        affected_resident_ids=[str(r) for r in new.affected_resident_ids],
        affected_by_state=by_state,
        unreachable_count=unreachable,
        notification_deadline_at=first,
        timeline=[],
        obligations=[],
        law_enforcement_delays=[],
    )
    _step(inc, "discovered", new.discovered_at, "Discovered: the clocks start")
    _step(inc, "reported", at, "Reported in RecoveryOS")
    session.add(inc)
    session.flush()
    audit.record(session, AuditAction.CREATE, ENTITY, incident_id, {"step": "reported"})
    emit(session, EventType.BREACH_REPORTED, incident_id, day=_day(inc, at))
    return facts(session, inc)


def save_obligations(session: Session, incident_id: uuid.UUID, obligations: list[Obligation]) -> None:
    """The workflow's clocks, copied where lists, the API and the closing report read them."""
    inc = get_incident(session, incident_id)
    rows = [
        {**asdict(o), "due_at": o.due_at.isoformat(), "done_at": o.done_at.isoformat() if o.done_at else None}
        for o in obligations
    ]
    if rows != inc.obligations:
        inc.obligations = rows


def assess(
    session: Session, incident_id: uuid.UUID, a: Assessment, user_id: uuid.UUID | None, at: datetime
) -> None:
    inc = get_incident(session, incident_id)
    if inc.decided_at is not None:
        return
    notifiable = a.decision is Decision.NOTIFIABLE
    inc.assessment = {
        "nature_and_extent": a.nature_and_extent,
        "unauthorized_person": a.unauthorized_person,
        "acquired_or_viewed": a.acquired_or_viewed,
        "mitigation": a.mitigation,
        "reasons": a.reasons,
    }
    inc.safe_harbour = a.safe_harbour
    inc.notifiable = notifiable
    inc.risk_level = BreachRiskLevel(a.risk_level)
    inc.decided_at = at
    inc.decided_by_user_id = user_id
    inc.mitigation = inc.mitigation or a.mitigation
    inc.retain_until_date = _years_after(at.date(), RETAIN_YEARS)
    inc.status = BreachStatus.NOTIFYING if notifiable else BreachStatus.RISK_ASSESSED
    if a.notice is not None:
        inc.notice_content = asdict(a.notice)
    what = "notifiable" if notifiable else "not notifiable (kept six years)"
    _step(inc, "assessment", at, f"Risk assessment recorded; decision: {what}")
    audit.record(session, AuditAction.UPDATE, ENTITY, incident_id, {"step": "assessment"})
    emit(session, EventType.BREACH_ASSESSED, incident_id, decision=a.decision, day=_day(inc, at))


_DONE_COLUMNS = {
    Kind.INDIVIDUALS: "individuals_notified_at",
    Kind.HHS: "hhs_notified_at",
    Kind.HHS_ANNUAL_LOG: "hhs_notified_at",
    Kind.MEDIA: "media_notified_at",
    Kind.BUSINESS_ASSOCIATE: "ba_reported_at",
}


def complete(
    session: Session, incident_id: uuid.UUID, ob: Obligation, obligations: list[Obligation], at: datetime
) -> None:
    """An obligation met: a notice sent, a report filed or received."""
    inc = get_incident(session, incident_id)
    save_obligations(session, incident_id, obligations)
    if not _step(inc, f"done:{ob.key}", at, f"Done: {ob.title}"):
        return
    column = _DONE_COLUMNS.get(ob.kind)
    if column is not None and getattr(inc, column) is None:
        setattr(inc, column, at)
    if ob.kind is Kind.INDIVIDUALS:
        inc.status = BreachStatus.NOTIFIED
    audit.record(session, AuditAction.UPDATE, ENTITY, incident_id, {"step": "done", "obligation": ob.key})
    emit(
        session,
        EventType.BREACH_OBLIGATION_MET,
        incident_id,
        occurrence=ob.key,
        kind=ob.kind,
        day=_day(inc, at),
    )


def delay(
    session: Session,
    incident_id: uuid.UUID,
    d: Delay,
    official: str | None,
    obligations: list[Obligation],
) -> None:
    inc = get_incident(session, incident_id)
    save_obligations(session, incident_id, obligations)
    key = f"delay:{d.kind.value}:{d.start.isoformat()}"
    days = max(0, round((d.end - d.start) / timedelta(days=1)))
    if not _step(inc, key, d.start, f"Law-enforcement delay ({d.kind.value}) until {d.end:%Y-%m-%d}"):
        return
    inc.law_enforcement_delays = [
        *inc.law_enforcement_delays,
        {"kind": d.kind.value, "start": d.start.isoformat(), "end": d.end.isoformat()},
    ]
    if official:
        inc.law_enforcement_official = official
    audit.record(session, AuditAction.UPDATE, ENTITY, incident_id, {"step": "law_enforcement_delay"})
    emit(
        session,
        EventType.BREACH_DELAYED,
        incident_id,
        occurrence=key,
        kind=d.kind,
        days=days,
        day=_day(inc, d.start),
    )


def escalated(session: Session, incident_id: uuid.UUID, ob: Obligation, point: str, at: datetime) -> None:
    inc = get_incident(session, incident_id)
    key = f"escalated:{ob.key}:{point}:{ob.due_at.isoformat()}"
    if not _step(inc, key, at, f"Escalated to the owner ({point}): {ob.title}, due {ob.due_at:%Y-%m-%d}"):
        return
    audit.record(
        session, AuditAction.EXECUTE, ENTITY, incident_id, {"step": "escalated", "obligation": ob.key}
    )
    days_left = max(0, (ob.due_at - at).days)
    emit(
        session,
        EventType.BREACH_ESCALATED,
        incident_id,
        occurrence=key,
        kind=ob.kind,
        days_left=days_left,
        day=_day(inc, at),
    )


def record_letters(session: Session, incident_id: uuid.UUID, digests: dict[str, str], at: datetime) -> None:
    inc = get_incident(session, incident_id)
    if inc.letters is not None:
        return
    inc.letters = digests
    _step(inc, "letters", at, f"{len(digests)} notice letter(s) written")
    audit.record(session, AuditAction.CREATE, ENTITY, incident_id, {"step": "letters", "count": len(digests)})
    emit(session, EventType.BREACH_LETTERS_READY, incident_id, count=len(digests), day=_day(inc, at))


def close(session: Session, incident_id: uuid.UUID, report_sha256: bytes, at: datetime) -> None:
    inc = get_incident(session, incident_id)
    if inc.closed_at is not None:
        return
    inc.closing_report_sha256 = report_sha256
    inc.closed_at = at
    inc.status = BreachStatus.CLOSED
    _step(inc, "closed", at, "Closed; closing report written")
    audit.record(session, AuditAction.UPDATE, ENTITY, incident_id, {"step": "closed"})
    emit(session, EventType.BREACH_CLOSED, incident_id, day=_day(inc, at))


def letter_digest(session: Session, incident_id: uuid.UUID, resident_id: uuid.UUID) -> bytes:
    """A letter's recorded digest: 404 naming the resident when the incident wrote none for them."""
    inc = get_incident(session, incident_id)
    digest = (inc.letters or {}).get(str(resident_id))
    if digest is None:
        raise NotFound(f"no notice letter for resident {resident_id}", field="resident_id")
    audit.record(session, AuditAction.EXPORT, ENTITY, incident_id, {"file": "notice_letter"})
    return bytes.fromhex(digest)


def report_digest(session: Session, incident_id: uuid.UUID) -> bytes:
    inc = get_incident(session, incident_id)
    if inc.closing_report_sha256 is None:
        raise NotFound("this incident has no closing report until it is closed", field="incident_id")
    audit.record(session, AuditAction.EXPORT, ENTITY, incident_id, {"file": "closing_report"})
    return inc.closing_report_sha256
