"""Curfew activities: plan a night (who is due in when), close a group of residents' curfews at
their close time (a missed one opens its incident under a key of the resident and night), and
whether a missing resident has been seen since."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from temporalio import activity

from activities.base import TenantActivities
from core.contracts.safety import Due, FollowUp, NewIncident
from core.enums import IncidentSeverity, IncidentType, Priority
from core.process import Actor
from models.orgs import House
from services.operations import curfew, incidents


@dataclass(frozen=True)
class PlanNight:
    actor: Actor
    at: datetime
    # None: the evening `at` falls in, in the org's zone.
    night: date | None = None


@dataclass(frozen=True)
class Night:
    night: date
    dues: list[Due]


@dataclass(frozen=True)
class CloseCurfews:
    actor: Actor
    night: date
    dues: list[Due]


@dataclass(frozen=True)
class Missing:
    incident_id: uuid.UUID
    resident_id: uuid.UUID
    house_id: uuid.UUID
    since: datetime
    admission_id: uuid.UUID | None
    manager_id: uuid.UUID | None
    contact_delay_minutes: int


@dataclass(frozen=True)
class SeenSince:
    actor: Actor
    resident_id: uuid.UUID
    since: datetime


class CurfewActivities(TenantActivities):
    @activity.defn(name="operations.plan_curfew_night")
    def plan_night(self, inp: PlanNight) -> Night:
        with self.session(inp.actor) as s:
            night = inp.night or curfew.night_of(inp.at, curfew.org_zone(s))
            return Night(night, curfew.plan_night(s, night))

    @activity.defn(name="operations.close_curfews")
    def close(self, inp: CloseCurfews) -> list[Missing]:
        out = []
        with self.session(inp.actor) as s:
            for due in inp.dues:
                check_in_id = curfew.close(s, due, inp.night)
                if check_in_id is None:
                    continue
                incident_id = incidents.incident_key("curfew-missed", due.resident_id, inp.night)
                incidents.open_incident(
                    s,
                    incident_id,
                    NewIncident(
                        due.house_id,
                        due.resident_id,
                        IncidentType.CURFEW_VIOLATION,
                        IncidentSeverity.MEDIUM,
                        due.due_at,
                        "Missed curfew: not checked in by curfew and its grace.",
                        follow_ups=[
                            FollowUp("Reach the resident and confirm where they are", 2, Priority.URGENT)
                        ],
                    ),
                    None,
                )
                curfew.link_incident(s, check_in_id, incident_id)
                house = s.get(House, due.house_id)
                out.append(
                    Missing(
                        incident_id,
                        due.resident_id,
                        due.house_id,
                        due.due_at,
                        curfew.active_admission(s, due.resident_id),
                        house.house_manager_id if house else None,
                        house.emergency_contact_delay_minutes if house else 120,
                    )
                )
        return out

    @activity.defn(name="operations.seen_since")
    def seen_since(self, inp: SeenSince) -> bool:
        with self.session(inp.actor) as s:
            return curfew.checked_in_since(s, inp.resident_id, inp.since)
