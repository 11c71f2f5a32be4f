"""Drug-test activities: the day's random draw for every house (the key read here from the
settings, never passed through a workflow), a result recorded and assessed against the
resident's recorded prescriptions, and a recurrence of use opened as an incident with the
house's response plan."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from temporalio import activity

from activities.base import TenantActivities
from core.config import get_settings
from core.contracts.safety import Assessed, FollowUp, NewIncident, Result
from core.enums import DrugTestResult, IncidentSeverity, IncidentType, Priority
from core.process import Actor
from services.operations import curfew, drug_tests, incidents


@dataclass(frozen=True)
class DrawDay:
    actor: Actor
    at: datetime


@dataclass(frozen=True)
class Drawn:
    house_id: uuid.UUID
    draw_id: uuid.UUID
    count: int
    manager_id: uuid.UUID | None


@dataclass(frozen=True)
class RecordResult:
    actor: Actor
    test_id: uuid.UUID
    result: Result


@dataclass(frozen=True)
class TestRef:
    actor: Actor
    test_id: uuid.UUID


@dataclass(frozen=True)
class Recurrence:
    incident_id: uuid.UUID
    manager_id: uuid.UUID | None


class DrugTestActivities(TenantActivities):
    @activity.defn(name="operations.draw_day")
    def draw_day(self, inp: DrawDay) -> list[Drawn]:
        key = get_settings().draw_key()
        out = []
        with self.session(inp.actor) as s:
            day = inp.at.astimezone(curfew.org_zone(s)).date()
            for house_id in drug_tests.draw_houses(s, day):
                d = drug_tests.make_draw(s, key, house_id, day)
                out.append(Drawn(house_id, d.id, len(d.selected), incidents.house_manager(s, house_id)))
        return out

    @activity.defn(name="operations.record_drug_test_result")
    def record_result(self, inp: RecordResult) -> Assessed:
        with self.session(inp.actor) as s:
            drug_tests.record_result(s, inp.test_id, inp.result, inp.actor.user_id)
            return drug_tests.assess(s, inp.test_id)

    @activity.defn(name="operations.open_recurrence")
    def open_recurrence(self, inp: TestRef) -> Recurrence:
        with self.session(inp.actor) as s:
            t = drug_tests.get_test(s, inp.test_id)
            refused = t.result is DrugTestResult.REFUSED
            incident_id = incidents.incident_key("recurrence", t.id)
            incidents.open_incident(
                s,
                incident_id,
                NewIncident(
                    t.house_id,
                    t.resident_id,
                    IncidentType.RELAPSE,
                    IncidentSeverity.HIGH,
                    t.resulted_at or t.collected_at,
                    "Drug test refused." if refused else "Drug test positive for a substance not prescribed.",
                    actions_taken=drug_tests.response_plan(s, t.house_id),
                    drug_test_id=t.id,
                    follow_ups=[
                        FollowUp("Meet the resident about the test result", 24, Priority.HIGH),
                        FollowUp("Follow the house's recurrence-of-use response plan", 72),
                    ],
                ),
                None,
            )
            return Recurrence(incident_id, incidents.house_manager(s, t.house_id))
