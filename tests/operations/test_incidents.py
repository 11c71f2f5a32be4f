"""The Pennsylvania incident clock in Temporal time: a reportable incident (police response) at a
PA house is due to the Department within 3 business days (28 Pa. Code §717.31), weekends and PA
holidays skipped; the house manager is told a business day before and again when it is overdue;
recording the report stops the clock. A house in a state without the rule, or an incident the
rule does not list, runs no clock."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from core.contracts.safety import IncidentFacts, NewIncident, add_business_days, report_due, reportable
from core.db import tenant_session
from core.enums import IncidentSeverity, IncidentType, UserRole
from core.process import Actor, Wait
from models.operations import Incident, Task
from tests.factories import OrgFactory
from tests.harness import result_in_temporal_time
from tests.operations.conftest import SafetyWorker
from tests.operations.places import pa_house
from workflows.operations.incidents import (
    IncidentInput,
    IncidentState,
    IncidentWorkflow,
    incident_workflow_id,
)

NY = ZoneInfo("America/New_York")


def test_three_pennsylvania_business_days_skip_weekends_and_holidays() -> None:
    # Wednesday 2026-11-25: Thanksgiving (26th) and the day after (27th, a PA holiday) and the
    # weekend are skipped: Monday, Tuesday, Wednesday.
    assert add_business_days("PA", date(2026, 11, 25), 3) == date(2026, 12, 2)
    due, warn = report_due("PA", datetime(2026, 11, 25, 22, 0, tzinfo=NY)) or (None, None)
    assert due == datetime(2026, 12, 2, 23, 59, 59, tzinfo=NY)
    assert warn == datetime(2026, 12, 1, 9, 0, tzinfo=NY)
    assert report_due("TX", datetime(2026, 11, 25, tzinfo=UTC)) is None


def test_which_incidents_pennsylvania_wants_reported() -> None:
    def facts(t: IncidentType, sev: IncidentSeverity, police: bool = False) -> IncidentFacts:
        return IncidentFacts(t, sev, police, False)

    assert reportable(facts(IncidentType.OTHER, IncidentSeverity.LOW, police=True))
    assert reportable(facts(IncidentType.OVERDOSE, IncidentSeverity.HIGH))
    assert reportable(facts(IncidentType.CONFLICT, IncidentSeverity.HIGH))
    assert not reportable(facts(IncidentType.RELAPSE, IncidentSeverity.HIGH))
    assert not reportable(facts(IncidentType.CURFEW_VIOLATION, IncidentSeverity.MEDIUM))


async def test_the_pennsylvania_clock_escalates_before_and_at_the_due_time_until_the_report_is_made(
    time_skipping: WorkflowEnvironment, safety_worker: SafetyWorker, orgs: OrgFactory
) -> None:
    org = orgs.create((UserRole.HOUSE_MANAGER,))
    manager = org.users[UserRole.HOUSE_MANAGER]
    place = pa_house(org.org_id, manager, ["E-1"])
    actor = Actor(org.org_id, manager, "req-incident")
    now = await time_skipping.get_current_time()
    incident_id = uuid.uuid4()
    new = NewIncident(
        place.house_id,
        None,
        IncidentType.POLICE,
        IncidentSeverity.MEDIUM,
        now,
        "Police called to the porch.",
        police_involved=True,
    )
    handle = await time_skipping.client.start_workflow(
        IncidentWorkflow.run,
        IncidentInput(actor, incident_id, new),
        id=incident_workflow_id(org.org_id, incident_id),
        task_queue=safety_worker.queue,
    )
    st = await handle.execute_update(IncidentWorkflow.wait_opened, Wait(actor))
    expected = report_due("PA", now)
    assert expected is not None and st.due_at == expected[0]

    await time_skipping.sleep(expected[0] - now + timedelta(hours=1))
    st = await handle.query("state", result_type=IncidentState)
    assert st is not None and st.escalations == ["due_soon", "overdue"] and not st.reported
    with tenant_session(org.org_id, actor_type="test") as s:
        tasks = s.scalars(
            select(Task).where(Task.related_entity_id == incident_id, Task.source == "incident_state_report")
        ).all()
        assert sorted(str(t.title) for t in tasks) == [
            "State incident report due soon",
            "State incident report overdue",
        ]
    assert len([e for e in safety_worker.notifier.emails() if "needs your attention" in e.body]) == 2

    st = await handle.execute_update(IncidentWorkflow.report_made, Wait(actor))
    assert st.reported
    await result_in_temporal_time(time_skipping, handle)
    with tenant_session(org.org_id, actor_type="test") as s:
        i = s.get(Incident, incident_id)
        assert i is not None and i.state_reported_at is not None


async def test_a_report_made_in_time_stops_the_clock_and_a_texas_house_runs_none(
    time_skipping: WorkflowEnvironment, safety_worker: SafetyWorker, orgs: OrgFactory
) -> None:
    org = orgs.create((UserRole.HOUSE_MANAGER,))
    manager = org.users[UserRole.HOUSE_MANAGER]
    actor = Actor(org.org_id, manager, "req-incident")
    for state, expect_clock in (("PA", True), ("TX", False)):
        place = pa_house(org.org_id, manager, ["E-1"], state=state)
        now = await time_skipping.get_current_time()
        incident_id = uuid.uuid4()
        new = NewIncident(
            place.house_id,
            None,
            IncidentType.MEDICAL,
            IncidentSeverity.CRITICAL,
            now,
            "Ambulance.",
            ems_involved=True,
        )
        handle = await time_skipping.client.start_workflow(
            IncidentWorkflow.run,
            IncidentInput(actor, incident_id, new),
            id=incident_workflow_id(org.org_id, incident_id),
            task_queue=safety_worker.queue,
        )
        st = await handle.execute_update(IncidentWorkflow.wait_opened, Wait(actor))
        assert (st.due_at is not None) is expect_clock
        if expect_clock:
            await handle.execute_update(IncidentWorkflow.report_made, Wait(actor))
        st = await result_in_temporal_time(time_skipping, handle)
        assert st.escalations == []
