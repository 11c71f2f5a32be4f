"""Incidents: opened by staff, or by a process (a missed curfew, a pass not returned, a positive
or refused drug test) under a deterministic id so a retried step opens it once; follow-up tasks
beside it; the state-report clock where the house's state asks for a report (PA §717.31: 3
business days, core/contracts/safety.py)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.contracts.safety import IncidentFacts, NewIncident, report_due, reportable
from core.enums import IncidentStatus, IncidentType, Priority, TaskStatus
from core.errors import Conflict, NotFound, Rejected
from core.events import EventType
from models.operations import Incident, Task
from models.orgs import House, Property
from services import events
from services.paging import Page, matching, page

NAMESPACE = uuid.UUID("8f6b8f0e-2c3c-4a52-9a4f-6c1f3f0b7d21")
SOURCE = "incident_follow_up"


def incident_key(kind: str, *parts: object) -> uuid.UUID:
    """The id of an incident a process opens: the same miss or test always names the same one."""
    return uuid.uuid5(NAMESPACE, "/".join([kind, *(str(p) for p in parts)]))


def house_state(session: Session, house_id: uuid.UUID | None) -> str | None:
    if house_id is None:
        return None
    row = session.execute(
        select(Property.state).join(House, House.property_id == Property.id).where(House.id == house_id)
    ).first()
    return row[0] if row else None


def house_manager(session: Session, house_id: uuid.UUID | None) -> uuid.UUID | None:
    house = session.get(House, house_id) if house_id else None
    return house.house_manager_id if house is not None else None


def open_incident(
    session: Session, incident_id: uuid.UUID, new: NewIncident, reported_by: uuid.UUID | None
) -> Incident:
    """Record an incident with its follow-up tasks and, where the house's state wants a report,
    the report's due time. Opening it again under the same id returns the first one."""
    existing = session.get(Incident, incident_id, execution_options={"include_deleted": True})
    if existing is not None:
        return existing
    org_id = session.info["actor"]["org_id"]
    facts = IncidentFacts(new.incident_type, new.severity, new.police_involved, new.ems_involved)
    state = house_state(session, new.house_id)
    due = report_due(state, new.occurred_at) if state and reportable(facts) else None
    parties = [{"resident_id": str(r), "role": "involved"} for r in new.involved_resident_ids]
    if new.resident_id is not None and str(new.resident_id) not in {p["resident_id"] for p in parties}:
        parties.insert(0, {"resident_id": str(new.resident_id), "role": "primary"})
    incident = Incident(
        id=incident_id,
        org_id=org_id,
        house_id=new.house_id,
        resident_id=new.resident_id,
        incident_type=new.incident_type,
        severity=new.severity,
        status=IncidentStatus.OPEN,
        occurred_at=new.occurred_at,
        reported_by_user_id=reported_by,
        location=new.location,
        police_involved=new.police_involved,
        ems_involved=new.ems_involved,
        naloxone_administered=new.naloxone_administered,
        drug_test_id=new.drug_test_id,
        state_report_due_at=due[0] if due else None,
        follow_up_due_date=_first_due(new),
    )
    incident.description = new.description
    incident.involved_parties = parties
    incident.actions_taken = new.actions_taken
    session.add(incident)
    session.flush()
    manager = house_manager(session, new.house_id)
    for n, f in enumerate(new.follow_ups):
        task = Task(
            id=uuid.uuid5(incident_id, f"follow-up/{n}"),
            org_id=org_id,
            assigned_to_user_id=manager,
            resident_id=new.resident_id,
            house_id=new.house_id,
            related_entity_type="incidents",
            related_entity_id=incident_id,
            status=TaskStatus.OPEN,
            priority=f.priority,
            due_at=new.occurred_at + timedelta(hours=f.due_in_hours),
            source=SOURCE,
        )
        task.title = f.title
        session.add(task)
    session.flush()
    events.emit(
        session,
        EventType.INCIDENT_OPENED,
        incident_id,
        resident_id=new.resident_id,
        house_id=new.house_id,
        type=new.incident_type,
        severity=new.severity,
    )
    return incident


