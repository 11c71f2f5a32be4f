"""Pass activities: each writes through services/operations/passes.py in one tenant transaction
and is idempotent (the pass id is the workflow's key; a decision, departure or return already
recorded is left as it is). An overdue pass opens its incident under a key of the pass."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from temporalio import activity

from activities.base import TenantActivities
from core.contracts.safety import FollowUp, NewIncident, PassRequest
from core.enums import IncidentSeverity, IncidentType, PassStatus, Priority
from core.process import Actor
from services.operations import curfew, incidents, passes


@dataclass(frozen=True)
class RecordRequest:
    actor: Actor
    pass_id: uuid.UUID
    request: PassRequest
    at: datetime


@dataclass(frozen=True)
class Recorded:
    resident_id: uuid.UUID
    house_id: uuid.UUID
    departs_at: datetime
    returns_at: datetime
    status: PassStatus


@dataclass(frozen=True)
class RecordDecision:
    actor: Actor
    pass_id: uuid.UUID
    approve: bool
    note: str | None
    test_on_return: bool
    at: datetime


@dataclass(frozen=True)
class PassStep:
    actor: Actor
    pass_id: uuid.UUID
    at: datetime


@dataclass(frozen=True)
class Overdue:
    """An overdue pass's incident, and whose journey and contact the absence concerns."""

    incident_id: uuid.UUID
    resident_id: uuid.UUID
    house_id: uuid.UUID
    admission_id: uuid.UUID | None
    manager_id: uuid.UUID | None
    contact_delay_minutes: int


class PassActivities(TenantActivities):
    @activity.defn(name="operations.record_pass_request")
    def record_request(self, inp: RecordRequest) -> Recorded:
        with self.session(inp.actor) as s:
            p = passes.request_pass(s, inp.pass_id, inp.request, inp.at)
            return Recorded(p.resident_id, p.house_id, p.departs_at, p.returns_at, p.status)

    @activity.defn(name="operations.decide_pass")
    def decide(self, inp: RecordDecision) -> PassStatus:
        with self.session(inp.actor) as s:
            return passes.decide(
                s, inp.pass_id, inp.approve, inp.note, inp.test_on_return, inp.actor.user_id, inp.at
            ).status

    @activity.defn(name="operations.depart_pass")
    def depart(self, inp: PassStep) -> PassStatus:
        with self.session(inp.actor) as s:
            return passes.depart(s, inp.pass_id, inp.at).status

    @activity.defn(name="operations.pass_overdue")
    def overdue(self, inp: PassStep) -> Overdue:
        with self.session(inp.actor) as s:
            p = passes.overdue(s, inp.pass_id)
            incident_id = incidents.incident_key("pass-overdue", p.id)
            incidents.open_incident(
                s,
                incident_id,
                NewIncident(
                    p.house_id,
                    p.resident_id,
                    IncidentType.CURFEW_VIOLATION,
                    IncidentSeverity.HIGH,
                    p.returns_at,
                    "Not back from a pass by its return time.",
                    follow_ups=[
                        FollowUp("Reach the resident and confirm where they are", 2, Priority.URGENT),
                        FollowUp("Review the pass with the resident on return", 48),
                    ],
                ),
                None,
            )
            return Overdue(
                incident_id,
                p.resident_id,
                p.house_id,
                curfew.active_admission(s, p.resident_id),
                incidents.house_manager(s, p.house_id),
                p.house.emergency_contact_delay_minutes,
            )

    @activity.defn(name="operations.check_back_from_pass")
    def check_back(self, inp: PassStep) -> PassStatus:
        with self.session(inp.actor) as s:
            return passes.check_back(s, inp.pass_id, inp.at).status