def _first_due(new: NewIncident) -> date | None:
    if not new.follow_ups:
        return None
    return min((new.occurred_at + timedelta(hours=f.due_in_hours)).date() for f in new.follow_ups)


def report_clock(session: Session, incident: Incident) -> tuple[datetime | None, datetime | None]:
    """When the state report is due and when to warn that it nears (None, None: no report)."""
    state = house_state(session, incident.house_id)
    if incident.state_report_due_at is None or state is None:
        return None, None
    due = report_due(state, incident.occurred_at)
    return incident.state_report_due_at, due[1] if due else None


def get_incident(session: Session, incident_id: uuid.UUID) -> Incident:
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise NotFound("incident not found", field="incident_id")
    return incident


def record_state_report(session: Session, incident_id: uuid.UUID, at: datetime) -> Incident:
    """The written report reached the state: the clock stops. Once only."""
    incident = get_incident(session, incident_id)
    if incident.state_report_due_at is None:
        raise Conflict("no state report is due for this incident", field="incident_id")
    if incident.state_reported_at is None:
        incident.state_reported_at = at
        events.emit(
            session,
            EventType.INCIDENT_STATE_REPORTED,
            incident_id,
            resident_id=incident.resident_id,
            house_id=incident.house_id,
        )
    return incident


def escalate_state_report(session: Session, incident_id: uuid.UUID, overdue: bool) -> uuid.UUID | None:
    """The report nears its due time (or passed it) unsent: a task for the house manager and an
    event. Returns the manager to notify, or None when the report was made meanwhile."""
    incident = get_incident(session, incident_id)
    if incident.state_reported_at is not None:
        return None
    kind = "overdue" if overdue else "due-soon"
    task_id = uuid.uuid5(incident_id, f"state-report/{kind}")
    manager = house_manager(session, incident.house_id)
    if session.get(Task, task_id) is None:
        task = Task(
            id=task_id,
            org_id=incident.org_id,
            assigned_to_user_id=manager,
            resident_id=incident.resident_id,
            house_id=incident.house_id,
            related_entity_type="incidents",
            related_entity_id=incident_id,
            status=TaskStatus.OPEN,
            priority=Priority.URGENT,
            due_at=incident.state_report_due_at,
            source="incident_state_report",
        )
        task.title = "State incident report overdue" if overdue else "State incident report due soon"
        session.add(task)
        events.emit(
            session,
            EventType.INCIDENT_REPORT_ESCALATED,
            incident_id,
            occurrence=kind,
            resident_id=incident.resident_id,
            house_id=incident.house_id,
        )
    return manager


def set_status(session: Session, incident_id: uuid.UUID, status: IncidentStatus, at: datetime) -> Incident:
    incident = get_incident(session, incident_id)
    if status in (IncidentStatus.RESOLVED, IncidentStatus.CLOSED) and incident.resolved_at is None:
        incident.resolved_at = at
        incident.resolved_by_user_id = session.info["actor"].get("user_id")
    incident.status = status
    return incident


@dataclass(frozen=True)
class IncidentFilter:
    house_id: uuid.UUID | None = None
    resident_id: uuid.UUID | None = None
    incident_type: IncidentType | None = None
    status: IncidentStatus | None = None
    report_pending: bool | None = None


def list_incidents(session: Session, f: IncidentFilter, limit: int, offset: int) -> Page[Incident]:
    stmt = matching(
        select(Incident),
        (Incident.house_id, f.house_id),
        (Incident.resident_id, f.resident_id),
        (Incident.incident_type, f.incident_type),
        (Incident.status, f.status),
    )
    if f.report_pending:
        stmt = stmt.where(Incident.state_report_due_at.is_not(None), Incident.state_reported_at.is_(None))
    return page(session, stmt.order_by(Incident.occurred_at.desc(), Incident.id), limit, offset)


def tasks_of(session: Session, incident_id: uuid.UUID) -> list[Task]:
    stmt = select(Task).where(Task.related_entity_type == "incidents", Task.related_entity_id == incident_id)
    return list(session.scalars(stmt.order_by(Task.due_at, Task.id)))


def check_new(new: NewIncident) -> None:
    if not new.description.strip():
        raise Rejected("description must not be empty", field="description")
